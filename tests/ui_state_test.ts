// The browser's pure state machine: tree, rollups, badges, filter, sort, keys → effects.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { builtins, NOW, SAMPLE, sampleState } from "./support/ui_views.ts";
import { listingOf } from "../src/view/listing.ts";
import { render } from "../src/ui/render.ts";
import type { Key } from "../src/ui/keyboard.ts";
import {
  applyEdit,
  completeRows,
  type Effect,
  firstScreenState,
  initState,
  onKey,
  selectedRow,
  syncFinished,
  syncStarted,
  type UiState,
  updateViews,
  visibleItems,
} from "../src/ui/state.ts";
import { fuzzyMatch } from "../src/ui/rows.ts";
import { makeViews } from "./support/ui_views.ts";

function press(s: UiState, ...keys: (string | Key)[]): { state: UiState; effects: Effect[] } {
  let state = s;
  const effects: Effect[] = [];
  for (const k of keys) {
    const key: Key = typeof k === "string" ? { name: "char", ch: k } : k;
    const step = onKey(state, key);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}
const CTRL_C: Key = { name: "char", ch: "c", ctrl: true };
const ids = (s: UiState) => visibleItems(s).map((i) => i.id);

Deno.test("tree: folders first, rollups of worst badge and balance per currency", async () => {
  const s = await sampleState();
  assertEquals(ids(s), [
    "f:api",
    "f:api/deepseek",
    "k:api/deepseek/main",
    "f:api/openrouter",
    "k:api/openrouter/team",
    "k:api/moonshot",
    "f:work",
    "k:work/siliconflow",
    "k:work/zai",
  ]);
  const api = s.tree.folders.find((f) => f.name === "api")!;
  assertEquals(api.worst, "low"); // openrouter 0.42 USD < min_balance 1
  assertEquals(api.totals.get("CNY"), 110);
  assertEquals(Math.round(api.totals.get("USD")! * 100), 5001);
  assertEquals(s.tree.folders.find((f) => f.name === "work")!.worst, "auth");
  // An ordinary password beside the keys is not in the tree at all.
  assert(!s.rows.has("misc/wifi"));
  const row = (p: string) => s.rows.get(p)!;
  assertEquals(row("api/moonshot").badges, ["expiring", "live"]); // expires in 4 days
  assertEquals(row("work/zai").badges, ["stale"]);
  assertEquals(row("api/deepseek/main").badges, ["live"]);
});

Deno.test("low balance threshold: key sidecar beats store config; expired from expires_at", async () => {
  const [v] = await makeViews([{
    path: "api/deepseek/main",
    metadata: { kind: "balance", balance: 110, currency: "CNY" },
    key: { low_balance: 200, expires_at: "2026-02-01T00:00:00Z" },
  }]);
  const s = updateViews(await sampleState(), [v], NOW);
  assertEquals(s.rows.get("api/deepseek/main")!.badges, ["expired", "low", "live"]);
});

Deno.test("navigation: j/k/arrows, h/l fold, Enter toggles, left goes to parent", async () => {
  let s = await sampleState();
  s = press(s, "j", "j").state;
  assertEquals(s.cursor, "k:api/deepseek/main");
  s = press(s, { name: "left" }).state;
  assertEquals(s.cursor, "f:api/deepseek");
  const folded = press(s, "h");
  assert(!folded.state.expanded.has("api/deepseek"));
  assert(folded.effects.some((e) => e.type === "save-prefs"));
  assert(!ids(folded.state).includes("k:api/deepseek/main"));
  s = press(folded.state, { name: "enter" }).state;
  assert(ids(s).includes("k:api/deepseek/main"));
  s = press(s, "G").state;
  assertEquals(s.cursor, "k:work/zai");
  s = press(s, { name: "up" }, "g").state;
  assertEquals(s.cursor, "f:api");
});

Deno.test("filter: fuzzy over path, provider, tags and notes; Esc clears", async () => {
  assert(fuzzyMatch("api/deepseek/main deepseek home", "dpsk"));
  assert(!fuzzyMatch("api/deepseek/main", "zzz"));
  let s = await sampleState();
  s = press(s, "/", "h", "o", "m", "e").state; // a tag
  assertEquals(ids(s), ["f:api", "f:api/deepseek", "k:api/deepseek/main"]);
  s = press(
    s,
    { name: "backspace" },
    { name: "backspace" },
    { name: "backspace" },
    {
      name: "backspace",
    },
    "s",
    "i",
    "l",
  ).state;
  assertEquals(ids(s), ["f:work", "k:work/siliconflow"]);
  assertEquals(s.cursor, "f:work");
  s = press(s, { name: "enter" }).state;
  assertEquals(s.mode.kind, "tree");
  assertEquals(s.filter, "sil");
  s = press(s, { name: "escape" }).state; // Esc clears the filter, and never quits
  assertEquals(s.filter, "");
  const again = press(s, { name: "escape" });
  assertEquals(again.effects, []);
  assertEquals(again.state, s);
});

Deno.test("sort: o cycles name → balance → state", async () => {
  let s = await sampleState();
  s = press(s, "o").state;
  assertEquals(s.sort, "balance");
  assertEquals(ids(s).slice(0, 1), ["f:api"]);
  const apiKeys = visibleItems(s).filter((i) => i.kind === "key" && i.row.path.startsWith("api/"))
    .map((i) => i.id);
  // CNY before USD (currencies are never compared), lowest first within USD.
  assertEquals(apiKeys, ["k:api/deepseek/main", "k:api/openrouter/team", "k:api/moonshot"]);
  s = press(s, "o").state;
  assertEquals(s.sort, "state");
  assertEquals(ids(s)[0], "f:work"); // error is the worst
  assertEquals(press(s, "o").state.sort, "name");
});

Deno.test("effects: copy, sync key and folder, quit, Ctrl-C = 130, history on selection", async () => {
  let s = await sampleState();
  assertEquals(press(s, "c").effects, []); // a folder: nothing to copy
  s = press(s, "j", "j").state;
  const moved = press(await sampleState(), "j", "j");
  assert(moved.effects.some((e) => e.type === "load-history" && e.path === "api/deepseek/main"));
  assertEquals(press(s, "c").effects, [{ type: "copy", path: "api/deepseek/main" }]);
  assertEquals(press(s, "s").effects, [{ type: "sync", paths: ["api/deepseek/main"] }]);
  const top = press(s, "g").state;
  assertEquals(press(top, "s").effects, [{
    type: "sync",
    paths: ["api/deepseek/main", "api/moonshot", "api/openrouter/team"],
  }]);
  assertEquals(press(s, "q").effects.at(-1), { type: "quit", code: 0 });
  assertEquals(press(s, CTRL_C).effects.at(-1), { type: "quit", code: 130 });
});

Deno.test("background sync events: syncing badge, then the new view", async () => {
  let s = await sampleState();
  s = syncStarted(s, ["work/siliconflow"]);
  assert(s.syncing.has("work/siliconflow"));
  const [v] = await makeViews([{
    path: "work/siliconflow",
    metadata: { kind: "balance", balance: 5, currency: "CNY" },
  }]);
  s = syncFinished(updateViews(s, [v], NOW), "work/siliconflow");
  assert(!s.syncing.has("work/siliconflow"));
  assertEquals(s.rows.get("work/siliconflow")!.badges, ["live"]);
  assertEquals(s.tree.folders.find((f) => f.name === "work")!.worst, "stale");
});

Deno.test("edit: notes, tags, expiry, env validated; save-key effect keeps other fields", async () => {
  let s = await sampleState();
  s = press(s, "j", "j").state;
  const r = press(
    s,
    "e",
    "t",
    { name: "char", ch: "u", ctrl: true },
    ..."home, work  ai".split(""),
    {
      name: "enter",
    },
  );
  const save = r.effects.find((e) => e.type === "save-key");
  assert(save && save.type === "save-key");
  assertEquals(save.key.tags, ["home", "work", "ai"]);
  assertEquals(save.key.notes, "personal account");
  const bad = press(s, "e", "x", ..."31/12/2026".split(""), { name: "enter" });
  assertEquals(bad.state.mode.kind, "edit");
  assert(!bad.effects.some((e) => e.type === "save-key"));
  assertEquals(
    applyEdit(undefined, "a/b", "expires_at", "2026-12-31"),
    { key: { schema_version: 2, path: "a/b", expires_at: "2026-12-31T00:00:00Z" } },
  );
  assert("error" in applyEdit(undefined, "a/b", "env", "NOT-VALID"));
  assertEquals(applyEdit({ schema_version: 2, path: "a/b", env: "X" }, "a/b", "env", ""), {
    key: { schema_version: 2, path: "a/b" },
  });
});

Deno.test("map: provider picker then credential picker → save-map", async () => {
  let s = await sampleState();
  s = press(s, "G", "k", "k", "k").state; // api/moonshot: remapped with a credential
  assertEquals(selectedRow(s)?.path, "api/moonshot");
  s = press(s, "m", ..."openr".split("")).state;
  assertEquals(s.mode.kind, "pick");
  s = press(s, { name: "enter" }).state;
  const r = press(s, ..."team".split(""), { name: "enter" });
  assertEquals(r.effects[0], {
    type: "save-map",
    path: "api/moonshot",
    mapping: { provider: "openrouter", credential: "api/openrouter/team" },
  });
  assertEquals(r.state.mode.kind, "tree");
});

Deno.test("first screen from the cached listing: same rows and frame as from the views", async () => {
  const views = await makeViews(SAMPLE);
  const set = await builtins();
  const config = { thresholds: { min_balance: 1 } };
  // The listing as the cache file holds it: through JSON and back.
  const listing = JSON.parse(JSON.stringify(listingOf(views, config, set, [])));
  const base = { storeDir: "/tmp/store", config, now: NOW, providers: listing.providers };
  const viewport = { width: 100, height: 30 };
  const full = initState({ ...base, views, viewport });
  const first = initState({ ...base, listing, viewport });
  const strip = (s: typeof full) =>
    [...s.rows.values()].map(({ view: _view, ...row }) => ({ ...row, badges: [...row.badges] }))
      .sort((a, b) => a.path < b.path ? -1 : 1);
  assertEquals(strip(first), strip(full));
  assert([...first.rows.values()].every((r) => r.view === undefined));
  // A folder is selected first: the whole frame is the same.
  const plain = { ...viewport, color: false };
  assertEquals(render(first, plain), render(full, plain));
  // On a key, the details pane says the rest is on its way; edits and mapping wait for the
  // views, copy and sync do not.
  const key = press(first, "j", "j").state;
  assertEquals(selectedRow(key)?.path, "api/deepseek/main");
  assertMatch(render(key, plain).join("\n"), /details\s+reading…/);
  assertMatch(onKey(key, { name: "char", ch: "e" }).state.message?.text ?? "", /still reading/);
  assertMatch(onKey(key, { name: "char", ch: "m" }).state.message?.text ?? "", /still reading/);
  assertEquals(onKey(key, { name: "char", ch: "s" }).effects.map((e) => e.type), ["sync"]);
  // When the views arrive, every row has its view and the state equals the full one.
  const loaded = updateViews(first, views);
  assert([...loaded.rows.values()].every((r) => r.view !== undefined));
  assertEquals(strip(loaded), strip(full));
  assertEquals(render(loaded, plain), render(full, plain));
});

Deno.test("first frame: rows only for shown keys, same frame; completeRows gives the full state", async () => {
  const views = await makeViews(SAMPLE);
  const set = await builtins();
  const listing = JSON.parse(
    JSON.stringify(listingOf(views, { thresholds: { min_balance: 1 } }, set, [])),
  );
  const cases = [
    { expanded: undefined, sort: undefined, viewport: { width: 80, height: 24 } },
    { expanded: ["api"], sort: "balance" as const, viewport: { width: 120, height: 30 } },
    { expanded: [], sort: "state" as const, viewport: { width: 80, height: 24 } },
    { expanded: ["work", "api/openrouter"], sort: undefined, viewport: { width: 60, height: 12 } },
  ];
  for (const c of cases) {
    const o = {
      storeDir: "/tmp/store",
      config: { thresholds: { min_balance: 1 } },
      now: NOW,
      providers: listing.providers,
      listing,
      ...c,
    };
    const full = initState(o);
    const first = firstScreenState(o);
    const plain = { ...c.viewport, color: false };
    assertEquals(render(first, plain), render(full, plain), JSON.stringify(c));
    // Only what is shown has a row; the tree and its rollups are whole.
    const shown = visibleItems(first).filter((i) => i.kind === "key").length;
    assert(first.rows.size >= shown && first.rows.size <= full.rows.size);
    assertEquals(first.tree.count, full.tree.count);
    const done = completeRows(first, listing);
    assertEquals([...done.rows.keys()].sort(), [...full.rows.keys()].sort());
    assertEquals(render(done, plain), render(full, plain));
    assertEquals(ids(done), ids(full));
  }
});

Deno.test("paste: typed into the filter and edit fields as one line, ignored in the tree", async () => {
  const s = await sampleState();
  const paste = (text: string): Key => ({ name: "paste", text });
  // In the tree a paste does nothing (it is not a stream of commands: "q" stays unpressed).
  const tree = press(s, paste("qS\rjj"));
  assertEquals([tree.state, tree.effects], [s, []]);
  // In the filter: one line, newlines as spaces, controls dropped, no submit.
  let f = press(s, "/", paste("deep\r\nseek\x1b[A\x07\n")).state;
  assertEquals(f.mode.kind, "filter");
  assertEquals(f.filter, "deep seek[A");
  f = press(f, { name: "char", ch: "w", ctrl: true }).state;
  assertEquals(f.filter, "deep ");
  // In an edit field: inserted where typing goes; Enter is still what saves.
  const key = press(s, "j", "j").state;
  const e = press(key, "e", "v", { name: "char", ch: "u", ctrl: true }, paste("DEEPSEEK_KEY\n"));
  assertEquals(e.effects.filter((x) => x.type === "save-key"), []);
  const mode = e.state.mode;
  assert(mode.kind === "edit");
  assertEquals(mode.text, "DEEPSEEK_KEY");
  const saved = press(e.state, { name: "enter" }).effects.find((x) => x.type === "save-key");
  assert(saved?.type === "save-key");
  assertEquals(saved.key.env, "DEEPSEEK_KEY");
});

Deno.test("modifiers: Shift-Tab and Alt letters are their own keys, Ctrl-C quits from any mode", async () => {
  const s = await sampleState();
  assertEquals(press(s, { name: "tab", shift: true }).state.showDetails, s.showDetails);
  assertEquals(press(s, { name: "tab" }).state.showDetails, !s.showDetails);
  assertEquals(press(s, { name: "char", ch: "q", meta: true }).effects, []);
  assertEquals(press(s, "/", { name: "char", ch: "x", meta: true }).state.filter, "");
  for (
    const keys of [["/"], ["?"], ["j", "j", "e"], ["j", "j", "e", "n"], ["G", "k", "k", "k", "m"]]
  ) {
    const r = press(s, ...keys, CTRL_C);
    assertEquals(r.effects.at(-1), { type: "quit", code: 130 }, keys.join(""));
  }
});
