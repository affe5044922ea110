// keyz history: the pure series/burn/projection/sparkline functions, and the command end to end.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import {
  burnRate,
  mergeSeries,
  parseSince,
  type Point,
  pointFromHistory,
  pointFromSnapshot,
  projectRunOut,
  sparkline,
} from "../src/history/series.ts";
import { makeStore } from "./support/store.ts";
import { runKeyz } from "./support/cli.ts";

const bal = (at: string, value: number, source: Point["source"] = "history"): Point => ({
  at,
  value,
  figure: "balance",
  currency: "USD",
  source,
});

Deno.test("points: headline figure from history lines and snapshots", () => {
  assertEquals(
    pointFromHistory({
      at: "2026-01-01T00:00:00Z",
      status: "ok",
      provider: "x",
      kind: "balance",
      balance: 5,
      currency: "USD",
    }),
    bal("2026-01-01T00:00:00Z", 5),
  );
  assertEquals(
    pointFromHistory({ at: "2026-01-01T00:00:00Z", status: "error", provider: "x", error: "auth" }),
    undefined,
  );
  assertEquals(
    pointFromHistory({
      at: "2026-01-01T00:00:00Z",
      status: "ok",
      provider: "x",
      kind: "quota",
      quota_used_percent: 40,
    })?.value,
    40,
  );
  // A snapshot is dated by when its figures were fetched.
  const p = pointFromSnapshot({
    schema_version: 2,
    account: "x/a",
    provider: "x",
    metadata: { kind: "balance", limit_remaining: 8 },
    fetched_at: "2026-01-02T00:00:00Z",
  });
  assertEquals(p, { at: "2026-01-02T00:00:00Z", value: 8, figure: "balance", source: "git" });
});

Deno.test("mergeSeries dedupes by time (history wins), sorts, filters by since", () => {
  const s = mergeSeries(
    [bal("2026-01-02T00:00:00Z", 9), bal("2026-01-01T00:00:00Z", 10)],
    [bal("2026-01-02T00:00:00.000Z", 9, "git"), bal("2025-12-31T00:00:00Z", 11, "git")],
  );
  assertEquals(s.map((p) => [p.value, p.source]), [[11, "git"], [10, "history"], [9, "history"]]);
  const since = mergeSeries(s, [], new Date("2026-01-01T00:00:00Z"));
  assertEquals(since.map((p) => p.value), [10, 9]);
  assertEquals(mergeSeries([], []), []);
});

Deno.test("burn rate ignores top-ups; projection dates the run-out", () => {
  const s = [
    bal("2026-01-01T00:00:00Z", 10),
    bal("2026-01-02T00:00:00Z", 8),
    bal("2026-01-03T00:00:00Z", 20), // top-up
    bal("2026-01-05T00:00:00Z", 16),
  ];
  const rate = burnRate(s)!;
  assertEquals(rate, 6 / 4);
  const out = projectRunOut(s, rate)!;
  assertEquals(
    out.toISOString(),
    new Date(Date.parse("2026-01-05T00:00:00Z") + (16 / 1.5) * 86_400_000).toISOString(),
  );
  assertEquals(burnRate([bal("2026-01-01T00:00:00Z", 1)]), undefined);
  assertEquals(
    burnRate([bal("2026-01-01T00:00:00Z", 2), bal("2026-01-01T00:10:00Z", 1)]),
    undefined,
  );
  assertEquals(projectRunOut(s, 0), undefined);
  // Spend resets count the new value; no run-out date for spend.
  const spend = (at: string, value: number): Point => ({
    at,
    value,
    figure: "spend",
    source: "history",
  });
  const sp = [
    spend("2026-01-01T00:00:00Z", 5),
    spend("2026-01-02T00:00:00Z", 7),
    spend("2026-01-03T00:00:00Z", 1),
  ];
  assertEquals(burnRate(sp), 3 / 2);
  assertEquals(projectRunOut(sp, 1.5), undefined);
  // Quota: runs out at 100 %.
  const q = (at: string, value: number): Point => ({
    at,
    value,
    figure: "quota",
    source: "history",
  });
  const qs = [q("2026-01-01T00:00:00Z", 20), q("2026-01-03T00:00:00Z", 60)];
  assertEquals(projectRunOut(qs, burnRate(qs))?.toISOString(), "2026-01-05T00:00:00.000Z");
});

