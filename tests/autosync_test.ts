// Autosync without a terminal or a clock: which keys are due (plan.ts, the one rule for
// `sync --stale` and the browser), the backoff's doubling and cap, and the browser's scheduling
// state machine (src/ui/autosync.ts) driven by a fake clock: start, periodic checks, debounce
// on the selected key, `a`, config that turns it off, one burst at a time, offline.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { builtins, NOW, sampleState } from "./support/ui_views.ts";
import {
  BACKOFF_CAP_MINUTES,
  duePaths,
  dueState,
  MINUTE_MS,
  planSync,
  waitAfterMs,
} from "../src/sync/plan.ts";
import { type EntryView, viewEntry } from "../src/view/entries.ts";
import type { AccountSidecar } from "../src/sidecars/schema.ts";
import { emptyState } from "../src/sidecars/state.ts";
import type { StoreConfig } from "../src/config/store_config.ts";
import {
  type Autosync,
  autosyncTiming,
  burstDone,
  CHECK_MINUTES,
  DEBOUNCE_MS,
  startAutosync,
  syncOutcome,
  tick,
  toggleAutosync,
  wakeAt,
} from "../src/ui/autosync.ts";
import { onKey, onTick, setLockHolder, type UiState, updateAutosync } from "../src/ui/state.ts";
import { render } from "../src/ui/render.ts";
import { helpLines } from "../src/ui/keymap.ts";

const MIN = MINUTE_MS;
const HOUR = 60 * MIN;
const T = NOW.getTime();
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

Deno.test("backoff: the refresh interval, doubled per failure in a row, capped at an hour", () => {
  const waits = (refresh: number) =>
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => waitAfterMs(refresh, n) / MIN);
  assertEquals(waits(15 * MIN), [15, 15, 30, 60, 60, 60, 60, 60, 60, 60]);
  assertEquals(waits(MIN), [1, 1, 2, 4, 8, 16, 32, 60, 60, 60]);
  // Never more often than a success would: a 6-hour key is tried every 6 hours.
  assertEquals(waits(6 * HOUR), [360, 360, 360, 360, 360, 360, 360, 360, 360, 360]);
  assertEquals(BACKOFF_CAP_MINUTES, 60);
  // A shorter minute (KEYZ_MINUTE_MS in tests) shortens the cap with everything else.
  assertEquals(waitAfterMs(100, 9, 100), 60 * 100);
});

interface Spec {
  path: string;
  fetchedAgo?: number;
  tried?: { ago: number; failures: number };
  notAKey?: boolean;
}

/** Entry views as the files would give them (real built-in manifests), at NOW. */
async function views(
  specs: Spec[],
  o: { untrusted?: string[]; notYours?: string[] } = {},
): Promise<EntryView[]> {
  const accounts = new Map<string, AccountSidecar>();
  const state = emptyState();
  const src = {
    providers: await builtins(),
    map: {},
    config: {},
    state,
    untrusted: new Set(o.untrusted ?? []),
    notYours: new Set(o.notYours ?? []),
    readKey: () => ({ ok: false as const, missing: true as const }),
    readAccount: (id: string) => {
      const a = accounts.get(id);
      return a ? { ok: true as const, value: a } : { ok: false as const, missing: true as const };
    },
  };
  for (const s of specs) {
    const id = viewEntry(src, s.path).accountId;
    if (id && s.fetchedAgo !== undefined) {
      accounts.set(id, {
        schema_version: 2,
        account: id,
        provider: id.split("/")[0],
        metadata: { kind: "balance", balance: 1, currency: "USD" },
        fetched_at: iso(T - s.fetchedAgo),
      });
    }
    if (id && s.tried) {
      state.accounts[id] = {
        at: iso(T - s.tried.ago),
        failures: s.tried.failures,
        ...(s.tried.failures
          ? { error: { kind: "network" as const, message: "cannot reach: dns error" } }
          : {}),
      };
    }
    if (s.notAKey) {
      state.entries[s.path] = {
        not_a_key: { provider: "deepseek", gpg_sha256: "a".repeat(64), at: iso(T - HOUR) },
      };
    }
  }
  return specs.map((s) => viewEntry(src, s.path));
}

