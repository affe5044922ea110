// Untrusted input is bounded (trust rule 5): nesting, array sizes, text lengths and timestamps,
// in manifests from a shared store and in provider responses.
import { assert, assertEquals, assertMatch, assertThrows } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import {
  MAX_MANIFEST_BYTES,
  MAX_MANIFEST_DEPTH,
  mergeManifests,
  parseManifest,
} from "../src/providers/load.ts";
import { MAX_PATH_VALUES, select } from "../src/providers/jsonpath.ts";
import { MAX_TEXT_FIELD, normalize } from "../src/normalize/normalize.ts";
import { depthExceededAt } from "../src/util/jsonc_depth.ts";
import { FetchError } from "../src/errors.ts";
import { Metadata } from "../src/sidecars/schema.ts";
import type { Plan } from "../src/providers/manifest.ts";

const BRACKETS = "[".repeat(20_000);

Deno.test("depth scan: strings and comments do not count; the first too-deep bracket is found", () => {
  assertEquals(depthExceededAt('{"a": [1, {"b": 2}]}', 3), undefined);
  assertEquals(depthExceededAt('{"a": [1, {"b": 2}]}', 2), 10);
  assertEquals(depthExceededAt('{"a": "[[[[[[", "b\\"[[[": 1} // [[[[\n/* [[[[ */', 1), undefined);
  assertEquals(depthExceededAt(BRACKETS, 32), 32);
});

Deno.test("a manifest of 20 KB of brackets is one problem, not a stack overflow", () => {
  const r = parseManifest(BRACKETS, "store/deep.jsonc");
  assert(!r.ok);
  assertEquals(r.problems.length, 1);
  assertEquals(r.problems[0].message, `nested deeper than ${MAX_MANIFEST_DEPTH} levels; skipped`);
  assertEquals([r.problems[0].line, r.problems[0].col], [1, MAX_MANIFEST_DEPTH + 1]);
  const set = mergeManifests([
    { file: "store/deep.jsonc", text: `{"id": ${BRACKETS}`, source: "store" },
    { file: "store/big.jsonc", text: "", source: "store", tooLarge: true },
  ]);
  assertEquals(set.problems.map((p) => p.message), [
    `nested deeper than ${MAX_MANIFEST_DEPTH} levels; skipped`,
    `file is larger than ${MAX_MANIFEST_BYTES} bytes; skipped`,
  ]);
});

Deno.test("[*] over 250,000 elements: a typed parse error, no stack overflow", () => {
  const doc = { items: Array.from({ length: 250_000 }, (_, i) => ({ cost: i % 7 })) };
  assertThrows(
    () => select(doc, "items[*].cost"),
    (e) =>
      e instanceof FetchError && e.kind === "parse" && /more than 100000 values/.test(e.message),
  );
  assertThrows(
    () =>
      normalize({
        plan: { kind: "spend", fields: { spend: { path: "items[*].cost" } } },
        responses: new Map([["main", [doc]]]),
        vars: {},
        now: new Date(),
      }),
    (e) =>
      e instanceof FetchError && e.kind === "parse" && /^field spend: .*100000/.test(e.message),
  );
  // Up to the limit it is summed exactly, and min/max of as many timestamps need no spread.
  const ok = { items: Array.from({ length: MAX_PATH_VALUES }, (_, i) => 1_700_000_000 + i) };
  const m = normalize({
    plan: {
      kind: "quota",
      fields: {
        quota_used_percent: { path: "items[*]", aggregate: "count" },
        quota_resets_at: { path: "items[*]", type: "timestamp", aggregate: "min" },
        expires_at: { path: "items[*]", type: "timestamp", aggregate: "max" },
      },
    },
    responses: new Map([["main", [ok]]]),
    vars: {},
    now: new Date(),
  });
  assertEquals(m.quota_used_percent, MAX_PATH_VALUES);
  assertEquals(m.quota_resets_at, "2023-11-14T22:13:20Z");
});

const plan = (fields: Plan["fields"]): Pick<Plan, "kind" | "fields"> => ({
  kind: "balance",
  fields: { balance: { path: "b" }, ...fields },
});
const run = (fields: Plan["fields"], body: unknown, redact?: (t: string) => string) =>
  normalize({
    plan: plan(fields),
    responses: new Map([["main", [{ b: 1, ...body as object }]]]),
    vars: {},
    now: new Date(),
    redact,
  });

