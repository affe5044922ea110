// Manifest language rules closed from providers/SCHEMA_GAPS.md, as pure unit tests (no
// processes, no network): user-given variables win over `extract`, and `{var}` in paths.
import { assert, assertEquals, assertThrows } from "./support/assert.ts";
import { fetchMetadata } from "../src/fetch/run.ts";
import type { HttpClient, HttpRequest, JsonBody } from "../src/fetch/http.ts";
import { normalize } from "../src/normalize/normalize.ts";
import { Manifest } from "../src/providers/manifest.ts";
import { FetchError } from "../src/errors.ts";
import { Secret } from "../src/store/secret.ts";

const now = new Date("2026-11-25T12:00:00Z");

const ACCOUNTS = {
  result: [{ id: "acc-first", name: "First" }, { id: "acc-second", name: "Second" }],
};

/** A discovery step then a step that needs the discovered (or given) account id. */
const manifest = Manifest.parse({
  id: "acme",
  name: "Acme",
  keyType: "API key",
  keyPattern: "^[!-~]{16,512}$",
  baseUrl: "https://api.acme.example",
  kind: "balance",
  steps: [
    { id: "accounts", path: "/accounts", extract: { account_id: "result[0].id" } },
    { id: "balance", path: "/accounts/{account_id}/balance" },
  ],
  fields: {
    balance: { path: "balance", step: "balance" },
    account_id: { path: "result[id={account_id}].id", step: "accounts" },
    label: { path: "result[id={account_id}].name", step: "accounts" },
  },
  currency: "USD",
});

/** Answers from a table by URL path; records every path asked for. */
function fakeHttp(table: Record<string, JsonBody>): HttpClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    request(req: HttpRequest): Promise<JsonBody> {
      asked.push(req.url.pathname);
      const body = table[req.url.pathname];
      if (!body) return Promise.reject(new FetchError("provider", `404 ${req.url.pathname}`));
      return Promise.resolve(body);
    },
  };
}

function job(vars: Record<string, string>) {
  return {
    manifest,
    path: "api/acme",
    key: new Secret("acme-key-0123456789"),
    vars,
    now,
    retryBaseMs: 0,
  };
}

Deno.test("extract fills a variable only when the user has not set it", async () => {
  const http = fakeHttp({
    "/accounts": ACCOUNTS,
    "/accounts/acc-first/balance": { balance: 1 },
    "/accounts/acc-second/balance": { balance: 2 },
  });
  const found = await fetchMetadata(job({}), http);
  assertEquals(found.metadata, {
    kind: "balance",
    balance: 1,
    account_id: "acc-first",
    label: "First",
    currency: "USD",
  });

  // A mapping param / pass field pins the second account; the discovery step still runs.
  http.asked.length = 0;
  const pinned = await fetchMetadata(job({ account_id: "acc-second" }), http);
  assertEquals(http.asked, ["/accounts", "/accounts/acc-second/balance"]);
  assertEquals(pinned.metadata, {
    kind: "balance",
    balance: 2,
    account_id: "acc-second",
    label: "Second",
    currency: "USD",
  });

  // A pinned account the token cannot see: the balance still comes, the label is unknown
  // (never the first account's name).
  const unseen = await fetchMetadata(
    job({ account_id: "acc-hidden" }),
    fakeHttp({ "/accounts": ACCOUNTS, "/accounts/acc-hidden/balance": { balance: 3 } }),
  );
  assertEquals(unseen.metadata, { kind: "balance", balance: 3, currency: "USD" });
});

Deno.test("extract still fails clearly when the response lacks the variable", async () => {
  const http = fakeHttp({ "/accounts": { result: [] } });
  try {
    await fetchMetadata(job({}), http);
    throw new Error("expected a parse error");
  } catch (e) {
    if (!(e instanceof FetchError)) throw e;
    assertEquals(e.kind, "parse");
    assertEquals(
      e.message,
      "step accounts: no result[0].id in the response (needed for {account_id})",
    );
  }
});

