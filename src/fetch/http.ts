/**
 * One HTTP call to a provider, with the guard rails every request gets: a deadline that covers
 * the body too, bounded retries with exponential backoff and jitter that honour Retry-After,
 * a response size cap, status and content-type checks, redirects never followed. Failures
 * are typed FetchErrors whose messages never contain a credential.
 */
import ky from "ky";
import { z } from "zod";
import { FetchError, type FetchErrorKind } from "../errors.ts";
import { oneLine } from "../util/text.ts";

export interface HttpRequest {
  url: URL;
  method: "GET" | "POST";
  headers: Record<string, string>;
  body?: unknown;
  /** The manifest step this request is for (`key_check` for a key check): replays use it. */
  step?: string;
}

export interface HttpPolicy {
  timeoutMs: number;
  retries: number;
  maxResponseBytes: number;
  /** Base of the exponential backoff; 0 in tests. */
  retryBaseMs: number;
  /** Longest Retry-After keyz waits for; longer ones end the attempt as rate_limited. */
  maxRetryAfterMs: number;
  /**
   * Removes the run's secrets from text taken from the response (messages, hosts, header
   * values), applied before that text is shortened or quoted. Default: none known.
   */
  redact?: (text: string) => string;
}

/** What a provider answered: any JSON object or array. */
export const JsonBody = z.union([z.record(z.string(), z.unknown()), z.array(z.unknown())]);
export type JsonBody = z.infer<typeof JsonBody>;

export interface HttpClient {
  request(req: HttpRequest, policy: HttpPolicy): Promise<JsonBody>;
}

const RETRYABLE: ReadonlySet<FetchErrorKind> = new Set([
  "rate_limited",
  "server",
  "network",
  "timeout",
]);

/** Retry-After as milliseconds: seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d{1,7}(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export function backoffMs(attempt: number, baseMs: number, random = Math.random): number {
  const exp = baseMs * 2 ** attempt;
  return Math.round(exp * (0.5 + random()));
}

function kindForStatus(status: number): FetchErrorKind {
  if (status === 401) return "auth";
  if (status === 403) return "forbidden";
  if (status === 408) return "timeout";
  if (status === 410) return "retired";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "server";
  return "provider";
}

const clean = (text: string) => oneLine(text);

/**
 * The provider's own message from the common error shapes, if any: redacted first, then made
 * one line of at most 200 characters.
 */
export function providerMessage(
  body: unknown,
  redact: (text: string) => string = (t) => t,
): string | undefined {
  if (!body || typeof body !== "object") return undefined;
  const b = body as Record<string, unknown>;
  const err = b.error;
  const candidates = [
    err && typeof err === "object" ? (err as Record<string, unknown>).message : err,
    b.message,
    b.msg,
    Array.isArray(b.errors)
      ? (b.errors[0] as Record<string, unknown> | undefined)?.message
      : undefined,
    (b.base_resp as Record<string, unknown> | undefined)?.status_msg,
  ];
  const found = candidates.find((c) => typeof c === "string" && c.trim() !== "");
  return typeof found === "string" ? clean(redact(found)) : undefined;
}

async function readCapped(res: Response, max: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > max) {
    await res.body?.cancel();
    throw new FetchError("parse", `response too large (${declared} bytes, limit ${max})`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new FetchError("parse", `response too large (over ${max} bytes)`);
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.byteLength;
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(all);
}

function parseBody(
  text: string,
  contentType: string | null,
  redact: (text: string) => string,
): JsonBody {
  if (contentType && !/\bjson\b/i.test(contentType)) {
    const kind = /html/i.test(contentType) ? "an HTML page" : `"${clean(redact(contentType))}"`;
    throw new FetchError("parse", `expected JSON, got ${kind}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    const shown = /^\s*</.test(text) ? "an HTML page" : "malformed JSON";
    throw new FetchError("parse", `expected JSON, got ${shown}`);
  }
  const r = JsonBody.safeParse(value);
  if (!r.success) throw new FetchError("parse", "expected a JSON object or array");
  return r.data;
}

async function attempt(req: HttpRequest, policy: HttpPolicy): Promise<JsonBody> {
  const redact = policy.redact ?? ((t: string) => t);
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), policy.timeoutMs);
  try {
    const res = await ky(req.url, {
      method: req.method,
      headers: req.headers,
      json: req.body,
      retry: 0,
      timeout: false,
      throwHttpErrors: false,
      redirect: "manual",
      signal: ctl.signal,
    });
    if (res.status >= 300 && res.status < 400 || res.type === "opaqueredirect") {
      await res.body?.cancel();
      const loc = res.headers.get("location");
      let where = "elsewhere";
      try {
        // The URL parser lower-cases and decodes the host: redact what it made of it.
        if (loc) where = redact(new URL(loc, req.url).host);
      } catch { /* keep "elsewhere" */ }
      throw new FetchError(
        "provider",
        `redirected to ${where}; keyz never follows redirects with a key`,
        {
          status: res.status,
        },
      );
    }
    const text = await readCapped(res, policy.maxResponseBytes);
    if (!res.ok) {
      let message: string | undefined;
      let body: unknown;
      try {
        body = JSON.parse(text);
        message = providerMessage(body, redact);
      } catch { /* not JSON: use the status */ }
      const kind = kindForStatus(res.status);
      const status = kind === "retired"
        ? `HTTP ${res.status} (endpoint retired)`
        : `HTTP ${res.status}`;
      throw new FetchError(kind, `${status}${message ? `: ${message}` : ""}`, {
        status: res.status,
        retryAfterMs: parseRetryAfter(res.headers.get("retry-after")),
        body,
      });
    }
    return parseBody(text, res.headers.get("content-type"), redact);
  } catch (e) {
    if (e instanceof FetchError) throw e;
    if (ctl.signal.aborted) {
      throw new FetchError("timeout", `no complete answer within ${policy.timeoutMs} ms`);
    }
    if (e instanceof Deno.errors.NotCapable) {
      throw new FetchError("config", `network access to ${req.url.host} is not permitted`);
    }
    throw new FetchError("network", `cannot reach ${req.url.host}: ${networkReason(e)}`, {
      cause: e,
    });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The innermost cause of a network failure (ky wraps fetch's TypeError, which wraps the OS
 * error: "dns error", "Connection refused"), without any URL.
 */
function networkReason(e: unknown): string {
  let inner: unknown = e;
  while (inner instanceof Error && inner.cause instanceof Error) inner = inner.cause;
  const text = inner instanceof Error ? inner.message : String(inner);
  const why = clean(
    text.replace(/error sending request for url \(\S*\)\s*:?\s*/i, "")
      .replace(/(https?|wss?):\/\/\S+/g, "")
      .replace(/\s*:\s*$/, ""),
  );
  return why || "network error";
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The real client: ky over fetch, with keyz's retry policy. */
export const kyClient: HttpClient = {
  async request(req, policy) {
    for (let i = 0;; i++) {
      try {
        return await attempt(req, policy);
      } catch (e) {
        if (!(e instanceof FetchError) || !RETRYABLE.has(e.kind) || i >= policy.retries) throw e;
        const wait = e.retryAfterMs ?? backoffMs(i, policy.retryBaseMs);
        if (wait > policy.maxRetryAfterMs) throw e;
        await sleep(wait);
      }
    }
  },
};