Deno.test("timestamps outside 1970..9999 are parse errors naming the field", () => {
  const at = { expires_at: { path: "t", type: "timestamp" as const } };
  const atMs = { quota_resets_at: { path: "t", type: "timestamp" as const, unit: "ms" as const } };
  assertEquals(run(at, { t: "9999-12-31T23:59:59Z" }).expires_at, "9999-12-31T23:59:59Z");
  assertEquals(run(at, { t: 0 }).expires_at, "1970-01-01T00:00:00Z");
  for (
    const [fields, t] of [
      [at, "+010000-01-01T00:00:00Z"],
      [at, "1969-12-31T23:59:59Z"],
      [at, 253_402_300_800],
      [at, -1],
      [atMs, 253_402_300_800_000],
      [atMs, 8.64e15],
    ] as const
  ) {
    const e = (() => {
      try {
        run(fields, { t });
      } catch (e) {
        return e;
      }
    })();
    assert(e instanceof FetchError && e.kind === "parse", `${JSON.stringify(t)}: ${e}`);
    assertMatch(
      e.message,
      /^field (expires_at|quota_resets_at): .* is out of range \(years 1970 to 9999\)$/,
    );
  }
  // What keyz writes at the limits, it reads back.
  const limits = run({ ...at, ...{ quota_resets_at: { path: "u", type: "timestamp" } } }, {
    t: "9999-12-31T23:59:59Z",
    u: "1970-01-01T00:00:00Z",
  });
  assert(Metadata.safeParse(limits).success, JSON.stringify(limits));
});

Deno.test("text figures are capped after redaction", () => {
  const key = keyLike("openrouter", "bounded");
  const huge = "x".repeat(1_800_000);
  const m = run({ label: { path: "l", type: "string" } }, { l: huge });
  assertEquals(m.label!.length, MAX_TEXT_FIELD);
  assert(m.label!.endsWith("…"));
  // The key straddles the cut: redacted whole first, so no piece of it survives the cut.
  const straddle = `${"y".repeat(MAX_TEXT_FIELD - 20)}${key}`;
  const r = run(
    { label: { path: "l", type: "string" } },
    { l: straddle },
    (t) => t.replaceAll(key, "[redacted]"),
  );
  assertEquals(r.label, `${"y".repeat(MAX_TEXT_FIELD - 20)}[redacted]`);
  assert(Metadata.safeParse(r).success);
});

Deno.test("a deeply nested store manifest or config: one line, every command still runs", async () => {
  const store = await makeStore({ entries: { "api/deepseek/main": "sk-CANARY-bounded-deep-1" } });
  try {
    await Deno.mkdir(`${store.storeDir}/.keyz/providers`, { recursive: true });
    await Deno.writeTextFile(`${store.storeDir}/.keyz/providers/deep.jsonc`, BRACKETS);
    for (const args of [["ls"], ["providers", "list"], ["check"], ["show", "api/deepseek/main"]]) {
      const r = await runKeyz(args, { env: store.env });
      assert(!/Maximum call stack/.test(r.stderr + r.stdout), `${args}: ${r.stderr}`);
      assertEquals(r.code === 0 || r.code === 1, true, `${args}: ${r.stderr}`);
      const lines = r.stderr.trimEnd().split("\n").filter((l) => l.includes("deep.jsonc"));
      assertEquals(lines.length, 1, `${args}: ${r.stderr}`);
      assertMatch(lines[0], /deep\.jsonc:1:33: nested deeper than 32 levels; skipped/);
    }
    await Deno.remove(`${store.storeDir}/.keyz/providers/deep.jsonc`);
    await Deno.writeTextFile(`${store.storeDir}/.keyz/config.jsonc`, `{"thresholds": ${BRACKETS}`);
    for (const args of [["ls"], ["check"]]) {
      const r = await runKeyz(args, { env: { ...store.env, KEYZ_NO_CACHE: "1" } });
      assert(!/Maximum call stack|unexpected error/.test(r.stderr), `${args}: ${r.stderr}`);
      assertEquals(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      assertMatch(r.stderr, /config\.jsonc: nested deeper than 16 levels/);
    }
  } finally {
    await store.cleanup();
  }
});