Deno.test("{var} in a path filter is filled before selecting; bad fills are parse errors", () => {
  const plan = {
    kind: "balance" as const,
    fields: {
      balance: {
        difference: [{ path: "items[id={team}].credit" }, { path: "items[id={team}].used" }] as [
          { path: string },
          { path: string },
        ],
      },
    },
  };
  const body = { items: [{ id: "t1", credit: 10, used: 1 }, { id: "t2", credit: "5.5", used: 2 }] };
  const run = (vars: Record<string, string>) =>
    normalize({ plan, responses: new Map([["main", [body]]]), vars, now });
  assertEquals(run({ team: "t2" }), { kind: "balance", balance: 3.5 });
  assertEquals(run({ team: "t1" }), { kind: "balance", balance: 9 });
  const parseError = (vars: Record<string, string>, message: string) =>
    assertThrows(
      () => run(vars),
      (e) => e instanceof FetchError && e.kind === "parse" && e.message === message,
    );
  parseError({}, "field balance: no value for {team}");
  parseError(
    { team: "a.b" },
    'field balance: path "items[id=a.b].credit" is not valid once filled',
  );
  // An unknown team is a missing figure, not 0.
  parseError({ team: "t9" }, "field balance: missing from the response");
});

Deno.test("schema: a {var} is allowed in filter values only", () => {
  const withPath = (path: string) =>
    Manifest.safeParse({ ...manifest, fields: { balance: { path } } }).success;
  assertEquals(withPath("result[id={account_id}].name"), true);
  assertEquals(withPath("{field}.name"), false);
});

Deno.test("[?field=value] keeps every match: the binding quota window is the max", () => {
  const m = normalize({
    plan: {
      kind: "quota",
      fields: {
        quota_used_percent: { path: "limits[?type=TOKENS_LIMIT].percentage", aggregate: "max" },
      },
    },
    responses: new Map([["q", [{
      limits: [
        { type: "TOKENS_LIMIT", percentage: 12 },
        { type: "TIME_LIMIT", percentage: 99 },
        { type: "TOKENS_LIMIT", percentage: 57 },
      ],
    }]]]),
    vars: {},
    now,
  });
  assertEquals(m.quota_used_percent, 57);
});

Deno.test("first: the first value the response carries, in the parent's type", () => {
  const plan = {
    kind: "quota" as const,
    fields: {
      quota_used_percent: { path: "p" },
      plan: { first: [{ path: "data.level" }, { path: "data.planName" }], type: "string" as const },
    },
  };
  const run = (body: unknown) =>
    normalize({ plan, responses: new Map([["q", [body]]]), vars: {}, now });
  assertEquals(run({ p: 1, data: { level: "pro" } }).plan, "pro");
  assertEquals(run({ p: 1, data: { planName: "GLM Max" } }).plan, "GLM Max");
  assertEquals("plan" in run({ p: 1, data: {} }), false);
});

Deno.test("several checks must all hold; extract takes the first path present", async () => {
  const m = Manifest.parse({
    id: "acme",
    name: "Acme",
    keyType: "API key",
    keyPattern: "^[!-~]{16,512}$",
    baseUrl: "https://api.acme.example",
    kind: "balance",
    steps: [
      { id: "who", path: "/who", extract: { team_id: ["scopeId", "teamId"] } },
      {
        id: "balance",
        path: "/teams/{team_id}/balance",
        check: [
          { path: "status", equals: true, message: "msg" },
          { path: "code", equals: 0, code: "code", codeKinds: { "401": "auth" } },
        ],
      },
    ],
    fields: { balance: { path: "balance" } },
    currency: "USD",
  });
  const job = (vars = {}) => ({
    manifest: m,
    path: "api/acme/main",
    key: new Secret("sk-CANARY-lang-0123456789"),
    vars,
    now,
    retryBaseMs: 0,
  });
  const ok = fakeHttp({
    "/who": { teamId: "t-old" },
    "/teams/t-old/balance": { status: true, code: 0, balance: 5 },
  });
  assertEquals((await fetchMetadata(job(), ok)).metadata.balance, 5);
  const auth = fakeHttp({
    "/who": { scopeId: "t1" },
    "/teams/t1/balance": { status: true, code: 401 },
  });
  try {
    await fetchMetadata(job(), auth);
    throw new Error("expected a failure");
  } catch (e) {
    assertEquals(e instanceof FetchError && e.kind, "auth");
  }
  const none = fakeHttp({ "/who": {} });
  try {
    await fetchMetadata(job(), none);
    throw new Error("expected a failure");
  } catch (e) {
    assertEquals(e instanceof FetchError && e.message.includes("scopeId or teamId"), true);
  }
});

