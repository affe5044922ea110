// Pure pieces of the fetcher: Retry-After, backoff, the host guard, exact decimals, typed paths
// and time templates (with a fixed clock). No processes, no network.
import { assert, assertEquals, assertThrows } from "./support/assert.ts";
import { backoffMs, kyClient, parseRetryAfter, providerMessage } from "../src/fetch/http.ts";
import { buildUrl, resolveTarget } from "../src/fetch/guard.ts";
import * as D from "../src/util/decimal.ts";
import { select, selectOne } from "../src/providers/jsonpath.ts";
import { render, renderDeep, TemplateError } from "../src/providers/template.ts";
import { Manifest, type ManifestInput } from "../src/providers/manifest.ts";
import { FetchError, type FetchErrorKind } from "../src/errors.ts";

const isFetch = (kind: FetchErrorKind, re?: RegExp) => (e: unknown) =>
  e instanceof FetchError && e.kind === kind && (!re || re.test(e.message));

Deno.test("parseRetryAfter: seconds, fractions, HTTP dates, junk", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  assertEquals(parseRetryAfter("5", now), 5000);
  assertEquals(parseRetryAfter(" 0 ", now), 0);
  assertEquals(parseRetryAfter("1.5", now), 1500);
  assertEquals(parseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", now), 30_000);
  assertEquals(parseRetryAfter("Tue, 31 Dec 2024 23:00:00 GMT", now), 0); // past: no wait
  assertEquals(parseRetryAfter("soon", now), undefined);
  assertEquals(parseRetryAfter("", now), undefined);
  assertEquals(parseRetryAfter(null, now), undefined);
  // Absurdly long waits parse (the client then refuses to wait that long).
  assertEquals(parseRetryAfter("3600", now), 3_600_000);
});

Deno.test("backoffMs: exponential with ±50% jitter, zero base stays zero", () => {
  assertEquals(backoffMs(0, 100, () => 0), 50);
  assertEquals(backoffMs(0, 100, () => 0.5), 100);
  assertEquals(backoffMs(3, 100, () => 0.5), 800);
  assertEquals(backoffMs(2, 100, () => 0.999), 600);
  assertEquals(backoffMs(4, 0, () => 0.7), 0);
});

Deno.test("providerMessage: common error shapes, control characters removed", () => {
  assertEquals(providerMessage({ error: { message: "bad key" } }), "bad key");
  assertEquals(providerMessage({ error: "nope" }), "nope");
  assertEquals(providerMessage({ errors: [{ message: "first" }] }), "first");
  assertEquals(providerMessage({ base_resp: { status_msg: "minimax says" } }), "minimax says");
  assertEquals(providerMessage({ message: "\u001b[31mred\u001b[0m\nline2" }), "[31mred [0m line2");
  assertEquals(providerMessage([1, 2]), undefined);
  assertEquals(providerMessage("text"), undefined);
});

function manifest(over: Partial<ManifestInput> = {}): Manifest {
  return Manifest.parse({
    id: "unit",
    name: "Unit",
    keyType: "key",
    keyPattern: "^[!-~]{16,512}$",
    kind: "balance",
    baseUrl: "https://api.unit.example/v1",
    steps: [{ id: "main", path: "/balance" }],
    fields: { balance: { path: "balance" } },
    ...over,
  });
}

Deno.test("resolveTarget: https only; KEYZ_BASE_URL override only to loopback", () => {
  const m = manifest();
  assertEquals(resolveTarget(m, undefined, undefined).base.href, "https://api.unit.example/v1");
  for (const ok of ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9/x"]) {
    assertEquals(
      resolveTarget(m, undefined, ok).base.href.startsWith(ok.replace(/\/x$/, "")),
      true,
    );
  }
  for (
    const bad of [
      "https://evil.example",
      "http://localhost.evil.example",
      "http://127.0.0.1.nip.io",
      "http://user@evil.example",
      "ftp://127.0.0.1/",
      "file:///etc/passwd",
    ]
  ) {
    assertThrows(() => resolveTarget(m, undefined, bad), isFetch("config", /loopback/));
  }
  assertThrows(() => resolveTarget(m, undefined, "::not a url"), isFetch("config", /not a URL/));
  // A manifest that somehow carries http:// (bypassing the schema) is still refused.
  const plain = { ...m, baseUrl: "http://api.unit.example" };
  assertThrows(() => resolveTarget(plain, undefined, undefined), isFetch("config", /https/));
});