Deno.test("due: never tried, or tried longer ago than the refresh interval (or the backoff)", async () => {
  const vs = await views([
    { path: "api/deepseek/never" },
    { path: "api/deepseek/fresh", fetchedAgo: 10 * MIN },
    { path: "api/deepseek/old", fetchedAgo: 2 * HOUR },
    // Fetched long ago, but tried (and failed once) 10 minutes ago: asked again in an hour.
    { path: "api/deepseek/failed", fetchedAgo: 5 * HOUR, tried: { ago: 10 * MIN, failures: 1 } },
    // Z.ai refreshes every 15 minutes; 3 failures in a row: 60 minutes.
    { path: "work/zai/offline", tried: { ago: 40 * MIN, failures: 3 } },
    { path: "work/zai/back", tried: { ago: 61 * MIN, failures: 3 } },
  ]);
  const due = Object.fromEntries(vs.map((v) => [v.path, dueState(v, {}, T)]));
  assertEquals(due["api/deepseek/never"], { due: true });
  assertEquals(due["api/deepseek/fresh"], { due: false, why: "fresh", until: T + 50 * MIN });
  assertEquals(due["api/deepseek/old"], { due: true });
  assertEquals(due["api/deepseek/failed"], { due: false, why: "fresh", until: T + 50 * MIN });
  assertEquals(due["work/zai/offline"], { due: false, why: "backoff", until: T + 20 * MIN });
  assertEquals(due["work/zai/back"], { due: true });
  // The store config's refresh, per provider and per key (the key's wins).
  const config: StoreConfig = {
    providers: { deepseek: { refresh: "5m" } },
    keys: { "api/deepseek/old": { refresh: "1d" } },
  };
  assertEquals(dueState(vs[1], config, T), { due: true });
  assertEquals(dueState(vs[2], config, T).due, false);
  // `sync --stale` plans with the same rule and says which are backing off.
  const plan = planSync(vs, {}, T, { staleOnly: true });
  assertEquals(plan.jobs.flatMap((j) => j.paths).sort(), [
    "api/deepseek/never",
    "api/deepseek/old",
    "work/zai/back",
  ]);
  const offline = plan.skipped.find((s) => s.path === "work/zai/offline")!;
  assertEquals(offline.reason, "backoff");
  assertMatch(offline.note!, /failed 3 times in a row; next try after 2026-03-01T12:20:00Z/);
});

Deno.test("due for autosync: keys only, never one that is not a key, not ours or untrusted", async () => {
  const vs = await views([
    { path: "api/deepseek/main" },
    { path: "api/deepseek/fresh", fetchedAgo: 10_000 },
    { path: "misc/wifi" },
    { path: "api/deepseek/notakey", notAKey: true },
    { path: "team/deepseek/theirs" },
    { path: "work/moonshot/main" },
  ], { untrusted: ["moonshot"], notYours: ["team/deepseek/theirs"] });
  assertEquals(duePaths(vs, {}, T), ["api/deepseek/main"]);
  // A minute of 1 s (KEYZ_MINUTE_MS=1000): the fresh key's hour is an hour of such minutes.
  assertEquals(duePaths(vs, {}, T, 1000), ["api/deepseek/main"]);
  assertEquals(duePaths(vs, {}, T + 50_000, 1000).sort(), [
    "api/deepseek/fresh",
    "api/deepseek/main",
  ]);
});

// ---------------------------------------------------------------------------------------------
// The state machine, on a fake clock.

const TIMING = autosyncTiming();
const CHECK = TIMING.checkMs;

/** A fake world: which keys are due, and which due() calls were made. */
function world(due: string[]) {
  const calls: (readonly string[] | undefined)[] = [];
  return {
    due: new Set(due),
    calls,
    input(now: number, selected?: string) {
      return {
        now,
        selected,
        due: (only?: readonly string[]) => {
          calls.push(only);
          return [...this.due].filter((p) => !only || only.includes(p)).sort();
        },
      };
    },
  };
}

Deno.test("autosync: a burst of the due keys on start, then one look every CHECK_MINUTES", () => {
  assertEquals([CHECK_MINUTES, DEBOUNCE_MS, CHECK], [5, 1500, 5 * MIN]);
  const w = world(["a/deepseek", "b/zai"]);
  let a: Autosync = startAutosync({ now: T, timing: TIMING });
  assertEquals(wakeAt(a), T);
  let t = tick(a, w.input(T));
  assertEquals(t.burst, ["a/deepseek", "b/zai"]);
  a = t.autosync;
  // One burst at a time: nothing is decided, and no wake-up is needed, until it ends.
  assertEquals(wakeAt(a), undefined);
  assertEquals(tick(a, w.input(T + 2 * CHECK)).burst, undefined);
  a = burstDone(a);
  w.due.clear();
  assertEquals(wakeAt(a), T + CHECK);
  t = tick(a, w.input(T + CHECK - 1));
  assertEquals([t.burst, w.calls.length], [undefined, 1]); // not looked again before its time
  // A key came due meanwhile: found at the next look.
  w.due.add("c/openrouter");
  t = tick(t.autosync, w.input(T + CHECK));
  assertEquals(t.burst, ["c/openrouter"]);
  a = burstDone(t.autosync);
  // Nothing due: no burst, the next look is a whole interval later.
  w.due.clear();
  t = tick(a, w.input(T + 2 * CHECK + 10));
  assertEquals(t.burst, undefined);
  assertEquals(wakeAt(t.autosync), T + 3 * CHECK + 10);
});

