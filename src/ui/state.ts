/**
 * The browser's pure heart: a state, `onKey(state, key) → {state, effects}` and a few event
 * functions the runner calls when results arrive. Effects are data; the runner performs them.
 */
import type { StoreConfig } from "../config/store_config.ts";
import type { HistoryLine, KeySidecar, Mapping } from "../sidecars/schema.ts";
import { applyKeyEdits } from "../sidecars/key_edit.ts";
import { baseStateOf, type EntryView } from "../view/entries.ts";
import { isKeyState, judge, type Judgement } from "../view/judge.ts";
import type { Key } from "./keys.ts";
import {
  BADGE_ORDER,
  badgesOf,
  buildTree,
  type Folder,
  fuzzyMatch,
  haystackOf,
  type KeyRow,
  keyRow,
  rowOf,
  TreeBuilder,
} from "./model.ts";
import {
  byName,
  compareRemaining,
  eachRow,
  type Listing,
  type ListingRow,
  type ProviderChoice,
} from "../view/listing.ts";

export type SortBy = "name" | "balance" | "state";
export const SORTS: readonly SortBy[] = ["name", "balance", "state"];

export type EditField = "notes" | "tags" | "expires_at" | "env";

export type { ProviderChoice };

export interface Picker {
  kind: "provider" | "credential";
  path: string;
  /** Chosen provider (in the credential step). */
  provider?: string;
  query: string;
  index: number;
}

export type Mode =
  | { kind: "tree" }
  | { kind: "filter" }
  | { kind: "help" }
  | { kind: "edit-pick"; path: string }
  | { kind: "edit"; path: string; field: EditField; text: string; error?: string }
  | { kind: "pick"; picker: Picker };

export type Effect =
  | { type: "copy"; path: string }
  | { type: "sync"; paths: string[] }
  | { type: "save-key"; key: KeySidecar }
  | { type: "save-map"; path: string; mapping: Mapping }
  | { type: "load-history"; path: string }
  | { type: "save-prefs" }
  | { type: "quit"; code: number };

export interface Message {
  text: string;
  tone: "info" | "error";
}

export interface UiState {
  storeDir: string;
  config: StoreConfig;
  now: Date;
  rows: Map<string, KeyRow>;
  tree: Folder;
  expanded: Set<string>;
  filter: string;
  sort: SortBy;
  /** "f:<folder>" or "k:<key path>". */
  cursor: string;
  scroll: number;
  viewport: { width: number; height: number };
  showDetails: boolean;
  mode: Mode;
  message?: Message;
  syncing: Set<string>;
  /** Per-key problems from the last sync that the sidecars don't hold (skipped keys). */
  syncNotes: Map<string, string>;
  history?: { path: string; lines: HistoryLine[] };
  providers: ProviderChoice[];
}

export type Item =
  | { kind: "folder"; folder: Folder; depth: number; id: string }
  | { kind: "key"; row: KeyRow; depth: number; id: string };

export interface Step {
  state: UiState;
  effects: Effect[];
}

// ---------------------------------------------------------------------------------------------
// Construction

export type InitOptions =
  & {
    storeDir: string;
    config: StoreConfig;
    now: Date;
    providers: ProviderChoice[];
    viewport: { width: number; height: number };
    /** Remembered expansion (folder paths); undefined = first run, use the default. */
    expanded?: string[];
    sort?: SortBy;
  }
  & (
    | { views: EntryView[] }
    /** The first screen from the cached listing; the views follow through updateViews. */
    | { listing: Listing }
  );

export function initState(o: InitOptions): UiState {
  const rows = "views" in o
    ? new Map(
      o.views.filter(isKeyView).map((v) => [v.path, keyRow(v, o.config, o.now)]),
    )
    : rowsOfListing(o.listing, o.now);
  return stateOf(o, rows, buildTree(rows.values()));
}