Deno.test("resolveTarget: regions, default region, unknown region", () => {
  const m = manifest({
    baseUrl: undefined,
    regions: {
      global: { baseUrl: "https://api.global.example", currency: "USD" },
      cn: { baseUrl: "https://api.cn.example", currency: "CNY" },
    },
    defaultRegion: "cn",
  });
  assertEquals(resolveTarget(m, undefined, undefined).base.host, "api.cn.example");
  assertEquals(resolveTarget(m, undefined, undefined).currency, "CNY");
  assertEquals(resolveTarget(m, "global", undefined).base.host, "api.global.example");
  assertThrows(() => resolveTarget(m, "mars", undefined), isFetch("config", /no region "mars"/));
});

Deno.test("buildUrl: stays on the base origin and below its path", () => {
  const base = new URL("https://api.unit.example/v1/");
  assertEquals(
    buildUrl(base, "/balance", { a: "1 2", b: "x&y" }).href,
    "https://api.unit.example/v1/balance?a=1+2&b=x%26y",
  );
  // Encoded variables cannot change the host.
  const at = encodeURIComponent("@evil.example/");
  assertEquals(buildUrl(base, `/t/${at}`, {}).host, "api.unit.example");
  assertEquals(buildUrl(base, `/${encodeURIComponent("//evil.example")}`, {}).host, base.host);
  assertEquals(buildUrl(base, "/a?x=1#y", {}).search, ""); // `?`, `#` stay in the path
  for (const p of ["/..", "/a/../../admin", "/%2e%2e/admin", "/a/.%2E/b", "/./x"]) {
    assertThrows(() => buildUrl(base, p, {}), isFetch("config", /\. or \.\. segment/));
  }
  // Plain http only to loopback (the override); never to a real host.
  assertThrows(
    () => buildUrl(new URL("http://api.unit.example"), "/x", {}),
    isFetch("config", /plain http/),
  );
  assertEquals(buildUrl(new URL("http://127.0.0.1:9"), "/x", {}).href, "http://127.0.0.1:9/x");
});

Deno.test("decimal: exact money arithmetic", () => {
  const d = (v: unknown) => {
    const r = D.parseDecimal(v);
    assert(r, `parseDecimal(${String(v)})`);
    return r;
  };
  assertEquals(D.toString(d("110.00")), "110");
  assertEquals(D.toString(D.add(d(0.1), d(0.2))), "0.3");
  assertEquals(D.toNumber(D.add(d(0.1), d(0.2))), 0.3);
  assertEquals(D.toString(D.mul(d("-1000"), d("0.01"))), "-10");
  assertEquals(D.toString(D.sub(d("49.58894"), d("46.58893"))), "3.00001");
  assertEquals(D.toString(d(1e-7)), "0.0000001");
  assertEquals(D.toString(d("1.5e3")), "1500");
  assertEquals(D.toString(d("+2")), "2");
  let sum = D.ZERO;
  for (let i = 0; i < 1000; i++) sum = D.add(sum, d(0.01));
  assertEquals(D.toString(sum), "10");
  assertEquals(D.compare(d("2"), d("10")), -1);
  assertEquals(D.compare(d("2.50"), d("2.5")), 0);
  // Never negative zero.
  assert(Object.is(D.toNumber(d("-0")), 0));
  assert(Object.is(D.toNumber(d(-0)), 0));
  assert(Object.is(D.toNumber(D.negate(D.ZERO)), 0));
  assertEquals(D.toString(D.negate(D.ZERO)), "0");
  // Not numbers.
  for (
    const bad of [
      NaN,
      Infinity,
      -Infinity,
      "NaN",
      "Infinity",
      "1e400",
      "",
      " ",
      "1,5",
      "0x10",
      "1.",
      ".5",
      "1".repeat(65),
      null,
      true,
      {},
      [],
    ]
  ) {
    assertEquals(D.parseDecimal(bad), undefined, `parseDecimal(${JSON.stringify(bad)})`);
  }
});

