// Hostile provider responses, data-driven: one store, one key per case, each key mapped (by
// its path) to its own trusted store manifest pointing at its own route. A first sync against
// a well-behaved server records good figures; a second sync against the hostile server must
// give every case a typed error with a clear one-line message, keep the previous figures,
// leak no key anywhere, and still finish every other key.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore, writeEntries } from "./support/store.ts";
import { hostile, type Route, startServer, type TestServer } from "./support/server.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";
import { sha256Hex } from "../src/util/hash.ts";
import { hasControlChars } from "../src/util/text.ts";
import type { FetchErrorKind } from "../src/errors.ts";

interface Ctx {
  /** Origin of a second server that must never be reached. */
  evil: string;
  /** This case's key (for servers that echo it back). */
  canary: string;
}

interface Expect {
  status: "ok" | "error";
  kind?: FetchErrorKind;
  message?: RegExp;
  /** Phase-2 balance for ok cases. */
  balance?: number;
}

interface Case {
  name: string;
  /** Manifest fields replacing the defaults (steps, fields, timeoutMs, retries, ...). */
  manifest?: Record<string, unknown>;
  /** Phase-1 routes; default: `{balance: <good>}` at the case's path. */
  good?: (path: string, good: number) => Route[];
  /** Phase-2 routes on the hostile server; `raw` sends the case to a raw TCP listener. */
  hostile: ((path: string, ctx: Ctx) => Route[]) | "raw";
  expect: Expect;
  /** Extra checks after phase 2. */
  after?: (state: CaseState) => void;
}

interface CaseState {
  path: string;
  hits: TestServer["hits"];
  evilHits: number;
  /** What `sync --json` said about this case's key. */
  result: SyncRow;
  canary: string;
}

interface SyncRow {
  path: string;
  status: string;
  error?: { kind: string; message: string };
  metadata:
    | (
      & { balance?: number; status: string; last_success_at: string | null }
      & Record<
        string,
        unknown
      >
    )
    | null;
}

/** A key echoed back in the forms that escaped redaction before: the text and its case. */
const ECHOES: Record<string, (key: string) => string> = {
  exact: (k) => k,
  upper: (k) => k.toUpperCase(),
  lower: (k) => k.toLowerCase(),
  prefix40: (k) => k.slice(0, 40),
  "all-but-last": (k) => k.slice(0, -1),
  // 300 characters with the key across the 200-character cut of error messages.
  embedded300: (k) => `${"x".repeat(170)} ${k} `.padEnd(300, "y"),
};

/** No form of the key in what sync returned for this case. */
function noEcho(s: CaseState): void {
  const text = JSON.stringify(s.result);
  for (const [form, make] of Object.entries(ECHOES)) {
    const echoed = make(s.canary).trim().slice(0, 60);
    if (form === "embedded300") continue;
    assert(!text.includes(echoed), `the ${form} form of the key is in ${text}`);
  }
  assert(
    !text.toLowerCase().includes(s.canary.slice(0, 30).toLowerCase()),
    `key prefix in ${text}`,
  );
}

const echoCases = (): Case[] =>
  Object.entries(ECHOES).flatMap(([form, make]): Case[] => [
    {
      name: `echo-${form}-in-error`,
      hostile: (p, c) => [{ path: p, status: 400, body: { error: { message: make(c.canary) } } }],
      expect: { status: "error", kind: "provider", message: /^HTTP 400: .*\[redacted\]/ },
      after: noEcho,
    },
    {
      name: `echo-${form}-in-figures`,
      manifest: {
        fields: {
          balance: { path: "balance" },
          label: { path: "label", type: "string" },
          plan: { path: "plan", type: "string" },
          account_id: { path: "id", type: "string" },
        },
      },
      hostile: (p, c) => [{
        path: p,
        body: { balance: 1, label: make(c.canary), plan: make(c.canary), id: make(c.canary) },
      }],
      expect: { status: "ok", balance: 1 },
      after: (s) => {
        noEcho(s);
        for (const f of ["label", "plan", "account_id"]) {
          assertMatch(String(s.result.metadata?.[f]), /\[redacted\]/, f);
        }
      },
    },
  ]);

