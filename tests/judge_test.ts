// How a key is judged (src/view/judge.ts), and that the browser's badges and `keyz check` are
// two projections of the same judgement: every threshold source, in its documented order.
import { assert, assertEquals } from "./support/assert.ts";
import { makeViews, NOW } from "./support/ui_views.ts";
import { checkKey } from "../src/check/check.ts";
import type { StoreConfig } from "../src/config/store_config.ts";
import { inputOf } from "../src/view/entries.ts";
import {
  DEFAULT_EXPIRING_DAYS,
  errorClassOf,
  type IssueKind,
  judge,
  type JudgeInput,
  thresholdsFrom,
} from "../src/view/judge.ts";
import { ISSUE_BADGE, keyRow } from "../src/ui/rows.ts";
import type { CheckFlags } from "../src/check/check.ts";

const H = 3_600_000;
const D = 24 * H;

interface Case {
  name: string;
  balance: number;
  sidecar?: number;
  config?: StoreConfig;
  flags?: CheckFlags;
  /** The threshold that must apply. */
  want: number | null;
}

// api/deepseek/main: deepseek's manifest declares no lowBalance.
const PATH = "api/deepseek/main";
const CASES: Case[] = [
  { name: "nothing set", balance: 5, want: null },
  {
    name: "store-wide threshold",
    balance: 5,
    config: { thresholds: { min_balance: 1 } },
    want: 1,
  },
  {
    name: "provider beats store-wide",
    balance: 5,
    config: { thresholds: { min_balance: 1 }, providers: { deepseek: { min_balance: 3 } } },
    want: 3,
  },
  {
    name: "config key beats provider",
    balance: 5,
    config: { providers: { deepseek: { min_balance: 3 } }, keys: { [PATH]: { min_balance: 4 } } },
    want: 4,
  },
  {
    name: "key sidecar beats config key",
    balance: 5,
    sidecar: 9,
    config: { keys: { [PATH]: { min_balance: 4 } } },
    want: 9,
  },
  {
    name: "command line beats everything",
    balance: 5,
    sidecar: 9,
    config: { keys: { [PATH]: { min_balance: 4 } }, thresholds: { min_balance: 1 } },
    flags: { minBalance: 2 },
    want: 2,
  },
  { name: "command line alone", balance: 5, flags: { minBalance: 7 }, want: 7 },
];

Deno.test("thresholds: one documented order, and badge and check agree on every source", async () => {
  for (const c of CASES) {
    const [view] = await makeViews([{
      path: PATH,
      metadata: { kind: "balance", balance: c.balance, currency: "USD" },
      key: c.sidecar === undefined ? undefined : { low_balance: c.sidecar },
    }]);
    const config = c.config ?? {};
    const check = checkKey(view, config, c.flags ?? {}, NOW);
    assertEquals(check.thresholds.min_balance, c.want, c.name);
    const low = c.want !== null && c.balance < c.want;
    assertEquals(check.issues.some((i) => i.kind === "low_balance"), low, c.name);
    // The browser's row (no command line) shows the same as check without flags.
    if (!c.flags) {
      const row = keyRow(view, config, NOW);
      assertEquals(row.badges.includes("low"), low, `${c.name}: badge`);
      assertEquals(row.lowBalance, c.want ?? undefined, `${c.name}: threshold shown`);
    }
  }
});