Deno.test("ratio: used / limit as an exact percentage; a zero limit leaves it unknown", () => {
  const plan = {
    kind: "quota" as const,
    fields: {
      quota_used_percent: { ratio: [{ path: "usage.used" }, { path: "usage.limit" }] } as {
        ratio: [{ path: string }, { path: string }];
      },
    },
  };
  const run = (usage: unknown) =>
    normalize({ plan, responses: new Map([["q", [{ usage }]]]), vars: {}, now });
  assertEquals(run({ used: "30", limit: "120" }).quota_used_percent, 25);
  assertEquals(run({ used: 1, limit: 3 }).quota_used_percent, 33.333333);
  assertEquals(run({ used: 2, limit: 3 }).quota_used_percent, 66.666667);
  assertEquals(run({ used: "0.1", limit: "0.3" }).quota_used_percent, 33.333333);
  assertThrows(
    () => run({ used: 5, limit: 0 }),
    (e) =>
      e instanceof FetchError &&
      e.message === "field quota_used_percent: missing from the response",
  );
  assertThrows(() => run({ used: "a lot", limit: 10 }), (e) => e instanceof FetchError);
  // With a default, a zero limit falls back to it.
  const withDefault = normalize({
    plan: {
      kind: "quota",
      fields: {
        quota_used_percent: {
          ratio: [{ path: "u" }, { path: "l" }],
          default: 0,
        },
      },
    },
    responses: new Map([["q", [{ u: 0, l: 0 }]]]),
    vars: {},
    now,
  });
  assertEquals(withDefault.quota_used_percent, 0);
});

Deno.test("max / min of several values: the binding window and the earliest reset", () => {
  const plan = {
    kind: "quota" as const,
    fields: {
      quota_used_percent: {
        max: [
          { difference: [{ const: 100 }, { path: "m.current_interval_remaining_percent" }] },
          { difference: [{ const: 100 }, { path: "m.current_weekly_remaining_percent" }] },
        ],
      } as never,
      quota_resets_at: {
        min: [{ path: "m.end_time" }, { path: "m.weekly_end_time" }],
        type: "timestamp",
        unit: "ms",
      } as never,
    },
  };
  const run = (m: unknown) =>
    normalize({ plan, responses: new Map([["q", [{ m }]]]), vars: {}, now });
  assertEquals(
    run({
      current_interval_remaining_percent: 80,
      current_weekly_remaining_percent: 35,
      end_time: 1764090000000,
      weekly_end_time: 1764400000000,
    }),
    { kind: "quota", quota_used_percent: 65, quota_resets_at: "2025-11-25T17:00:00Z" },
  );
  // Without a weekly window, the 5-hour one alone.
  assertEquals(
    run({ current_interval_remaining_percent: 80, end_time: 1764090000000 }).quota_used_percent,
    20,
  );
  assertThrows(
    () => run({}),
    (e) => e instanceof FetchError && /quota_used_percent: missing/.test(e.message),
  );
  assert(
    !Manifest.safeParse({ ...manifest, fields: { balance: { max: [] } } }).success,
    "max needs a value",
  );
});

const keyChecked = Manifest.parse({
  id: "gem",
  name: "Gem",
  keyType: "API key",
  keyPattern: "^AIza[0-9A-Za-z_-]{35}$",
  kind: "unavailable",
  reason: "no account API",
  dashboard: "https://gem.example/billing",
  baseUrl: "https://api.gem.example",
  keyCheck: {
    path: "/v1beta/models",
    auth: { header: "x-goog-api-key", scheme: "" },
    errorCodes: { code: "error.details[0].reason", codeKinds: { API_KEY_INVALID: "auth" } },
  },
});
const GEM_KEY = `AIza${"G".repeat(35)}`;

Deno.test("keyCheck: 2xx says the key is valid, with its own auth header", async () => {
  const seen: HttpRequest[] = [];
  const http: HttpClient = {
    request(req) {
      seen.push(req);
      return Promise.resolve({ models: [] });
    },
  };
  const job = {
    manifest: keyChecked,
    path: "ai/gem",
    key: new Secret(GEM_KEY),
    vars: {},
    now,
    retryBaseMs: 0,
  };
  assertEquals((await fetchMetadata(job, http)).metadata, {
    kind: "unavailable",
    key_valid: true,
    reason: "no account API",
    dashboard: "https://gem.example/billing",
  });
  assertEquals(seen[0].url.href, "https://api.gem.example/v1beta/models");
  assertEquals(seen[0].headers["x-goog-api-key"], GEM_KEY);
  assertEquals(seen[0].headers.Authorization, undefined);
  assertEquals(seen[0].step, "key_check");
});