const json = "application/json";
const body = (text: string | Uint8Array, status = 200, ct = json): Route["handler"] => () =>
  new Response(text as BodyInit, { status, headers: { "content-type": ct } });

/** Bytes a streaming 50 MB body actually handed to the socket, per case. */
const streamed: Record<string, number> = {};
function fiftyMegabytes(name: string, declare: boolean): Route["handler"] {
  return () => {
    streamed[name] = 0;
    const total = 50_000_000;
    const chunk = new Uint8Array(64 * 1024).fill(0x61);
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (streamed[name] === 0) {
          c.enqueue(new TextEncoder().encode('{"pad":"'));
          streamed[name] += 8;
          return;
        }
        if (streamed[name] >= total) return c.close();
        c.enqueue(chunk);
        streamed[name] += chunk.length;
      },
    }, { highWaterMark: 0 });
    const headers: Record<string, string> = { "content-type": json };
    if (declare) headers["content-length"] = String(total);
    return new Response(stream, { headers });
  };
}

const retryTimes: number[] = [];

const twoSteps = (name: string, extra: Record<string, unknown> = {}) => ({
  steps: [
    { id: "s1", path: `/c/${name}`, extract: { team: "team" } },
    { id: "s2", path: `/c/${name}/t/{team}`, ...extra },
  ],
  fields: { balance: { path: "balance", step: "s2" } },
});
const twoStepsGood = (path: string, good: number): Route[] => [
  { path, body: { team: "good" } },
  { path: `${path}/t/good`, body: { balance: good } },
];
const redirectTo = (status: number) => (path: string, c: Ctx): Route[] => [
  { path, handler: hostile.redirect(`${c.evil}/steal`, status) },
];
const noEvil = (s: CaseState) => assertEquals(s.evilHits, 0, "the redirect target was reached");