Deno.test("sparkline scales min..max and buckets to the width", () => {
  assertEquals(sparkline([]), "");
  assertEquals(sparkline([1, 2, 3, 4, 5, 6, 7, 8]), "▁▂▃▄▅▆▇█");
  assertEquals(sparkline([5, 5, 5]), "▄▄▄");
  assertEquals(sparkline([8, 1], 10), "█▁");
  assertEquals([...sparkline(Array.from({ length: 100 }, (_, i) => i), 20)].length, 20);
});

Deno.test("parseSince: dates, timestamps, ages; junk is undefined", () => {
  const now = new Date("2026-02-01T00:00:00Z");
  assertEquals(parseSince("2026-01-31", now)?.toISOString(), "2026-01-31T00:00:00.000Z");
  assertEquals(parseSince("2026-01-31T12:00:00Z", now)?.toISOString(), "2026-01-31T12:00:00.000Z");
  assertEquals(parseSince("2d", now)?.toISOString(), "2026-01-30T00:00:00.000Z");
  assertEquals(parseSince("1w", now)?.toISOString(), "2026-01-25T00:00:00.000Z");
  assertEquals(parseSince("yesterday", now), undefined);
  assertEquals(parseSince("2026-13-45", now), undefined);
});

Deno.test("keyz history: table, chart, burn rate, --json, --since, errors", async () => {
  const store = await makeStore({ entries: { "api/deepseek/main": "sk-CANARY-history-1" } });
  const env = store.env;
  try {
    const lines = [
      { at: "2026-01-01T00:00:00Z", b: 30 },
      { at: "2026-01-02T00:00:00Z", b: 27 },
      { at: "2026-01-03T00:00:00Z" },
      { at: "2026-01-04T00:00:00Z", b: 24 },
    ].map((l) =>
      JSON.stringify(
        l.b === undefined
          ? { at: l.at, status: "error", provider: "deepseek", error: "network" }
          : {
            at: l.at,
            status: "ok",
            provider: "deepseek",
            kind: "balance",
            balance: l.b,
            currency: "USD",
          },
      )
    ).join("\n") + "\n{torn line\n";
    await Deno.mkdir(`${store.storeDir}/.keyz/history/api/deepseek`, { recursive: true });
    await Deno.writeTextFile(`${store.storeDir}/.keyz/history/api/deepseek/main.jsonl`, lines);

    const j = await runKeyz(["history", "api/deepseek/main", "--json"], { env });
    assertEquals(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout);
    assertEquals(doc.points.map((p: { value: number }) => p.value), [30, 27, 24]);
    assertEquals(doc.figure, "balance");
    assertEquals(doc.burn_per_day, 2);
    assertEquals(doc.runs_out_at, "2026-01-16T00:00:00.000Z");
    assertEquals(doc.failed_syncs, 1);

    const h = await runKeyz(["history", "api/deepseek/main"], { env: { ...env, NO_COLOR: "1" } });
    assertEquals(h.code, 0, h.stderr);
    assertMatch(h.stdout, /2026-01-02 00:00:00\s+27\.00 USD\s+-3\.00/);
    assertMatch(h.stdout, /█▅▁ {2}min 24\.00 USD, max 30\.00 USD/);
    assertMatch(h.stdout, /burn rate: 2\.00 USD per day/);
    assertMatch(h.stdout, /runs out: 2026-01-16/);

    const s = await runKeyz(["history", "api/deepseek/main", "--since", "2026-01-02", "--json"], {
      env,
    });
    assertEquals(JSON.parse(s.stdout).points.length, 2);
    const bad = await runKeyz(["history", "api/deepseek/main", "--since", "soon"], { env });
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /--since soon is not a date/);
    const none = await runKeyz(["history", "no/such/key"], { env });
    assertEquals(none.code, 2);
    assert(none.stderr.startsWith("keyz: no such entry: no/such/key"));
  } finally {
    await store.cleanup();
  }
});
