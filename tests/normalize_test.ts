// The mapping heart, as a pure function: responses in, normalized figures out.
import { assertEquals, assertThrows } from "./support/assert.ts";
import { normalize } from "../src/normalize/normalize.ts";
import { FetchError } from "../src/errors.ts";
import type { Plan } from "../src/providers/manifest.ts";

const now = new Date("2026-11-25T12:34:56Z");

function run(plan: Partial<Plan>, body: unknown, regionCurrency?: string) {
  return normalize({
    plan: { kind: "balance", fields: {}, ...plan },
    responses: new Map([["main", [body]]]),
    vars: {},
    now,
    regionCurrency,
  });
}

Deno.test("decimal strings are exact; cents scale and sign inversion (xAI)", () => {
  assertEquals(
    run({
      fields: { balance: { path: "total.val", scale: "0.01", negate: true } },
      currency: "USD",
    }, {
      total: { val: "-1000" },
    }),
    { kind: "balance", balance: 10, currency: "USD" },
  );
  assertEquals(
    run({
      fields: { balance: { path: "infos[currency=CNY].total" } },
      currency: { path: "infos[0].currency" },
    }, {
      infos: [{ currency: "CNY", total: "110.00" }],
    }),
    { kind: "balance", balance: 110, currency: "CNY" },
  );
});

Deno.test("sums over arrays and pages never drift; difference of two fields", () => {
  const spend = normalize({
    plan: {
      kind: "spend",
      fields: { spend: { path: "data[*].results[*].amount.value" } },
      currency: "USD",
    },
    responses: new Map([["costs", [
      { data: [{ results: [{ amount: { value: 0.1 } }, { amount: { value: 0.2 } }] }] },
      { data: [{ results: [{ amount: { value: 0.7 } }] }] },
    ]]]),
    vars: {},
    now,
  });
  assertEquals(spend.spend, 1);
  const bal = run(
    {
      fields: {
        balance: { difference: [{ path: "data.total_credits" }, { path: "data.total_usage" }] },
      },
    },
    { data: { total_credits: 25.5, total_usage: 5.25 } },
    "USD",
  );
  assertEquals(bal, { kind: "balance", balance: 20.25, currency: "USD" });
  // 1/10000 units (Novita) and units+nanos (Fireworks)
  assertEquals(
    run({ fields: { balance: { path: "availableBalance", scale: "0.0001" } } }, {
      availableBalance: "123456",
    }).balance,
    12.3456,
  );
  assertEquals(
    run({
      kind: "spend",
      fields: { spend: { sum: [{ path: "c.units" }, { path: "c.nanos", scale: "0.000000001" }] } },
    }, { c: { units: "3", nanos: 500000000 } }).spend,
    3.5,
  );
});

Deno.test("a missing figure is unknown, never a made-up zero; bad values are parse errors", () => {
  assertThrows(
    () => run({ fields: { balance: { path: "nope" } } }, { other: 1 }),
    (e) => e instanceof FetchError && e.kind === "parse" && /balance/.test(e.message),
  );
  const partial = run({ fields: { balance: { path: "b" }, limit: { path: "missing" } } }, { b: 1 });
  assertEquals("limit" in partial, false);
  for (const bad of ["abc", "NaN", "Infinity", "", {}, [], true]) {
    assertThrows(
      () => run({ fields: { balance: { path: "b" } } }, { b: bad }),
      (e) => e instanceof FetchError && e.kind === "parse",
    );
  }
  assertEquals(run({ fields: { balance: { path: "b" } } }, { b: -0 }).balance, 0);
});

Deno.test("timestamps, text, spend window and region currency", () => {
  const m = normalize({
    plan: {
      kind: "quota",
      fields: {
        quota_used_percent: { path: "limits[type=TOKENS_LIMIT].percentage" },
        quota_resets_at: {
          path: "limits[type=TOKENS_LIMIT].nextResetTime",
          type: "timestamp",
          unit: "ms",
        },
        plan: { path: "level", type: "string" },
      },
    },
    responses: new Map([["q", [{
      level: "pro",
      limits: [{ type: "TIME_LIMIT", percentage: 3 }, {
        type: "TOKENS_LIMIT",
        percentage: 42,
        nextResetTime: 1764072000000,
      }],
    }]]]),
    vars: {},
    now,
  });
  assertEquals(m, {
    kind: "quota",
    quota_used_percent: 42,
    quota_resets_at: "2025-11-25T12:00:00Z",
    plan: "pro",
  });
  const s = normalize({
    plan: {
      kind: "spend",
      fields: { spend: { path: "x" } },
      spendWindow: { start: "{month_start|rfc3339}", end: "{now|rfc3339}" },
    },
    responses: new Map([["s", [{ x: "1.5" }]]]),
    vars: {},
    now,
    regionCurrency: "CNY",
  });
  assertEquals(s, {
    kind: "spend",
    spend: 1.5,
    currency: "CNY",
    spend_window: "2026-11-01T00:00:00Z/2026-11-25T12:34:56Z",
  });
});