const CASES: Case[] = [
  ...echoCases(),
  {
    name: "echo-in-check-message-and-code",
    manifest: {
      steps: [{
        id: "main",
        path: "/c/echo-in-check-message-and-code",
        check: { path: "ok", equals: true, message: "msg", code: "code" },
      }],
    },
    good: (p, g) => [{ path: p, body: { ok: true, balance: g } }],
    hostile: (p, c) => [{
      path: p,
      body: { ok: false, msg: c.canary.toLowerCase(), code: c.canary.toUpperCase() },
    }],
    expect: { status: "error", kind: "provider", message: /^provider error \[redacted\]/ },
    after: noEcho,
  },
  {
    name: "echo-as-non-number",
    hostile: (p, c) => [{ path: p, body: { balance: c.canary.toUpperCase() } }],
    expect: { status: "error", kind: "parse", message: /"\[redacted\]" is not a number/ },
    after: noEcho,
  },
  {
    name: "echo-in-redirect-host",
    hostile: (p, c) => [{
      path: p,
      // Two DNS labels (at most 63 characters each), lower-cased by the URL parser.
      handler: hostile.redirect(
        `http://${c.canary.slice(0, 40)}.${c.canary.slice(40)}.evil.example/x`,
      ),
    }],
    expect: { status: "error", kind: "provider", message: /redirected to \[redacted\]/ },
    after: (s) => {
      const text = JSON.stringify(s.result).toLowerCase();
      assert(!text.includes(s.canary.toLowerCase().slice(0, 20)), text);
    },
  },
  {
    name: "control",
    hostile: (p) => [{ path: p, body: { balance: 7 } }],
    expect: { status: "ok", balance: 7 },
  },
  {
    name: "html-200",
    hostile: (p) => [{ path: p, handler: hostile.html() }],
    expect: { status: "error", kind: "parse", message: /expected JSON, got an HTML page/ },
  },
  {
    name: "html-503",
    manifest: { retries: 1 },
    hostile: (p) => [{ path: p, handler: hostile.html(undefined, 503) }],
    expect: { status: "error", kind: "server", message: /^HTTP 503$/ },
    after: (s) => assertEquals(s.hits.length, 2),
  },
  {
    name: "html-as-json",
    hostile: (p) => [{ path: p, handler: body("<!doctype html><p>hi</p>") }],
    expect: { status: "error", kind: "parse", message: /got an HTML page/ },
  },
  {
    name: "truncated-json",
    hostile: (p) => [{ path: p, handler: hostile.truncatedJson({ balance: 12.5, x: [1, 2, 3] }) }],
    expect: { status: "error", kind: "parse", message: /malformed JSON/ },
  },
  {
    name: "empty-body",
    hostile: (p) => [{ path: p, handler: body("") }],
    expect: { status: "error", kind: "parse", message: /malformed JSON/ },
  },
  {
    name: "no-content-204",
    hostile: (p) => [{ path: p, status: 204 }],
    expect: { status: "error", kind: "parse", message: /malformed JSON/ },
  },
  {
    name: "wrong-content-type",
    hostile: (p) => [{ path: p, handler: body('{"balance":5}', 200, "text/plain") }],
    expect: { status: "error", kind: "parse", message: /expected JSON, got "text\/plain"/ },
  },
  {
    name: "invalid-utf8",
    hostile: (p) => [{ path: p, handler: body(new Uint8Array([0xff, 0xfe, 0x7b, 0x00])) }],
    expect: { status: "error", kind: "parse", message: /malformed JSON/ },
  },
  {
    name: "huge-50mb-chunked",
    hostile: (p) => [{ path: p, handler: fiftyMegabytes("huge-50mb-chunked", false) }],
    expect: { status: "error", kind: "parse", message: /too large \(over 2000000 bytes\)/ },
    after: () =>
      assert(
        streamed["huge-50mb-chunked"] < 16_000_000,
        `${streamed["huge-50mb-chunked"]} bytes streamed`,
      ),
  },
  {
    name: "huge-50mb-declared",
    hostile: (p) => [{ path: p, handler: fiftyMegabytes("huge-50mb-declared", true) }],
    expect: {
      status: "error",
      kind: "parse",
      message: /too large \(50000000 bytes, limit 2000000\)/,
    },
    after: () =>
      assert(
        streamed["huge-50mb-declared"] < 16_000_000,
        `${streamed["huge-50mb-declared"]} bytes streamed`,
      ),
  },
  {
    name: "balance-object",
    hostile: (p) => [{ path: p, body: { balance: { amount: 1 } } }],
    expect: { status: "error", kind: "parse", message: /field balance: object is not a number/ },
  },
  {
    name: "balance-boolean",
    hostile: (p) => [{ path: p, body: { balance: true } }],
    expect: { status: "error", kind: "parse", message: /field balance: boolean is not a number/ },
  },
  {
    name: "balance-null",
    hostile: (p) => [{ path: p, body: { balance: null } }],
    expect: { status: "error", kind: "parse", message: /field balance: missing from the response/ },
  },
  {
    name: "balance-nan-string",
    hostile: (p) => [{ path: p, body: { balance: "NaN" } }],
    expect: { status: "error", kind: "parse", message: /field balance: "NaN" is not a number/ },
  },
  {
    name: "balance-infinity-string",
    hostile: (p) => [{ path: p, body: { balance: "Infinity" } }],
    expect: { status: "error", kind: "parse", message: /"Infinity" is not a number/ },
  },
  {
    name: "balance-1e400",
    hostile: (p) => [{ path: p, handler: body('{"balance":1e400}') }],
    expect: { status: "error", kind: "parse", message: /field balance: .*not a number/ },
  },
  {
    name: "balance-negative-zero",
    hostile: (p) => [{ path: p, handler: body('{"balance":-0}') }],
    expect: { status: "ok", balance: 0 },
  },
  {
    name: "top-level-string",
    hostile: (p) => [{ path: p, handler: body('"hello"') }],
    expect: { status: "error", kind: "parse", message: /expected a JSON object or array/ },
  },
  {
    name: "top-level-null",
    hostile: (p) => [{ path: p, handler: body("null") }],
    expect: { status: "error", kind: "parse", message: /expected a JSON object or array/ },
  },
  {
    name: "deep-nesting",
    hostile: (
      p,
    ) => [{ path: p, handler: body('{"a":'.repeat(100_000) + "1" + "}".repeat(100_000)) }],
    expect: { status: "error", kind: "parse", message: /field balance: missing/ },
  },
  {
    name: "slow-drip",
    manifest: { timeoutMs: 300 },
    hostile: (p) => [{ path: p, handler: hostile.drip({ intervalMs: 20 }) }],
    expect: { status: "error", kind: "timeout", message: /no complete answer within 300 ms/ },
  },
  {
    name: "slow-headers",
    manifest: { timeoutMs: 300, retries: 1 },
    hostile: (p) => [{ path: p, delayMs: 5_000, body: { balance: 1 } }],
    expect: { status: "error", kind: "timeout", message: /within 300 ms/ },
    after: (s) => assertEquals(s.hits.length, 2),
  },
  {
    name: "endless-pagination",
    manifest: {
      steps: [{
        id: "main",
        path: "/c/endless-pagination",
        paginate: { hasMore: "more", cursor: "next", param: "after", maxPages: 3 },
      }],
    },
    hostile: (p) => {
      let n = 0;
      return [{
        path: p,
        handler: () => Response.json({ balance: 1, more: true, next: `c${++n}` }),
      }];
    },
    expect: { status: "error", kind: "provider", message: /more than 3 pages from step main/ },
    after: (s) => assertEquals(s.hits.length, 3),
  },
  {
    name: "cursor-cycle",
    manifest: {
      steps: [{
        id: "main",
        path: "/c/cursor-cycle",
        paginate: { hasMore: "more", cursor: "next", param: "after", maxPages: 4 },
      }],
    },
    hostile: (p) => [
      { path: p, query: { after: "a" }, body: { balance: 1, more: true, next: "b" } },
      { path: p, query: { after: "b" }, body: { balance: 1, more: true, next: "a" } },
      { path: p, body: { balance: 1, more: true, next: "a" } },
    ],
    expect: { status: "error", kind: "provider", message: /a cursor it already gave/ },
    after: (s) => assertEquals(s.hits.length, 3),
  },
  {
    name: "has-more-without-cursor",
    manifest: {
      steps: [{
        id: "main",
        path: "/c/has-more-without-cursor",
        paginate: { hasMore: "more", cursor: "next", param: "after" },
      }],
    },
    hostile: (p) => [{ path: p, body: { balance: 1, more: true } }],
    expect: { status: "error", kind: "provider", message: /has no next cursor/ },
    after: (s) => assertEquals(s.hits.length, 1),
  },
  {
    name: "redirect-302",
    hostile: redirectTo(302),
    expect: {
      status: "error",
      kind: "provider",
      message: /redirected to 127\.0\.0\.1:\d+; keyz never follows/,
    },
    after: noEvil,
  },
  {
    name: "redirect-301",
    hostile: redirectTo(301),
    expect: { status: "error", kind: "provider", message: /redirected/ },
    after: noEvil,
  },
  {
    name: "redirect-307",
    hostile: redirectTo(307),
    expect: { status: "error", kind: "provider", message: /redirected/ },
    after: noEvil,
  },
  {
    name: "redirect-308",
    hostile: redirectTo(308),
    expect: { status: "error", kind: "provider", message: /redirected/ },
    after: noEvil,
  },
  {
    name: "redirect-chain",
    hostile: (p, c) => [
      { path: p, handler: hostile.redirect(`${p}/hop`) },
      { path: `${p}/hop`, handler: hostile.redirect(`${c.evil}/steal`) },
    ],
    expect: { status: "error", kind: "provider", message: /redirected/ },
    after: (s) => {
      noEvil(s);
      assertEquals(s.hits.map((h) => h.path), [s.path]); // not even the first hop
    },
  },
  {
    name: "error-in-200-checked",
    manifest: {
      steps: [{
        id: "main",
        path: "/c/error-in-200-checked",
        check: {
          path: "success",
          equals: true,
          message: "error.msg",
          code: "error.code",
          codeKinds: { "401": "auth" },
        },
      }],
    },
    good: (p, g) => [{ path: p, body: { success: true, balance: g } }],
    hostile: (p) => [{
      path: p,
      handler: (req) =>
        Response.json({
          success: false,
          error: { code: 401, msg: `invalid key ${req.headers.get("authorization")}` },
        }),
    }],
    expect: {
      status: "error",
      kind: "auth",
      message: /^provider error 401: invalid key Bearer \[redacted\]$/,
    },
  },
  {
    name: "error-in-200-unchecked",
    hostile: (p) => [{ path: p, body: { error: { message: "insufficient quota" } } }],
    expect: { status: "error", kind: "parse", message: /field balance: missing from the response/ },
  },
  {
    name: "auth-401-echoes-key",
    hostile: (p) => [{
      path: p,
      handler: (req) =>
        Response.json({ error: { message: `bad key: ${req.headers.get("authorization")}` } }, {
          status: 401,
        }),
    }],
    expect: { status: "error", kind: "auth", message: /^HTTP 401: bad key: Bearer \[redacted\]$/ },
  },
  {
    name: "forbidden-403",
    hostile: (p) => [{ path: p, status: 403, body: { message: "admin key required" } }],
    expect: { status: "error", kind: "forbidden", message: /^HTTP 403: admin key required$/ },
  },
  {
    name: "not-found-404",
    hostile: (p) => [{ path: p, handler: hostile.html("<h1>Not Found</h1>", 404) }],
    expect: { status: "error", kind: "provider", message: /^HTTP 404$/ },
  },
  {
    name: "retry-after-then-ok",
    manifest: { retries: 1 },
    hostile: (p) => [
      {
        path: p,
        repeat: 1,
        handler: () => {
          retryTimes.push(Date.now());
          return Response.json({ error: "slow down" }, {
            status: 429,
            headers: { "retry-after": "1" },
          });
        },
      },
      { path: p, handler: () => (retryTimes.push(Date.now()), Response.json({ balance: 42 })) },
    ],
    expect: { status: "ok", balance: 42 },
    after: () => {
      assertEquals(retryTimes.length, 2);
      assert(
        retryTimes[1] - retryTimes[0] >= 900,
        `waited only ${retryTimes[1] - retryTimes[0]} ms`,
      );
    },
  },
  {
    name: "retry-after-too-long",
    manifest: { retries: 2 },
    hostile: (
      p,
    ) => [{ path: p, status: 429, headers: { "retry-after": "3600" }, body: { error: "later" } }],
    expect: { status: "error", kind: "rate_limited", message: /^HTTP 429: later$/ },
    after: (s) => assertEquals(s.hits.length, 1),
  },
  {
    name: "server-5xx-then-ok",
    manifest: { retries: 2 },
    hostile: (
      p,
    ) => [{ path: p, status: 503, repeat: 2, body: "busy" }, { path: p, body: { balance: 3.25 } }],
    expect: { status: "ok", balance: 3.25 },
    after: (s) => assertEquals(s.hits.length, 3),
  },
  {
    name: "server-5xx-forever",
    manifest: { retries: 2 },
    hostile: (p) => [{ path: p, status: 500, body: { error: { message: "internal" } } }],
    expect: { status: "error", kind: "server", message: /^HTTP 500: internal$/ },
    after: (s) => assertEquals(s.hits.length, 3),
  },
  {
    name: "connection-cut",
    manifest: { retries: 1 },
    hostile: (p) => [{ path: p, handler: hostile.cutConnection('{"balance":') }],
    expect: { status: "error", kind: "network", message: /cannot reach 127\.0\.0\.1:\d+/ },
  },
  {
    name: "raw-close",
    hostile: "raw",
    expect: { status: "error", kind: "network", message: /cannot reach/ },
  },
  {
    name: "raw-garbage",
    hostile: "raw",
    expect: { status: "error", kind: "network", message: /cannot reach/ },
  },
  {
    name: "terminal-escapes",
    hostile: (
      p,
    ) => [{
      path: p,
      status: 400,
      body: { error: { message: "\u001b[2J\u001b[31mpwned\r\nkeyz: all good\u0007" } },
    }],
    expect: {
      status: "error",
      kind: "provider",
      message: /^HTTP 400: \[2J \[31mpwned keyz: all good$/,
    },
  },
  {
    name: "long-error-message",
    hostile: (p) => [{ path: p, status: 400, body: { error: { message: "x".repeat(20_000) } } }],
    expect: { status: "error", kind: "provider", message: /^HTTP 400: x{200}$/ },
  },
  {
    name: "extract-at-host",
    manifest: twoSteps("extract-at-host"),
    good: twoStepsGood,
    hostile: (p) => [
      { path: p, body: { team: "@evil.example/" } },
      { path: `${p}/t/%40evil.example%2F`, body: { balance: 9 } },
    ],
    expect: { status: "ok", balance: 9 },
    after: (s) => assertEquals(s.evilHits, 0),
  },
  {
    name: "extract-scheme",
    manifest: twoSteps("extract-scheme"),
    good: twoStepsGood,
    hostile: (p) => [
      { path: p, body: { team: "https://evil.example//x" } },
      { path: `${p}/t/https%3A%2F%2Fevil.example%2F%2Fx`, body: { balance: 8 } },
    ],
    expect: { status: "ok", balance: 8 },
  },
  {
    name: "extract-dotdot",
    manifest: twoSteps("extract-dotdot"),
    good: twoStepsGood,
    hostile: (p) => [{ path: p, body: { team: ".." } }, { path: "/c/steal", body: { balance: 1 } }],
    expect: { status: "error", kind: "config", message: /\. or \.\. segment; refused/ },
    after: (s) => assertEquals(s.hits.length, 1),
  },
  {
    name: "extract-object",
    manifest: twoSteps("extract-object"),
    good: twoStepsGood,
    hostile: (p) => [{ path: p, body: { team: { id: 1 } } }],
    expect: {
      status: "error",
      kind: "parse",
      message: /step s1: no team in the response \(needed for \{team\}\)/,
    },
  },
  {
    name: "extract-header-crlf",
    manifest: {
      steps: [
        { id: "s1", path: "/c/extract-header-crlf", extract: { team: "team" } },
        { id: "s2", path: "/c/extract-header-crlf/t", headers: { "X-Team": "{team}" } },
      ],
      fields: { balance: { path: "balance", step: "s2" } },
    },
    good: (p, g) => [{ path: p, body: { team: "good" } }, { path: `${p}/t`, body: { balance: g } }],
    hostile: (
      p,
    ) => [{ path: p, body: { team: "a\r\nX-Evil: 1" } }, { path: `${p}/t`, body: { balance: 1 } }],
    expect: { status: "error", kind: "network", message: /cannot reach/ },
    after: (s) => {
      assertEquals(s.hits.length, 1);
      assert(!s.hits.some((h) => "x-evil" in h.headers));
    },
  },
];

const envName = (id: string) => `KEYZ_BASE_URL_${id.toUpperCase().replaceAll("-", "_")}`;

function manifestText(c: Case, i: number): string {
  const m = {
    id: `h-${c.name}`,
    name: `Hostile ${c.name}`,
    keyType: "test key",
    keyPattern: "^[!-~]{16,512}$",
    kind: "balance",
    baseUrl: `https://${c.name}.hostile.invalid`,
    currency: "USD",
    timeoutMs: 3000,
    retries: 0,
    steps: [{ id: "main", path: `/c/${c.name}` }],
    fields: { balance: { path: "balance" } },
    ...c.manifest,
  };
  return `// hostile response case ${i}\n${JSON.stringify(m, null, 2)}\n`;
}

/** A TCP listener that is not HTTP: it hangs up at once, or answers garbage. */
function rawServer(): { url: string; close: () => void } {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  (async () => {
    for await (const conn of l) {
      (async () => {
        const buf = new Uint8Array(4096);
        const n = await conn.read(buf).catch(() => null);
        const head = new TextDecoder().decode(buf.subarray(0, n ?? 0));
        if (head.includes("raw-garbage")) {
          await conn.write(new TextEncoder().encode("NOT HTTP AT ALL\r\n\r\n\x00\x01")).catch(
            () => {},
          );
        }
        try {
          conn.close();
        } catch { /* closed */ }
      })();
    }
  })().catch(() => {});
  return { url: `http://127.0.0.1:${(l.addr as Deno.NetAddr).port}`, close: () => l.close() };
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await walk(p));
    else if (e.isFile) out.push(p);
  }
  return out;
}