/**
 * Just enough state to draw the first frame from the listing: the whole tree with its rollups,
 * but rows only for the keys in expanded folders (building 10,000 rows is a third of the
 * browser's start-up). Draw it, then replace it with `completeRows` before handling any key:
 * a filter, a sort or opening a folder needs every row. The frame is the same either way
 * (tests/ui_state_test.ts).
 */
export function firstScreenState(o: InitOptions & { listing: Listing }): UiState {
  const t = o.now.getTime();
  const rows = new Map<string, KeyRow>();
  // Rows of the keys in these folders are made (folder by folder: decided once per folder).
  const addShownRows = (expanded: Set<string>) => {
    let dir = "", shown = true;
    return (r: Readonly<ListingRow>, j: Judgement) => {
      const cut = r.path.lastIndexOf("/");
      if (cut !== dir.length || (cut > 0 && !r.path.startsWith(dir))) {
        dir = cut < 0 ? "" : r.path.slice(0, cut);
        shown = dir === "" || expanded.has(dir);
      }
      if (shown) rows.set(r.path, rowOf(r, j));
    };
  };
  // With remembered folders, one pass does both; on a first run the default expansion needs
  // the tree first.
  const known = o.expanded && addShownRows(new Set(o.expanded));
  const builder = new TreeBuilder();
  eachRow(o.listing, (r) => {
    const j = judge(r, t);
    builder.add(r.path, badgesOf(j)[0], r.remaining, r.currency);
    known?.(r, j);
  });
  const tree = builder.done();
  const expanded = new Set(o.expanded ?? defaultExpansion(tree, o.viewport.height));
  if (!known) {
    const add = addShownRows(expanded);
    eachRow(o.listing, (r) => add(r, judge(r, t)));
  }
  return stateOf({ ...o, expanded: [...expanded] }, rows, tree);
}

/** The first screen's state with every row of the listing (the UI state is kept). */
export function completeRows(state: UiState, listing: Listing): UiState {
  const rows = rowsOfListing(listing, state.now);
  return settle({ ...state, rows, tree: buildTree(rows.values()) });
}

function stateOf(
  o: Omit<InitOptions, "views" | "listing">,
  rows: Map<string, KeyRow>,
  tree: Folder,
): UiState {
  const state: UiState = {
    storeDir: o.storeDir,
    config: o.config,
    now: o.now,
    rows,
    tree,
    expanded: new Set(o.expanded ?? defaultExpansion(tree, o.viewport.height)),
    filter: "",
    sort: o.sort ?? "name",
    cursor: "",
    scroll: 0,
    viewport: o.viewport,
    showDetails: true,
    mode: { kind: "tree" },
    syncing: new Set(),
    syncNotes: new Map(),
    providers: o.providers,
  };
  const first = visibleItems(state)[0];
  return { ...state, cursor: first?.id ?? "" };
}

function rowsOfListing(listing: Listing, now: Date): Map<string, KeyRow> {
  const rows = new Map<string, KeyRow>();
  const t = now.getTime();
  for (const r of listing.rows) rows.set(r.path, rowOf(r, judge(r, t)));
  return rows;
}

/** Keys only: the browser shows the store's keys, never its other entries. */
function isKeyView(v: EntryView): boolean {
  return isKeyState(baseStateOf(v));
}

/**
 * Open everything when it fits on one screen; otherwise the top level, plus every folder on
 * the way to a key that needs attention (error, expired, low).
 */
export function defaultExpansion(tree: Folder, height: number): string[] {
  const all: string[] = [];
  const walk = (f: Folder) => {
    for (const sub of f.folders) {
      all.push(sub.path);
      walk(sub);
    }
  };
  walk(tree);
  if (tree.count + all.length <= Math.max(10, height - 6)) return all;
  const open: string[] = [];
  const attention = (f: Folder) => BADGE_ORDER.indexOf(f.worst) <= BADGE_ORDER.indexOf("low");
  const walkAttention = (f: Folder) => {
    for (const sub of f.folders) {
      if (attention(sub)) {
        open.push(sub.path);
        walkAttention(sub);
      }
    }
  };
  walkAttention(tree);
  return open.length <= 20 ? open : [];
}

