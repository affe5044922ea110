// Test keys in the providers' real shapes (the built-in manifests' keyPattern), unique per tag so
// that each works as a canary: `keyLike("anthropic", "CANARY-doctor")` is always
// `sk-ant-api03-CANARY-doctor-<letters and digits>AA`, and differs from every other tag's key.
// Where the shape allows it the tag is part of the key; hex-only shapes (OpenRouter, DeepSeek)
// and letter-only ones (SiliconFlow) are derived from it.
import { createHash } from "node:crypto";

const hex = (tag: string, n: number) => {
  let out = "";
  for (let i = 0; out.length < n; i++) {
    out += createHash("sha256").update(`${tag}#${i}`).digest("hex");
  }
  return out.slice(0, n);
};

/** Exactly n characters: the tag (letters, digits, - and _ kept), then hash letters and digits. */
const body = (tag: string, n: number, allowed = /[^A-Za-z0-9_-]/g) => {
  const filler = [...hex(tag, n)].map((c, i) => (i % 3 === 1 ? c.toUpperCase() : c)).join("");
  return `${tag.replace(allowed, "")}-${filler}`.slice(0, n);
};

/** Exactly n letters and digits (the tag's letters and digits first). */
const alnum = (tag: string, n: number) => body(tag, n, /[^A-Za-z0-9]/g).replace(/[-_]/g, "0");

/** Exactly n lower-case letters. */
const lower = (tag: string, n: number) =>
  [...hex(tag, n)].map((c) => /\d/.test(c) ? String.fromCharCode(103 + Number(c)) : c).join("");

/** OpenAI's keys carry the marker T3BlbkFJ ("OpenAI" in base64) between two random halves. */
const openaiBody = (tag: string) => `${body(tag, 74)}T3BlbkFJ${alnum(`${tag}#2`, 74)}`;

const SHAPES: Record<string, (tag: string) => string> = {
  openrouter: (t) => `sk-or-v1-${hex(t, 64)}`,
  anthropic: (t) => `sk-ant-api03-${body(t, 93)}AA`,
  "anthropic-admin": (t) => `sk-ant-admin01-${body(t, 93)}AA`,
  openai: (t) => `sk-proj-${openaiBody(t)}`,
  "openai-admin": (t) => `sk-admin-${openaiBody(t)}`,
  xai: (t) => `xai-${body(t, 80)}`,
  github: (t) => `ghp_${body(t, 36, /[^A-Za-z0-9]/g).replace("-", "0")}`,
  google: (t) => `AIza${body(t, 35)}`,
  cerebras: (t) => `csk-${hex(t, 48)}`,
  cloudflare: (t) => `cfut_${alnum(t, 40)}${hex(t, 8)}`,
  deepseek: (t) => `sk-${hex(t, 32)}`,
  fireworks: (t) => `fw_${alnum(t, 24)}`,
  minimax: (t) => `sk-cp-${body(t, 60)}`,
  mistral: (t) => alnum(t, 32),
  moonshot: (t) => `sk-${alnum(t, 48)}`,
  novita: (t) => `sk_${body(t, 43)}`,
  siliconflow: (t) => `sk-${lower(t, 48)}`,
  zai: (t) => `${hex(t, 32)}.${alnum(t, 16)}`,
  venice: (t) => `VENICE_INFERENCE_KEY_${body(t, 42)}`,
  "venice-admin": (t) => `VENICE_ADMIN_KEY_${body(t, 42)}`,
  hyperbolic: (t) =>
    `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ${body(t, 60)}.${body(`${t}#sig`, 43)}`,
  chutes: (t) => `cpk_${hex(t, 32)}.${hex(`${t}#2`, 32)}.${alnum(t, 32)}`,
  "kimi-code": (t) => `sk-kimi-${alnum(t, 64)}`,
  groq: (t) => `gsk_${alnum(t, 52)}`,
  together: (t) => `tgp_v1_${body(t, 43)}`,
  perplexity: (t) => `pplx-${alnum(t, 48)}`,
};

/**
 * A key of `provider`'s shape, unique to `tag`. Providers without a known shape (DeepInfra,
 * StepFun) get `<provider>-<tag>-<hash>`, which has the conservative shape (printable, 16..512).
 */
export function keyLike(provider: string, tag: string): string {
  const make = SHAPES[provider] ?? ((t: string) => `${provider}-${body(t, 40)}`);
  return make(tag);
}