Deno.test("keyCheck: 401, 403 and a mapped code in an HTTP 400 body are auth errors", async () => {
  const failing = (e: FetchError): HttpClient => ({ request: () => Promise.reject(e) });
  const job = {
    manifest: keyChecked,
    path: "ai/gem",
    key: new Secret(GEM_KEY),
    vars: {},
    now,
    retryBaseMs: 0,
  };
  const kindOf = async (e: FetchError) => {
    const got = await fetchMetadata(job, failing(e)).then(() => undefined, (x) => x);
    return got instanceof FetchError ? got.kind : String(got);
  };
  assertEquals(await kindOf(new FetchError("auth", "HTTP 401", { status: 401 })), "auth");
  assertEquals(await kindOf(new FetchError("forbidden", "HTTP 403", { status: 403 })), "auth");
  const invalid = { error: { code: 400, details: [{ reason: "API_KEY_INVALID" }] } };
  assertEquals(
    await kindOf(new FetchError("provider", "HTTP 400", { status: 400, body: invalid })),
    "auth",
  );
  assertEquals(
    await kindOf(new FetchError("provider", "HTTP 400", { status: 400, body: { error: {} } })),
    "provider",
  );
  // The body never shows up in the error's JSON or keys.
  const e = new FetchError("provider", "x", { body: { key: GEM_KEY } });
  assert(!JSON.stringify(e).includes(GEM_KEY) && !Object.keys(e).includes("body"));
});

Deno.test("a region without an account API: its metadata, and no request", async () => {
  const m = Manifest.parse({
    ...manifest,
    baseUrl: undefined,
    regions: {
      global: { baseUrl: "https://api.acme.example", currency: "USD" },
      cn: { unavailable: "retired there (HTTP 410)", dashboard: "https://acme.example/cn" },
    },
    defaultRegion: "global",
  });
  const http = fakeHttp({});
  const out = await fetchMetadata({ ...job({ region: "cn" }), manifest: m }, http);
  assertEquals(out.metadata, {
    kind: "unavailable",
    reason: "retired there (HTTP 410)",
    dashboard: "https://acme.example/cn",
  });
  assertEquals(http.asked, []);
  assert(
    !Manifest.safeParse({ ...manifest, regions: { cn: {} } }).success,
    "baseUrl or unavailable",
  );
});

Deno.test("when: a value only while a sibling field holds; never its default otherwise", () => {
  const weekly = {
    difference: [{ const: 100 }, { path: "m.current_weekly_remaining_percent" }],
    when: { path: "m.current_weekly_status", in: [1, 2] },
  };
  const plan = {
    kind: "quota" as const,
    fields: {
      quota_used_percent: {
        max: [{ difference: [{ const: 100 }, { path: "m.interval_remaining" }] }, weekly],
      } as never,
      // A null-means-zero figure guarded by a field that proves the body is the documented one.
      balance: { path: "b.usd", default: 0, when: { path: "b.canConsume", in: [true, false] } },
    },
  };
  const run = (body: unknown) =>
    normalize({ plan, responses: new Map([["q", [body]]]), vars: {}, now });
  const m = (status: unknown) => ({
    interval_remaining: 70,
    current_weekly_remaining_percent: 10,
    current_weekly_status: status,
  });
  assertEquals(run({ m: m(1) }).quota_used_percent, 90);
  assertEquals(run({ m: m("2") }).quota_used_percent, 90, "compared as text");
  assertEquals(run({ m: m(3) }).quota_used_percent, 30, "status 3: no weekly cap");
  assertEquals(run({ m: { interval_remaining: 70 } }).quota_used_percent, 30);
  assertEquals(run({ m: m(1), b: { usd: null, canConsume: false } }).balance, 0);
  assertEquals("balance" in run({ m: m(1), b: { usd: null } }), false, "no guard, no default");
  assert(
    !Manifest.safeParse({
      ...manifest,
      fields: { balance: { path: "b", when: { path: "s", equals: 1, in: [1] } } },
    }).success,
    "when needs exactly one of equals, in",
  );
});