Deno.test("autosync: the selected due key is synced after a pause of DEBOUNCE_MS, once", () => {
  const w = world([]);
  let a = tick(startAutosync({ now: T, timing: TIMING }), w.input(T)).autosync; // nothing due
  // The cursor passes over keys: none is synced.
  a = tick(a, w.input(T + 100, "k/one")).autosync;
  a = tick(a, w.input(T + 900, "k/two")).autosync;
  assertEquals(wakeAt(a), T + 900 + DEBOUNCE_MS);
  w.due.add("k/two");
  let t = tick(a, w.input(T + 900 + DEBOUNCE_MS - 1, "k/two"));
  assertEquals(t.burst, undefined);
  t = tick(t.autosync, w.input(T + 900 + DEBOUNCE_MS, "k/two"));
  assertEquals(t.burst, ["k/two"]);
  assertEquals(w.calls.at(-1), ["k/two"]); // only the selected key was looked at
  a = burstDone(t.autosync);
  // Resting longer on it does nothing more (its pause was acted on) ...
  assertEquals(tick(a, w.input(T + 10_000, "k/two")).burst, undefined);
  assertEquals(wakeAt(a), T + CHECK);
  // ... nor on a key that is not due; coming back to a due key pauses again.
  a = tick(a, w.input(T + 11_000, "k/one")).autosync;
  a = tick(a, w.input(T + 11_000 + DEBOUNCE_MS, "k/one")).autosync;
  a = tick(a, w.input(T + 20_000, "k/two")).autosync;
  t = tick(a, w.input(T + 20_000 + DEBOUNCE_MS, "k/two"));
  assertEquals(t.burst, ["k/two"]);
  // A pause during a burst waits for the burst to end.
  a = tick(t.autosync, w.input(T + 30_000, "k/three")).autosync;
  w.due.add("k/three");
  assertEquals(tick(a, w.input(T + 40_000, "k/three")).burst, undefined);
  t = tick(burstDone(a), w.input(T + 40_001, "k/three"));
  assertEquals(t.burst, ["k/three"]);
});

Deno.test("autosync: `a` turns it off and on for the session; config turns it off for good", () => {
  const w = world(["k/due"]);
  let a = toggleAutosync(startAutosync({ now: T, timing: TIMING }));
  assertEquals([a.on, wakeAt(a)], [false, undefined]);
  for (const now of [T, T + CHECK, T + 10 * CHECK]) {
    assertEquals(tick(a, w.input(now, "k/due")).burst, undefined);
  }
  assertEquals(w.calls.length, 0);
  a = toggleAutosync(a);
  assert(a.on);
  const t = tick(a, w.input(T + 10 * CHECK + 1));
  assertEquals(t.burst, ["k/due"]); // back on: looks at once
  for (const offBy of ["store config", "user config"] as const) {
    const off = startAutosync({ now: T, timing: TIMING, offBy });
    assertEquals([off.on, off.offBy, toggleAutosync(off)], [false, offBy, off]);
    assertEquals(tick(off, w.input(T)).burst, undefined);
  }
});

Deno.test("autosync: offline when every failure was the network's, until a sync gets through", () => {
  let a = startAutosync({ now: T, timing: TIMING });
  const since = "2026-03-01T11:58:00Z";
  a = syncOutcome(a, { tried: true, offline: { providers: 3, since } });
  assertEquals(a.unreachable, { providers: 3, since });
  assertEquals(syncOutcome(a, { tried: false }).unreachable, a.unreachable); // nothing tried
  assertEquals(syncOutcome(a, { tried: true }).unreachable, undefined);
});

// ---------------------------------------------------------------------------------------------
// Wired into the browser's state (state.ts) and screen (render.ts).

const plain = (s: UiState, w = 100) => render(s, { width: w, height: 24, color: false });

async function started(o: { offBy?: "store config" | "user config" } = {}): Promise<UiState> {
  const s = await sampleState();
  return { ...s, autosync: startAutosync({ now: T, timing: TIMING, ...o }) };
}

Deno.test("browser: the due keys are synced on start; the header says autosync is on", async () => {
  const before = await sampleState();
  assertEquals(onTick(before, T).effects, []); // not started: details still loading
  assert(!plain(before)[0].includes("autosync"));
  const s = await started();
  // work/zai was synced 10 hours ago (Z.ai: every 15 minutes); the others a minute ago, or
  // they failed a minute ago (siliconflow: tried again in an hour).
  const step = onTick(s, T);
  assertEquals(step.effects, [{ type: "autosync", paths: ["work/zai"] }]);
  assertMatch(plain(step.state)[0], /5 keys · sort: name · autosync on $/);
  // A key already being synced is not synced twice.
  const syncing = { ...s, syncing: new Set(["work/zai"]) };
  assertEquals(onTick(syncing, T).effects, []);
});