Deno.test("jsonpath.select: keys, indexes, wildcards, filters, no prototype access", () => {
  const doc = {
    a: { b: [{ c: 1 }, { c: 2 }] },
    items: [{ cost: "1.5" }, { cost: 2 }, { other: 3 }],
    infos: [{ currency: "CNY", total: "7" }, { currency: "USD", total: "1" }],
    n: null,
    flags: [true, false],
  };
  assertEquals(select(doc, "a.b[0].c"), [1]);
  assertEquals(select(doc, "a.b[-1].c"), [2]);
  assertEquals(select(doc, "a.b[9].c"), []);
  assertEquals(select(doc, "items[*].cost"), ["1.5", 2]);
  assertEquals(select(doc, "infos[currency=USD].total"), ["1"]);
  assertEquals(select(doc, "infos[currency=EUR].total"), []);
  assertEquals(select(doc, "flags[1]"), [false]);
  assertEquals(select(doc, "n"), []); // null is "missing"
  assertEquals(selectOne(doc, "$"), doc);
  assertEquals(select(doc, "constructor"), []);
  assertEquals(select(doc, "a.__proto__"), []);
  assertEquals(select(doc, "items.length"), []);
  assertEquals(select("text", "a.b"), []);
  assertEquals(select(null, "a"), []);
});

Deno.test("template.render: variables, encoding, time formats with a fixed clock", () => {
  const now = new Date("2024-02-29T13:45:30.123Z");
  const r = (t: string, vars: Record<string, string> = {}) => render(t, vars, now);
  assertEquals(r("{now|unix}"), "1709214330");
  assertEquals(r("{now|ms}"), "1709214330123");
  assertEquals(r("{now|rfc3339}"), "2024-02-29T13:45:30Z");
  assertEquals(r("{today|date}"), "2024-02-29");
  assertEquals(r("{today|rfc3339}"), "2024-02-29T00:00:00Z");
  assertEquals(r("{month_start|rfc3339}"), "2024-02-01T00:00:00Z");
  assertEquals(r("{next_month_start|date}"), "2024-03-01");
  assertEquals(r("{now-30d|date}"), "2024-01-30");
  assertEquals(r("{now+2h|datetime}"), "2024-02-29 15:45:30");
  assertEquals(r("{now-90m|rfc3339}"), "2024-02-29T12:15:30Z");
  assertEquals(r("{today|year}-{today|month}-{today|day}"), "2024-2-29");
  assertEquals(
    render("{next_month_start|date}", {}, new Date("2024-12-31T23:59:59Z")),
    "2025-01-01",
  );
  assertEquals(r("/v1/teams/{team_id}/usage", { team_id: "t-1" }), "/v1/teams/t-1/usage");
  assertEquals(
    render("/t/{x}", { x: "@evil.example/../" }, now, encodeURIComponent),
    "/t/%40evil.example%2F..%2F",
  );
  assertEquals(renderDeep({ a: ["{x}", 1, null], b: { c: "{today|date}" } }, { x: "y" }, now), {
    a: ["y", 1, null],
    b: { c: "2024-02-29" },
  });
  const tErr = (re: RegExp) => (e: unknown) => e instanceof TemplateError && re.test(e.message);
  assertThrows(() => r("{missing}"), tErr(/no value for \{missing\}/));
  assertThrows(() => r("{Bad Name}"), tErr(/bad placeholder/));
  assertThrows(() => r("{now|week}"), tErr(/unknown time format "week"/));
});

Deno.test("a refused connection is a network error naming the host and the OS reason, no URL", async () => {
  // A port that was just free: bind, note it, close.
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  const url = new URL(`http://127.0.0.1:${port}/v1/secret-path?token=abc`);
  try {
    await kyClient.request({ url, method: "GET", headers: {} }, {
      timeoutMs: 2000,
      retries: 0,
      maxResponseBytes: 1000,
      retryBaseMs: 0,
      maxRetryAfterMs: 0,
    });
    assert(false, "expected a failure");
  } catch (e) {
    assert(e instanceof FetchError);
    assertEquals(e.kind, "network");
    assert(e.message.startsWith(`cannot reach 127.0.0.1:${port}: `), e.message);
    assert(/refused/i.test(e.message), e.message);
    assert(!e.message.includes("secret-path") && !e.message.includes("token"), e.message);
  }
});