// ---------------------------------------------------------------------------------------------
// The visible list

let matchMemo: { rows: Map<string, KeyRow>; filter: string; set: Set<string> } | undefined;

function matches(state: UiState): Set<string> | undefined {
  if (!state.filter.trim()) return undefined;
  if (matchMemo && matchMemo.rows === state.rows && matchMemo.filter === state.filter) {
    return matchMemo.set;
  }
  const set = new Set<string>();
  for (const r of state.rows.values()) if (fuzzyMatch(haystackOf(r), state.filter)) set.add(r.path);
  matchMemo = { rows: state.rows, filter: state.filter, set };
  return set;
}

function badgeRank(b: string): number {
  return BADGE_ORDER.indexOf(b as typeof BADGE_ORDER[number]);
}

function folderAmount(f: Folder): number {
  let best = Number.NEGATIVE_INFINITY;
  for (const n of f.totals.values()) best = Math.max(best, n);
  return best;
}

/** Sorted children, kept per folder object (a new tree is built whenever rows change). */
const sortedMemo = new WeakMap<Folder, { sort: SortBy; result: ReturnType<typeof sortChildren> }>();

function sortedChildren(state: UiState, f: Folder): { folders: Folder[]; keys: KeyRow[] } {
  const memo = sortedMemo.get(f);
  if (memo?.sort === state.sort) return memo.result;
  const result = sortChildren(state, f);
  sortedMemo.set(f, { sort: state.sort, result });
  return result;
}

function sortChildren(state: UiState, f: Folder): { folders: Folder[]; keys: KeyRow[] } {
  const keys = f.keys.map((p) => state.rows.get(p)!).filter(Boolean);
  const folders = [...f.folders];
  const named = (a: { name: string }, b: { name: string }) => byName(a.name, b.name);
  if (state.sort === "balance") {
    keys.sort((a, b) =>
      compareRemaining(
        { remaining: a.amount, currency: a.currency },
        { remaining: b.amount, currency: b.currency },
      ) || named(a, b)
    );
    folders.sort((a, b) => folderAmount(b) - folderAmount(a) || named(a, b));
  } else if (state.sort === "state") {
    keys.sort((a, b) => badgeRank(a.badges[0]) - badgeRank(b.badges[0]) || named(a, b));
    folders.sort((a, b) => badgeRank(a.worst) - badgeRank(b.worst) || named(a, b));
  } else {
    keys.sort(named);
    folders.sort(named);
  }
  return { folders, keys };
}

/** The rows on screen, top to bottom (before scrolling). */
export function visibleItems(state: UiState): Item[] {
  const m = matches(state);
  const out: Item[] = [];
  const hasMatch = (f: Folder): boolean =>
    !m || f.keys.some((k) => m.has(k)) || f.folders.some(hasMatch);
  const walk = (f: Folder, depth: number) => {
    const { folders, keys } = sortedChildren(state, f);
    for (const sub of folders) {
      if (!hasMatch(sub)) continue;
      out.push({ kind: "folder", folder: sub, depth, id: `f:${sub.path}` });
      if (m || state.expanded.has(sub.path)) walk(sub, depth + 1);
    }
    for (const row of keys) {
      if (m && !m.has(row.path)) continue;
      out.push({ kind: "key", row, depth, id: `k:${row.path}` });
    }
  };
  walk(state.tree, 0);
  return out;
}

export function selectedItem(state: UiState, items = visibleItems(state)): Item | undefined {
  return items.find((i) => i.id === state.cursor) ?? items[0];
}