Deno.test("quota_windows: the binding window gives the percent and its own reset", () => {
  const fields = {
    quota_windows: [
      {
        each: "usage",
        used: { ratio: [{ path: "used" }, { path: "limit" }] },
        resets: { path: "resetTime" },
      },
      {
        each: "limits[*].detail",
        used: {
          ratio: [
            {
              first: [{ path: "used" }, { difference: [{ path: "limit" }, { path: "remaining" }] }],
            },
            { path: "limit" },
          ],
        },
        resets: { path: "resetTime" },
      },
    ],
  };
  assert(Manifest.safeParse({ ...manifest, kind: "quota", fields }).success);
  const run = (body: unknown) =>
    normalize({
      plan: { kind: "quota", fields: fields as never },
      responses: new Map([["usages", [body]]]),
      vars: {},
      now,
    });
  const weekly = (used: string) => ({
    limit: "2048",
    used,
    remaining: "0",
    resetTime: "2026-01-09T15:23:13.716839300Z",
  });
  const fiveHour = {
    window: { duration: 300 },
    detail: { limit: "200", remaining: "61", resetTime: "2026-01-06T13:33:02.717479433Z" },
  };
  // The 5-hour window (139 of 200 used, from limit - remaining) binds: its reset.
  assertEquals(run({ usage: weekly("214"), limits: [fiveHour] }), {
    kind: "quota",
    quota_used_percent: 69.5,
    quota_resets_at: "2026-01-06T13:33:02Z",
  });
  // The weekly window binds: its reset, though the 5-hour one resets sooner.
  assertEquals(run({ usage: weekly("2000"), limits: [fiveHour] }), {
    kind: "quota",
    quota_used_percent: 97.65625,
    quota_resets_at: "2026-01-09T15:23:13Z",
  });
  // A tie: the later reset (the quota stays blocked until then).
  const full = { ...fiveHour, detail: { ...fiveHour.detail, remaining: "0" } };
  assertEquals(
    run({ usage: weekly("2048"), limits: [full] }).quota_resets_at,
    "2026-01-09T15:23:13Z",
  );
  // No window with a share: the figure is missing (never 0).
  assertThrows(
    () => run({ usage: { limit: "0", used: "0" }, limits: [] }),
    (e) => e instanceof FetchError && /quota_used_percent: missing/.test(e.message),
  );
  // quota_windows replaces the two fields; a quota manifest needs one or the other.
  assert(
    !Manifest.safeParse({
      ...manifest,
      kind: "quota",
      fields: { ...fields, quota_resets_at: { path: "r" } },
    }).success,
  );
  assert(
    !Manifest.safeParse({ ...manifest, kind: "quota", fields: { plan: { path: "p" } } }).success,
  );
});

Deno.test("quota_windows: each over a huge array is a typed parse error, not a hang", () => {
  const windows = Array.from({ length: 100_001 }, () => ({ used: 1, limit: 2 }));
  assertThrows(
    () =>
      normalize({
        plan: {
          kind: "quota",
          fields: {
            quota_windows: [{
              each: "w[*]",
              used: { ratio: [{ path: "used" }, { path: "limit" }] },
            }],
          } as never,
        },
        responses: new Map([["q", [{ w: windows }]]]),
        vars: {},
        now,
      }),
    (e) =>
      e instanceof FetchError && e.kind === "parse" && /more than 100000 values/.test(e.message),
  );
});