Deno.test("browser: a toggles autosync; help and footer have it; config keeps it off", async () => {
  let s = await started();
  let step = onKey(s, { name: "char", ch: "a" });
  assertEquals(step.effects, [{ type: "autosync-off" }]);
  s = step.state;
  assertMatch(plain(s)[0], /autosync off $/);
  assertMatch(s.message!.text, /autosync off for this session/);
  assertEquals(onTick(s, T + 10 * CHECK).effects, []);
  s = onKey(s, { name: "char", ch: "a" }).state;
  assertMatch(plain(s)[0], /autosync on $/);
  assertEquals(onTick(s, T + 10 * CHECK).effects.length, 1);
  assert(helpLines("tree").some(([keys, help]) => keys.includes("a") && /autosync/.test(help)));
  assertMatch(plain(s, 200).at(-1)!, /a autosync/);

  const off = await started({ offBy: "store config" });
  step = onKey(off, { name: "char", ch: "a" });
  assertEquals(step.effects, []);
  assertMatch(step.state.message!.text, /off for good in the store config/);
  assertMatch(plain(step.state)[0], /autosync off \(store config\) $/);
  assertEquals(onTick(off, T).effects, []);
  // Before the store's details are read, a says so.
  assertMatch(onKey(await sampleState(), { name: "char", ch: "a" }).state.message!.text, /still/);
});

Deno.test("browser: unreachable providers in the header, a held lock in the status line", async () => {
  let s = await started();
  const since = new Date(T - 5 * MIN);
  s = updateAutosync(
    s,
    (a) => syncOutcome(a, { tried: true, offline: { providers: 2, since: since.toISOString() } }),
  );
  const two = (n: number) => String(n).padStart(2, "0");
  const hhmm = `${two(since.getHours())}:${two(since.getMinutes())}`;
  assert(plain(s)[0].includes(`○ 2 providers unreachable since ${hhmm} · 5 keys`), plain(s)[0]);
  s = setLockHolder(s, "keyz process 4242 (sync)");
  assertMatch(plain(s)[22], /⧗ waiting for keyz process 4242 \(sync\) to finish with the store/);
  s = setLockHolder(s, undefined);
  assert(!plain(s)[22].includes("waiting"));
});

Deno.test("user config: ~/.config/keyz/config.jsonc, validated; a bad one is one line", async () => {
  const { readUserConfig } = await import("../src/config/user_config.ts");
  const { KeyzError } = await import("../src/errors.ts");
  const dir = await Deno.makeTempDir({ prefix: "keyz-user-config-" });
  try {
    assertEquals(await readUserConfig(dir), {});
    await Deno.writeTextFile(`${dir}/config.jsonc`, '{\n  // mine\n  "autosync": false,\n}\n');
    assertEquals(await readUserConfig(dir), { autosync: false });
    for (
      const [text, why] of [
        ['{"autosync": "no"}', /config\.jsonc: autosync: .*boolean/],
        ['{"autosync": false, "git": "none"}', /config\.jsonc: \(top level\): .*git/],
        ["{autosync: ", /config\.jsonc: invalid JSONC/],
      ] as const
    ) {
      await Deno.writeTextFile(`${dir}/config.jsonc`, text);
      const e = await readUserConfig(dir).then(() => undefined, (e) => e);
      assert(e instanceof KeyzError, text);
      assertMatch(e.format(), why);
      assertEquals(e.format().split("\n").length, 1);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the browser's first screen imports autosync's rule without zod, JSONC or manifests", async () => {
  const { ROOT } = await import("./support/cli.ts");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", `${ROOT}/main.ts`],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
    redirects: Record<string, string>;
  };
  const bySpec = new Map(graph.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const todo = [new URL("src/cli/browse.ts", `file://${ROOT}/`).href];
  while (todo.length) {
    const s = graph.redirects[todo.at(-1)!] ?? todo.at(-1)!;
    todo.pop();
    if (seen.has(s)) continue;
    seen.add(s);
    for (const d of bySpec.get(s)?.dependencies ?? []) {
      if (!d.isDynamic && d.code) todo.push(d.code.specifier);
    }
  }
  const all = [...seen];
  assert(all.some((s) => s.endsWith("/src/sync/plan.ts")), "plan.ts not statically imported");
  const heavy = all.filter((s) => /zod|jsonc-parser|\.jsonc$|providers\/load\.ts/.test(s));
  assertEquals(heavy, [], "the browser's start-up loads these");
});