Deno.test(`hostile responses: ${CASES.length} cases in one sync, typed errors, nothing lost, nothing leaked`, async () => {
  const store = await makeStore({ git: true });
  const evil = await startServer([{ path: "/steal", body: { balance: 666 } }]);
  const raw = rawServer();
  let good: TestServer | undefined;
  let bad: TestServer | undefined;
  try {
    const canaries = CASES.map((c, i) => `sk-CANARY-${i}-${c.name}-${crypto.randomUUID()}`);
    await writeEntries(
      store,
      Object.fromEntries(CASES.map((c, i) => [`hostile/h-${c.name}`, canaries[i]])),
    );
    const trusted: Record<string, string[]> = {};
    await Deno.mkdir(`${store.storeDir}/.keyz/providers`, { recursive: true });
    for (const [i, c] of CASES.entries()) {
      const text = manifestText(c, i);
      await Deno.writeTextFile(`${store.storeDir}/.keyz/providers/h-${c.name}.jsonc`, text);
      trusted[`h-${c.name}`] = [sha256Hex(text)];
    }
    // All but the first trusted by record; the first through the command a user runs.
    delete trusted["h-control"];
    const configDir = `${store.env.XDG_CONFIG_HOME}/keyz`;
    await Deno.mkdir(configDir, { recursive: true });
    await Deno.writeTextFile(
      `${configDir}/trust.json`,
      JSON.stringify({ schema_version: 1, trusted }),
    );
    const t = await runKeyz(["providers", "trust", "h-control", "--yes"], {
      env: store.env,
    });
    assertEquals(t.code, 0, t.stderr);
    assertMatch(t.stdout, /trusted h-control .*control\.hostile\.invalid/);

    const goodFigure = (i: number) => 100 + i;
    good = await startServer(CASES.flatMap((c, i) => {
      const p = `/c/${c.name}`;
      return c.good ? c.good(p, goodFigure(i)) : [{ path: p, body: { balance: goodFigure(i) } }];
    }));
    const envFor = (phase: "good" | "bad") => {
      const env: Record<string, string> = { ...store.env, KEYZ_RETRY_BASE_MS: "0" };
      for (const c of CASES) {
        env[envName(`h-${c.name}`)] = phase === "good"
          ? good!.url
          : c.hostile === "raw"
          ? raw.url
          : bad!.url;
      }
      return env;
    };

    const first = await runKeyz(["sync", "--all", "--json", "-c", "64"], { env: envFor("good") });
    assertEquals(first.code, 0, first.stderr + first.stdout.slice(0, 2000));
    const firstRows = JSON.parse(first.stdout).results as SyncRow[];
    assertEquals(firstRows.filter((r) => r.status !== "ok"), []);

    const ctxs = CASES.map((_c, i): Ctx => ({ evil: evil.url, canary: canaries[i] }));
    bad = await startServer(
      CASES.flatMap((c, i) => c.hostile === "raw" ? [] : c.hostile(`/c/${c.name}`, ctxs[i])),
    );
    // Deadlines hold per request (the slow cases end as typed `timeout`s below); the whole run
    // is bounded only loosely here, since the machine may be busy with other work.
    const second = await runKeyz(["sync", "--all", "--json", "-c", "64"], {
      env: envFor("bad"),
      timeoutMs: 120_000,
    });
    assert(!second.timedOut, "the sync with hostile providers did not end");
    assertEquals(second.code, 1, second.stderr);
    const results = JSON.parse(second.stdout).results as SyncRow[];
    const byPath = new Map(results.map((r) => [r.path, r]));

    const failures: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const path = `hostile/h-${c.name}`;
      const r = byPath.get(path);
      try {
        assert(r, "no result");
        assertEquals(r.status, c.expect.status, JSON.stringify(r.error));
        if (c.expect.status === "ok") {
          assertEquals(r.metadata?.balance, c.expect.balance);
          assert(Object.is(r.metadata?.balance, c.expect.balance), "negative zero");
        } else {
          assertEquals(r.error?.kind, c.expect.kind, r.error?.message);
          const msg = r.error!.message;
          if (c.expect.message) assertMatch(msg, c.expect.message);
          assert(
            msg.length > 0 && msg.length <= 300 && !hasControlChars(msg),
            "one clean line",
          );
          // Nothing lost: the previous figures stay, marked as an error.
          assertEquals(r.metadata?.balance, goodFigure(i));
          assertEquals(r.metadata?.status, "error");
          assert(r.metadata?.last_success_at, "last success kept");
        }
        const ownHits = bad.hits.filter((h) => h.path.startsWith(`/c/${c.name}`));
        c.after?.({
          path: `/c/${c.name}`,
          hits: ownHits,
          evilHits: evil.hits.length,
          result: r,
          canary: canaries[i],
        });
        // Every request carried exactly this case's key, and only to its own routes.
        for (const h of ownHits) assertEquals(h.headers.authorization, `Bearer ${canaries[i]}`);
      } catch (e) {
        failures.push(`${c.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    assertEquals(failures, []);
    assertEquals(evil.hits.length, 0, "a key reached the redirect target");
    assert(!bad.hits.some((h) => h.path === "/c/steal"), "a .. path climbed out");

    // Every sidecar parses, every history line is JSON (one per successful sync: 2 for the
    // keys that answered twice, 1 for those that failed the second time), no key anywhere.
    const okTwice = new Set(
      CASES.filter((c) => c.expect.status === "ok").map((c) => `hostile/h-${c.name}.jsonl`),
    );
    const texts: Record<string, string> = {
      stdout: second.stdout,
      stderr: second.stderr,
      first: first.stdout,
    };
    for (const f of await walk(`${store.storeDir}/.keyz`)) {
      const text = await Deno.readTextFile(f);
      texts[f] = text;
      if (f.endsWith(".json")) JSON.parse(text);
      if (f.endsWith(".jsonl")) {
        const lines = text.trim().split("\n");
        assertEquals(lines.length, [...okTwice].some((p) => f.endsWith(p)) ? 2 : 1, f);
        lines.forEach((l) => JSON.parse(l));
      }
    }
    texts.gitlog = (await store.gitRun(["log", "-p", "--", ".keyz"])).stdout;
    // Every form: as sent, upper- and lower-cased, and its first 40 characters.
    assertNoSecret(texts, [
      ...canaries,
      ...canaries.map((k) => k.toUpperCase()),
      ...canaries.map((k) => k.toLowerCase()),
      ...canaries.map((k) => k.slice(0, 40)),
    ]);
    const status = await store.gitRun(["status", "--porcelain"]);
    assertEquals(status.stdout, "");
  } finally {
    await bad?.close();
    await good?.close();
    await evil.close();
    raw.close();
    await store.cleanup();
  }
});
