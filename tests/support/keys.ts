// Test keys in the providers' real documented shapes (the built-in manifests' keyPattern), unique
// per tag so that each works as a canary: `keyLike("anthropic", "CANARY-doctor")` is always
// `sk-ant-api03-CANARY-doctor-<letters and digits>AA`, and differs from every other tag's key.
// Where the shape allows it the tag is part of the key; OpenRouter keys are hex only.
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

const SHAPES: Record<string, (tag: string) => string> = {
  openrouter: (t) => `sk-or-v1-${hex(t, 64)}`,
  anthropic: (t) => `sk-ant-api03-${body(t, 93)}AA`,
  "anthropic-admin": (t) => `sk-ant-admin01-${body(t, 93)}AA`,
  openai: (t) => `sk-proj-${body(t, 74)}T3BlbkFJ${body(`${t}#2`, 74)}`,
  "openai-admin": (t) => `sk-admin-${body(t, 58)}T3BlbkFJ${body(`${t}#2`, 58)}`,
  xai: (t) => `xai-${body(t, 80)}`,
  github: (t) => `ghp_${body(t, 36, /[^A-Za-z0-9]/g).replace("-", "0")}`,
  google: (t) => `AIza${body(t, 35)}`,
};

/**
 * A key of `provider`'s documented shape, unique to `tag`. Providers without a documented
 * shape get `<provider>-<tag>-<hash>`, which has the conservative shape (printable, 16..512).
 */
export function keyLike(provider: string, tag: string): string {
  const make = SHAPES[provider] ?? ((t: string) => `${provider}-${body(t, 40)}`);
  return make(tag);
}