Deno.test("badges are a projection of check's issues, for every issue kind", async () => {
  const views = await makeViews([
    { path: "a/deepseek", metadata: { kind: "balance", balance: 0, currency: "CNY" } },
    {
      path: "b/deepseek",
      metadata: { kind: "balance", balance: 50, currency: "CNY" },
      key: { expires_at: "2026-03-03T00:00:00Z" },
    },
    {
      path: "c/deepseek",
      metadata: { kind: "balance", balance: 50, currency: "CNY" },
      key: { expires_at: "2026-02-01T00:00:00Z" },
    },
    { path: "d/openrouter", metadata: { kind: "balance", balance: 9, available: false } },
    { path: "e/deepseek", metadata: null, error: "HTTP 401" },
    { path: "f/moonshot" },
    { path: "g/zai", metadata: { kind: "quota", quota_used_percent: 10 }, syncedAgoMin: 5000 },
  ]);
  const seen = new Set<IssueKind>();
  for (const v of views) {
    const check = checkKey(v, {}, { staleAfterMs: D }, NOW);
    const row = keyRow(v, { thresholds: { stale_after_hours: 24 } }, NOW);
    for (const i of check.issues) {
      seen.add(i.kind);
      if (i.kind === "error") assert(row.badges.includes("auth"), `${v.path}: ${row.badges}`);
      else assert(row.badges.includes(ISSUE_BADGE[i.kind]), `${v.path}: ${i.kind} ${row.badges}`);
    }
    assertEquals(row.issues.map((i) => i.kind), check.issues.map((i) => i.kind), v.path);
  }
  assertEquals([...seen].sort(), [
    "disabled",
    "error",
    "expired",
    "expiring",
    "low_balance",
    "never_synced",
    "stale",
  ]);
});

Deno.test("zero balance is low without a threshold; expiring defaults to 14 days for check too", () => {
  const base: JudgeInput = {
    base: "fresh",
    refreshMs: H,
    fetchedMs: NOW.getTime(),
    thresholds: {},
  };
  const t = NOW.getTime();
  assertEquals(judge({ ...base, remaining: 0 }, t).issues.map((i) => i.kind), ["low_balance"]);
  assertEquals(judge({ ...base, remaining: 0.01 }, t).issues, []);
  const inDays = (d: number) => new Date(t + d * D).toISOString();
  assertEquals(
    judge({ ...base, expiresAt: inDays(DEFAULT_EXPIRING_DAYS - 1) }, t).issues[0]?.kind,
    "expiring",
  );
  assertEquals(judge({ ...base, expiresAt: inDays(DEFAULT_EXPIRING_DAYS + 1) }, t).issues, []);
  assertEquals(
    judge({ ...base, expiresAt: inDays(20) }, t, { expiring_within_ms: 30 * D }).issues[0]?.kind,
    "expiring",
  );
});

Deno.test("states: live/stale by age, failures by class, keys that are not synced", async () => {
  const t = NOW.getTime();
  const base: JudgeInput = { base: "fresh", refreshMs: H, thresholds: {} };
  assertEquals(judge({ ...base, fetchedMs: t - 10 * 60_000 }, t).state, "live");
  assertEquals(judge({ ...base, fetchedMs: t - 2 * H }, t).state, "stale");
  assertEquals(errorClassOf("timeout"), "network");
  assertEquals(errorClassOf("forbidden"), "auth");
  assertEquals(errorClassOf("retired"), "provider");
  assertEquals(errorClassOf("config"), "config");
  // The class is named once when the error's kind is the class itself.
  const failure = (kind: "network" | "timeout") =>
    judge({ ...base, base: "network", error: { kind, message: "cannot reach x" } }, t).issues[0]
      .message;
  assertEquals(failure("network"), "last sync failed (network): cannot reach x");
  assertEquals(failure("timeout"), "last sync failed (network: timeout): cannot reach x");
  for (const s of ["not_yours", "untrusted", "unavailable"] as const) {
    assertEquals(judge({ ...base, base: s }, t, { stale_after_ms: H }).issues, [], s);
  }
  const [failed] = await makeViews([
    { path: "x/deepseek", metadata: { kind: "balance", balance: 3, currency: "CNY" }, error: "x" },
  ]);
  const input = inputOf(failed, {});
  assertEquals(input.base, "auth");
  assertEquals(input.remaining, 3, "the last good figure stays");
  assertEquals(
    thresholdsFrom({ store: { expiring_within_days: 2, stale_after_hours: 3 } }),
    { expiring_within_ms: 2 * D, stale_after_ms: 3 * H },
  );
});