Deno.test("statusKinds: a status meaning something else than usual, then errorCodes", async () => {
  const m = Manifest.parse({
    ...keyChecked,
    keyCheck: {
      ...keyChecked.keyCheck,
      // Google: 403 = the key exists but may not use this API; not revoked.
      statusKinds: { "403": "provider" },
    },
  });
  const job = {
    manifest: m,
    path: "ai/gem",
    key: new Secret(GEM_KEY),
    vars: {},
    now,
    retryBaseMs: 0,
  };
  const kindOf = async (e: FetchError) => {
    const got = await fetchMetadata(job, { request: () => Promise.reject(e) }).then(
      () => undefined,
      (x) => x,
    );
    return got instanceof FetchError ? got.kind : String(got);
  };
  assertEquals(await kindOf(new FetchError("forbidden", "HTTP 403", { status: 403 })), "provider");
  assertEquals(await kindOf(new FetchError("auth", "HTTP 401", { status: 401 })), "auth");
  const invalid = { error: { details: [{ reason: "API_KEY_INVALID" }] } };
  assertEquals(
    await kindOf(new FetchError("forbidden", "HTTP 403", { status: 403, body: invalid })),
    "auth",
    "a mapped body code still wins",
  );
  // On a step too; other statuses keep their kind.
  const stepped = Manifest.parse({
    ...manifest,
    steps: [{ id: "only", path: "/b", statusKinds: { "402": "auth" } }],
    fields: { balance: { path: "balance" } },
  });
  const fail402 = new FetchError("provider", "HTTP 402", { status: 402 });
  const got = await fetchMetadata(
    { ...job, manifest: stepped, key: new Secret("acme-key-0123456789") },
    { request: () => Promise.reject(fail402) },
  ).catch((e) => e);
  assertEquals(got instanceof FetchError && got.kind, "auth");
  assert(
    !Manifest.safeParse({
      ...manifest,
      steps: [{ id: "a", path: "/", statusKinds: { "4xx": "auth" } }],
    }).success,
  );
});

/** An account plan for a credential, and a per-key fallback that may yield two kinds. */
const withCredential = Manifest.parse({
  ...manifest,
  steps: [{ id: "credits", path: "/credits" }],
  fields: { balance: { path: "total" } },
  credential: {
    required: false,
    description: "management key",
    keyPattern: "^[!-~]{16,512}$",
  },
  fallback: {
    withoutCredential: true,
    kind: ["balance", "spend"],
    steps: [{ id: "key", path: "/key" }],
    fields: { limit_remaining: { path: "remaining" }, spend: { path: "month" } },
    currency: "USD",
  },
});

Deno.test("fallback withoutCredential: no credential, no main request; kind by what is there", async () => {
  const http = fakeHttp({ "/credits": { total: 0 }, "/key": { remaining: 7.5, month: 2 } });
  const keyOnly = await fetchMetadata({ ...job({}), manifest: withCredential }, http);
  assertEquals(http.asked, ["/key"], "the account endpoint is never asked with the key");
  assertEquals(keyOnly.plan, "fallback");
  assertEquals(keyOnly.metadata, {
    kind: "balance",
    limit_remaining: 7.5,
    spend: 2,
    currency: "USD",
  });
  // A key without a limit: the second kind, its spend.
  const unlimited = await fetchMetadata(
    { ...job({}), manifest: withCredential },
    fakeHttp({ "/key": { remaining: null, month: 2 } }),
  );
  assertEquals(unlimited.metadata, { kind: "spend", spend: 2, currency: "USD" });
  // Neither figure: the first kind's is missing.
  const none = await fetchMetadata(
    { ...job({}), manifest: withCredential },
    fakeHttp({ "/key": {} }),
  ).catch((e) => e);
  assertEquals(
    none instanceof FetchError && none.message,
    "field balance: missing from the response",
  );
  // With a credential: the main plan, with it.
  http.asked.length = 0;
  const account = await fetchMetadata(
    { ...job({}), manifest: withCredential, credential: new Secret("management-key-0123") },
    http,
  );
  assertEquals([account.plan, http.asked], ["main", ["/credits"]]);
  assertEquals(account.metadata.balance, 0);
  // A fallback needs a trigger.
  const { on: _, ...noTrigger } = { ...withCredential.fallback!, withoutCredential: false };
  assert(!Manifest.safeParse({ ...withCredential, fallback: noTrigger }).success);
});

Deno.test("extract skips an empty string and takes the next path", async () => {
  const m = Manifest.parse({
    ...manifest,
    steps: [
      { id: "who", path: "/who", extract: { team_id: ["teamId", "scopeId"] } },
      { id: "balance", path: "/teams/{team_id}/balance" },
    ],
    fields: { balance: { path: "balance" } },
  });
  const http = fakeHttp({
    "/who": { teamId: "", scopeId: "t-scope" },
    "/teams/t-scope/balance": { balance: 4 },
  });
  assertEquals((await fetchMetadata({ ...job({}), manifest: m }, http)).metadata.balance, 4);
});