export function selectedRow(state: UiState): KeyRow | undefined {
  return state.cursor.startsWith("k:") ? state.rows.get(state.cursor.slice(2)) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Layout shared by render and navigation

export interface Layout {
  treeTop: number;
  treeHeight: number;
  treeWidth: number;
  details?: { top: number; left: number; width: number; height: number };
}

export const SIDE_BY_SIDE_MIN_WIDTH = 110;

export function layout(state: UiState): Layout {
  const { width, height } = state.viewport;
  const body = Math.max(1, height - 3); // header, status line, footer
  if (width >= SIDE_BY_SIDE_MIN_WIDTH) {
    const treeWidth = Math.floor(width * 0.58);
    return {
      treeTop: 1,
      treeHeight: body,
      treeWidth,
      details: state.showDetails
        ? { top: 1, left: treeWidth + 1, width: width - treeWidth - 1, height: body }
        : undefined,
    };
  }
  if (!state.showDetails || body < 8) return { treeTop: 1, treeHeight: body, treeWidth: width };
  const dh = Math.min(11, Math.floor(body / 2));
  const th = body - dh - 1;
  return {
    treeTop: 1,
    treeHeight: th,
    treeWidth: width,
    details: { top: 1 + th + 1, left: 0, width, height: dh },
  };
}

// ---------------------------------------------------------------------------------------------
// Keys

function withCursor(state: UiState, items: Item[], index: number): UiState {
  if (items.length === 0) return { ...state, cursor: "", scroll: 0 };
  const i = Math.max(0, Math.min(items.length - 1, index));
  const h = layout(state).treeHeight;
  let scroll = state.scroll;
  if (i < scroll) scroll = i;
  if (i >= scroll + h) scroll = i - h + 1;
  scroll = Math.max(0, Math.min(scroll, Math.max(0, items.length - h)));
  return { ...state, cursor: items[i].id, scroll };
}

/** Keep the cursor on a visible row and in view (after filtering, sorting, resizing). */
export function settle(state: UiState): UiState {
  const items = visibleItems(state);
  const i = items.findIndex((it) => it.id === state.cursor);
  return withCursor(state, items, i < 0 ? 0 : i);
}

/** Ask for the selected key's history when the selection moved to a new key. */
function historyEffects(before: UiState, after: UiState): Effect[] {
  const row = selectedRow(after);
  if (!row || before.cursor === after.cursor || after.history?.path === row.path) return [];
  return [{ type: "load-history", path: row.path }];
}

function keysBelow(state: UiState, folderPath: string): string[] {
  const prefix = folderPath ? `${folderPath}/` : "";
  return [...state.rows.keys()].filter((p) => p.startsWith(prefix)).sort();
}

export function onKey(state0: UiState, key: Key): Step {
  const state = state0.message ? { ...state0, message: undefined } : state0;
  if (key.name === "ctrl-c") return { state, effects: [{ type: "save-prefs" }, quit(130)] };
  let step: Step;
  switch (state.mode.kind) {
    case "tree":
      step = treeKey(state, key);
      break;
    case "filter":
      step = filterKey(state, key);
      break;
    case "help":
      step = { state: { ...state, mode: { kind: "tree" } }, effects: [] };
      break;
    case "edit-pick":
      step = editPickKey(state, state.mode.path, key);
      break;
    case "edit":
      step = editKey(state, state.mode, key);
      break;
    case "pick":
      step = pickKey(state, state.mode.picker, key);
      break;
  }
  return { state: step.state, effects: [...step.effects, ...historyEffects(state0, step.state)] };
}

function quit(code: number): Effect {
  return { type: "quit", code };
}

function treeKey(state: UiState, key: Key): Step {
  const items = visibleItems(state);
  const index = Math.max(0, items.findIndex((i) => i.id === state.cursor));
  const item = items[index];
  const page = Math.max(1, layout(state).treeHeight - 1);
  const none: Effect[] = [];
  const ch = key.name === "char" ? key.ch : undefined;
  const move = (to: number): Step => ({ state: withCursor(state, items, to), effects: none });
  const setExpanded = (path: string, open: boolean): Step => {
    const expanded = new Set(state.expanded);
    if (open) expanded.add(path);
    else expanded.delete(path);
    return { state: settle({ ...state, expanded }), effects: [{ type: "save-prefs" }] };
  };
  if (key.name === "up" || ch === "k") return move(index - 1);
  if (key.name === "down" || ch === "j") return move(index + 1);
  if (key.name === "pageup") return move(index - page);
  if (key.name === "pagedown") return move(index + page);
  if (key.name === "home" || ch === "g") return move(0);
  if (key.name === "end" || ch === "G") return move(items.length - 1);
  if (key.name === "right" || ch === "l") {
    if (item?.kind === "folder") {
      if (state.filter || state.expanded.has(item.folder.path)) return move(index + 1);
      return setExpanded(item.folder.path, true);
    }
    return { state, effects: none };
  }
  if (key.name === "left" || ch === "h") {
    if (item?.kind === "folder" && state.expanded.has(item.folder.path) && !state.filter) {
      return setExpanded(item.folder.path, false);
    }
    // Go to the parent folder.
    const path = item?.kind === "folder" ? item.folder.path : item?.row.path ?? "";
    const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    const pi = items.findIndex((i) => i.id === `f:${parent}`);
    return pi >= 0 ? move(pi) : { state, effects: none };
  }
  if (key.name === "enter" || ch === " ") {
    if (item?.kind === "folder") {
      if (state.filter) return { state, effects: none };
      return setExpanded(item.folder.path, !state.expanded.has(item.folder.path));
    }
    return { state: settle({ ...state, showDetails: !state.showDetails }), effects: none };
  }
  if (key.name === "tab" || ch === "i") {
    return { state: settle({ ...state, showDetails: !state.showDetails }), effects: none };
  }
  if (ch === "/") return { state: { ...state, mode: { kind: "filter" } }, effects: none };
  if (ch === "?") return { state: { ...state, mode: { kind: "help" } }, effects: none };
  if (ch === "q") return { state, effects: [{ type: "save-prefs" }, quit(0)] };
  if (key.name === "escape") {
    if (state.filter) return { state: settle({ ...state, filter: "" }), effects: none };
    return { state, effects: [{ type: "save-prefs" }, quit(0)] };
  }
  if (ch === "o") {
    const sort = SORTS[(SORTS.indexOf(state.sort) + 1) % SORTS.length];
    return {
      state: settle({ ...state, sort, message: { text: `sorted by ${sort}`, tone: "info" } }),
      effects: [{ type: "save-prefs" }],
    };
  }
  if (ch === "c" || ch === "y") {
    if (item?.kind !== "key") return info(state, "select a key to copy it");
    return { state, effects: [{ type: "copy", path: item.row.path }] };
  }
  if (ch === "s") {
    if (!item) return { state, effects: none };
    const paths = item.kind === "key" ? [item.row.path] : keysBelow(state, item.folder.path);
    return { state, effects: [{ type: "sync", paths }] };
  }
  if (ch === "S") return { state, effects: [{ type: "sync", paths: keysBelow(state, "") }] };
  if (ch === "e") {
    if (item?.kind !== "key") return info(state, "select a key to edit its notes, tags, expiry");
    if (!item.row.view) return info(state, STILL_READING);
    return { state: { ...state, mode: { kind: "edit-pick", path: item.row.path } }, effects: none };
  }
  if (ch === "m") {
    if (item?.kind !== "key") return info(state, "select a key to map it to a provider");
    if (!item.row.view) return info(state, STILL_READING);
    const picker: Picker = { kind: "provider", path: item.row.path, query: "", index: 0 };
    const rec = item.row.view.recognition;
    const current = rec.kind === "key" ? rec.provider : undefined;
    const at = current ? state.providers.findIndex((p) => p.id === current) : -1;
    if (at >= 0) picker.index = at;
    return { state: { ...state, mode: { kind: "pick", picker } }, effects: none };
  }
  return { state, effects: none };
}

/** Edits and mapping need the full snapshot, which loads just after the first screen. */
const STILL_READING = "still reading the store's details; try again in a moment";

function info(state: UiState, text: string): Step {
  return { state: { ...state, message: { text, tone: "info" } }, effects: [] };
}

/** Shared line editing for the filter, edits and pickers. Undefined: not an editing key. */
function editText(text: string, key: Key): string | undefined {
  if (key.name === "char" && key.ch) return text + key.ch;
  if (key.name === "backspace") return [...text].slice(0, -1).join("");
  if (key.name === "ctrl-u") return "";
  if (key.name === "ctrl-w") return text.replace(/\S*\s*$/, "");
  return undefined;
}

function filterKey(state: UiState, key: Key): Step {
  if (key.name === "escape") {
    return { state: settle({ ...state, filter: "", mode: { kind: "tree" } }), effects: [] };
  }
  if (key.name === "enter") return { state: { ...state, mode: { kind: "tree" } }, effects: [] };
  if (key.name === "up" || key.name === "down") {
    return treeKey({ ...state }, key);
  }
  const next = editText(state.filter, key);
  if (next === undefined) return { state, effects: [] };
  return { state: settle({ ...state, filter: next }), effects: [] };
}

export const EDIT_FIELDS: { field: EditField; key: string; label: string }[] = [
  { field: "notes", key: "n", label: "notes" },
  { field: "tags", key: "t", label: "tags" },
  { field: "expires_at", key: "x", label: "expiry" },
  { field: "env", key: "v", label: "env var" },
];

function currentText(row: KeyRow | undefined, field: EditField): string {
  const k = row?.view?.key;
  if (field === "tags") return (k?.tags ?? []).join(", ");
  if (field === "expires_at") return k?.expires_at?.slice(0, 10) ?? "";
  return k?.[field] ?? "";
}

function editPickKey(state: UiState, path: string, key: Key): Step {
  if (key.name === "escape" || key.name === "ctrl-c") {
    return { state: { ...state, mode: { kind: "tree" } }, effects: [] };
  }
  const f = EDIT_FIELDS.find((e) => key.name === "char" && e.key === key.ch);
  if (!f) return { state, effects: [] };
  const text = currentText(state.rows.get(path), f.field);
  return { state: { ...state, mode: { kind: "edit", path, field: f.field, text } }, effects: [] };
}

/** Validate an edit and produce the new key sidecar, or an error to show (src/sidecars/key_edit.ts). */
export function applyEdit(
  current: KeySidecar | undefined,
  path: string,
  field: EditField,
  text: string,
): { key: KeySidecar } | { error: string } {
  const r = applyKeyEdits(current, path, [{ field, text }]);
  return "error" in r ? { error: r.error } : { key: r.key };
}

function editKey(state: UiState, mode: Extract<Mode, { kind: "edit" }>, key: Key): Step {
  if (key.name === "escape") return { state: { ...state, mode: { kind: "tree" } }, effects: [] };
  if (key.name === "enter") {
    const r = applyEdit(state.rows.get(mode.path)?.view?.key, mode.path, mode.field, mode.text);
    if ("error" in r) {
      return { state: { ...state, mode: { ...mode, error: r.error } }, effects: [] };
    }
    return {
      state: { ...state, mode: { kind: "tree" } },
      effects: [{ type: "save-key", key: r.key }],
    };
  }
  const text = editText(mode.text, key);
  if (text === undefined) return { state, effects: [] };
  return { state: { ...state, mode: { ...mode, text, error: undefined } }, effects: [] };
}

export interface PickChoice {
  value: string;
  label: string;
  hint?: string;
}

/** The choices a picker shows, filtered by its query. */
export function pickChoices(state: UiState, picker: Picker): PickChoice[] {
  let all: PickChoice[];
  if (picker.kind === "provider") {
    all = state.providers.map((p) => ({
      value: p.id,
      label: p.id,
      hint: p.name + (p.credential?.required ? " (needs a credential)" : ""),
    }));
  } else {
    all = [
      { value: "", label: "(no credential)", hint: "use the key itself" },
      ...[...state.rows.keys()].sort().filter((p) => p !== picker.path).map((p) => ({
        value: p,
        label: p,
      })),
    ];
  }
  if (!picker.query) return all;
  return all.filter((c) => fuzzyMatch(`${c.label} ${c.hint ?? ""}`.toLowerCase(), picker.query));
}

function pickKey(state: UiState, picker: Picker, key: Key): Step {
  const choices = pickChoices(state, picker);
  const set = (p: Picker): Step => ({
    state: { ...state, mode: { kind: "pick", picker: p } },
    effects: [],
  });
  if (key.name === "escape") return { state: { ...state, mode: { kind: "tree" } }, effects: [] };
  if (key.name === "up") return set({ ...picker, index: Math.max(0, picker.index - 1) });
  if (key.name === "down") {
    return set({ ...picker, index: Math.min(choices.length - 1, picker.index + 1) });
  }
  if (key.name === "enter") {
    const choice = choices[picker.index];
    if (!choice) return { state, effects: [] };
    if (picker.kind === "provider") {
      const p = state.providers.find((x) => x.id === choice.value);
      const rec = state.rows.get(picker.path)?.view?.recognition;
      const current = rec?.kind === "key" && rec.how === "explicit" ? rec : undefined;
      const credQuery = "";
      const next: Picker = {
        kind: "credential",
        path: picker.path,
        provider: choice.value,
        query: credQuery,
        index: 0,
      };
      if (current?.credential && current.provider === choice.value) {
        const list = pickChoices(state, next);
        next.index = Math.max(0, list.findIndex((c) => c.value === current.credential));
      } else if (p?.credential?.required) {
        next.index = Math.min(1, pickChoices(state, next).length - 1);
      }
      return set(next);
    }
    const mapping: Mapping = { provider: picker.provider! };
    if (choice.value) mapping.credential = choice.value;
    return {
      state: { ...state, mode: { kind: "tree" } },
      effects: [{ type: "save-map", path: picker.path, mapping }],
    };
  }
  const query = editText(picker.query, key);
  if (query === undefined) return { state, effects: [] };
  return set({ ...picker, query, index: 0 });
}

// ---------------------------------------------------------------------------------------------
// Events from the runner

export function resize(state: UiState, width: number, height: number): UiState {
  return settle({ ...state, viewport: { width, height } });
}

/** A key's view was re-read (after a sync, an edit or a mapping): update row, badges, rollups. */
export function updateViews(state: UiState, views: EntryView[], now = state.now): UiState {
  const rows = new Map(state.rows);
  for (const v of views) {
    // A key that turned out not to be one (or was unmapped) leaves the tree.
    if (isKeyView(v)) rows.set(v.path, keyRow(v, state.config, now));
    else rows.delete(v.path);
  }
  return settle({ ...state, now, rows, tree: buildTree(rows.values()) });
}

export function syncStarted(state: UiState, paths: string[]): UiState {
  const syncing = new Set(state.syncing);
  const syncNotes = new Map(state.syncNotes);
  for (const p of paths) {
    syncing.add(p);
    syncNotes.delete(p);
  }
  return { ...state, syncing, syncNotes };
}

export function syncFinished(state: UiState, path: string, note?: string): UiState {
  const syncing = new Set(state.syncing);
  syncing.delete(path);
  const syncNotes = new Map(state.syncNotes);
  if (note) syncNotes.set(path, note);
  return { ...state, syncing, syncNotes };
}

export function setHistory(state: UiState, path: string, lines: HistoryLine[]): UiState {
  return { ...state, history: { path, lines } };
}

export function setMessage(state: UiState, text: string, tone: Message["tone"] = "info"): UiState {
  return { ...state, message: { text, tone } };
}
