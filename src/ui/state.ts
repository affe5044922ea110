/**
 * The browser's pure heart: a state, `onKey(state, key) → {state, effects}` and a few event
 * functions the runner calls when results arrive. Effects are data; the runner performs them.
 */
import type { StoreConfig } from "../config/store_config.ts";
import type { HistoryLine, KeySidecar, Mapping } from "../sidecars/schema.ts";
import { applyKeyEdits } from "../sidecars/key_edit.ts";
import { baseStateOf, type EntryView } from "../view/entries.ts";
import { isKeyState, judge, type Judgement } from "../view/judge.ts";
import type { Key } from "./keyboard.ts";
import {
  type ActionOf,
  type Binding,
  bindingFor,
  GLOBAL,
  type GlobalAction,
  type KeyContext,
  KEYMAP,
  type ModeKind,
  type Selection,
} from "./keymap.ts";
import { type Autosync, tick, toggleAutosync, wakeAt } from "./autosync.ts";
import { duePaths } from "../sync/plan.ts";
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
} from "./rows.ts";
import {
  BALANCE_ORDER,
  byName,
  compareBalance,
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
  /** Autosync: sync these due keys in the background (one burst). */
  | { type: "autosync"; paths: string[] }
  /** Autosync was turned off: a burst still waiting for the store lock gives up. */
  | { type: "autosync-off" }
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
  /** Background sync of due keys; undefined until the store's details and configs are read. */
  autosync?: Autosync;
  /** Another keyz holds the store lock a write of the browser waits for ("keyz process 42"). */
  lockHolder?: string;
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
  let keys = f.keys.map((p) => state.rows.get(p)!).filter(Boolean);
  const folders = [...f.folders];
  const named = (a: { name: string }, b: { name: string }) => byName(a.name, b.name);
  if (state.sort === "balance") {
    // The order of `keyz ls --sort balance`; a folder goes where its lowest key would.
    keys = keys.map((row) => ({ row, balance: row.amount, currency: row.currency }))
      .sort((a, b) => compareBalance(a, b) || named(a.row, b.row)).map((k) => k.row);
    folders.sort((a, b) => compareBalance(a.lowest ?? {}, b.lowest ?? {}) || named(a, b));
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

/** What the bindings need to know about the selection (keymap.ts). */
export function keyContext(state: UiState): KeyContext {
  const c = state.cursor;
  const selection: Selection = c.startsWith("f:")
    ? "folder"
    : c.startsWith("k:")
    ? (state.rows.get(c.slice(2))?.view ? "key-full" : "key")
    : "none";
  return { selection, filtered: state.filter !== "" };
}

type ModeOf<M extends ModeKind> = Extract<Mode, { kind: M }>;
type Handler<M extends ModeKind> = (state: UiState, mode: ModeOf<M>, key: Key) => Step;
type Handlers = { [M in ModeKind]: Record<ActionOf<M>, Handler<M>> };

export function onKey(state0: UiState, key: Key): Step {
  const state = state0.message ? { ...state0, message: undefined } : state0;
  const ctx = keyContext(state);
  const global = bindingFor(GLOBAL, key, ctx);
  const step = global
    ? GLOBAL_HANDLERS[global.binding.action](state)
    : modeKey(state, state.mode, key, ctx);
  return { state: step.state, effects: [...step.effects, ...historyEffects(state0, step.state)] };
}

function modeKey<M extends ModeKind>(
  state: UiState,
  mode: ModeOf<M>,
  key: Key,
  ctx: KeyContext,
): Step {
  const found = bindingFor(KEYMAP[mode.kind] as readonly Binding[], key, ctx);
  if (!found) return { state, effects: [] };
  if (!found.applies) {
    const b = found.binding;
    if (b.applies === "key-full" && ctx.selection === "key") return info(state, STILL_READING);
    return b.otherwise ? info(state, b.otherwise) : { state, effects: [] };
  }
  const handlers = HANDLERS[mode.kind] as Record<string, Handler<M>>;
  return handlers[found.binding.action](state, mode, key);
}

function quit(code: number): Effect {
  return { type: "quit", code };
}

const GLOBAL_HANDLERS: Record<GlobalAction, (state: UiState) => Step> = {
  "quit-now": (state) => ({ state, effects: [{ type: "save-prefs" }, quit(130)] }),
};

/** The visible rows, the selected one and where it is. */
function at(state: UiState) {
  const items = visibleItems(state);
  const index = Math.max(0, items.findIndex((i) => i.id === state.cursor));
  return { items, index, item: items[index] as Item | undefined };
}

function moveBy(state: UiState, by: (index: number, items: Item[]) => number): Step {
  const { items, index } = at(state);
  return { state: withCursor(state, items, by(index, items)), effects: [] };
}

function setExpanded(state: UiState, path: string, open: boolean): Step {
  const expanded = new Set(state.expanded);
  if (open) expanded.add(path);
  else expanded.delete(path);
  return { state: settle({ ...state, expanded }), effects: [{ type: "save-prefs" }] };
}

const page = (state: UiState) => Math.max(1, layout(state).treeHeight - 1);
const none = (state: UiState): Step => ({ state, effects: [] });
const toggleDetails = (state: UiState): Step => ({
  state: settle({ ...state, showDetails: !state.showDetails }),
  effects: [],
});

const TREE: Record<ActionOf<"tree">, (state: UiState) => Step> = {
  up: (s) => moveBy(s, (i) => i - 1),
  down: (s) => moveBy(s, (i) => i + 1),
  "page-up": (s) => moveBy(s, (i) => i - page(s)),
  "page-down": (s) => moveBy(s, (i) => i + page(s)),
  top: (s) => moveBy(s, () => 0),
  bottom: (s) => moveBy(s, (_, items) => items.length - 1),
  unfold: (s) => {
    const { item } = at(s);
    if (item?.kind !== "folder") return none(s);
    if (s.filter || s.expanded.has(item.folder.path)) return moveBy(s, (i) => i + 1);
    return setExpanded(s, item.folder.path, true);
  },
  fold: (s) => {
    const { item } = at(s);
    if (item?.kind !== "folder") return none(s);
    if (s.expanded.has(item.folder.path) && !s.filter) {
      return setExpanded(s, item.folder.path, false);
    }
    return TREE.parent(s);
  },
  parent: (s) => {
    const { items, item } = at(s);
    const path = item?.kind === "folder" ? item.folder.path : item?.row.path ?? "";
    const parent = path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
    const pi = items.findIndex((i) => i.id === `f:${parent}`);
    return pi >= 0 ? { state: withCursor(s, items, pi), effects: [] } : none(s);
  },
  open: (s) => {
    const { item } = at(s);
    if (item?.kind !== "folder" || s.filter) return none(s);
    return setExpanded(s, item.folder.path, !s.expanded.has(item.folder.path));
  },
  details: toggleDetails,
  filter: (s) => ({ state: { ...s, mode: { kind: "filter" } }, effects: [] }),
  copy: (s) => {
    const row = selectedRow(s);
    return row ? { state: s, effects: [{ type: "copy", path: row.path }] } : none(s);
  },
  sync: (s) => {
    const { item } = at(s);
    if (!item) return none(s);
    const paths = item.kind === "key" ? [item.row.path] : keysBelow(s, item.folder.path);
    return { state: s, effects: [{ type: "sync", paths }] };
  },
  "sync-all": (s) => ({ state: s, effects: [{ type: "sync", paths: keysBelow(s, "") }] }),
  autosync: (s) => {
    if (!s.autosync) return info(s, STILL_READING);
    const off = s.autosync.offBy;
    if (off) {
      const where = off === "store config" ? ".keyz/config.jsonc" : "~/.config/keyz/config.jsonc";
      return info(s, `autosync is off for good in the ${off} (autosync: false in ${where})`);
    }
    const autosync = toggleAutosync(s.autosync);
    const text = autosync.on
      ? "autosync on: keys due for a sync are synced in the background"
      : "autosync off for this session (a turns it on again)";
    return {
      state: { ...s, autosync, message: { text, tone: "info" } },
      effects: autosync.on ? [] : [{ type: "autosync-off" }],
    };
  },
  edit: (s) => {
    const row = selectedRow(s);
    if (!row) return none(s);
    return { state: { ...s, mode: { kind: "edit-pick", path: row.path } }, effects: [] };
  },
  map: (s) => {
    const row = selectedRow(s);
    if (!row?.view) return none(s);
    const picker: Picker = { kind: "provider", path: row.path, query: "", index: 0 };
    const rec = row.view.recognition;
    const current = rec.kind === "key" ? rec.provider : undefined;
    const found = current ? s.providers.findIndex((p) => p.id === current) : -1;
    if (found >= 0) picker.index = found;
    return { state: { ...s, mode: { kind: "pick", picker } }, effects: [] };
  },
  sort: (s) => {
    const sort = SORTS[(SORTS.indexOf(s.sort) + 1) % SORTS.length];
    return {
      state: settle({ ...s, sort, message: { text: SORT_TEXT[sort], tone: "info" } }),
      effects: [{ type: "save-prefs" }],
    };
  },
  // Esc never quits: it clears the filter (and, like any key, a message).
  clear: (s) => ({ state: settle({ ...s, filter: "" }), effects: [] }),
  help: (s) => ({ state: { ...s, mode: { kind: "help" } }, effects: [] }),
  quit: (s) => ({ state: s, effects: [{ type: "save-prefs" }, quit(0)] }),
};

/** What the status line says when the sort changes. */
export const SORT_TEXT: Record<SortBy, string> = {
  name: "sorted by name",
  balance: `sorted by balance: ${BALANCE_ORDER}`,
  state: "sorted by state: worst first",
};

/** Edits and mapping need the full snapshot, which loads just after the first screen. */
const STILL_READING = "still reading the store's details; try again in a moment";

function info(state: UiState, text: string): Step {
  return { state: { ...state, message: { text, tone: "info" } }, effects: [] };
}

/**
 * Pasted text as one line: line breaks and tabs become spaces (a paste never submits), other
 * control characters are dropped, and a trailing line break (a copied line) goes.
 */
export function pastedLine(text: string): string {
  const line = text.replace(/[\r\n]+$/, "").replace(/[\r\n\t]+/g, " ");
  // deno-lint-ignore no-control-regex
  return line.replace(/[\x00-\x1f\x7f-\x9f]/g, "");
}

/** The text-field actions every editable line shares (keymap.ts lineEditing and "type"). */
type LineAction = "type" | "delete-char" | "delete-word" | "delete-all";

function editLine(text: string, action: LineAction, key: Key): string {
  switch (action) {
    case "type":
      return text + (key.name === "paste" ? pastedLine(key.text ?? "") : key.ch ?? "");
    case "delete-char":
      return [...text].slice(0, -1).join("");
    case "delete-word":
      return text.replace(/\S*\s*$/, "");
    case "delete-all":
      return "";
  }
}

function lineHandlers<M extends ModeKind>(
  set: (state: UiState, mode: ModeOf<M>, text: string) => Step,
  get: (state: UiState, mode: ModeOf<M>) => string,
): Record<LineAction, Handler<M>> {
  const h = (action: LineAction): Handler<M> => (s, m, key) =>
    set(s, m, editLine(get(s, m), action, key));
  return {
    type: h("type"),
    "delete-char": h("delete-char"),
    "delete-word": h("delete-word"),
    "delete-all": h("delete-all"),
  };
}

const FILTER: Record<ActionOf<"filter">, Handler<"filter">> = {
  ...lineHandlers<"filter">(
    (s, _m, filter) => ({ state: settle({ ...s, filter }), effects: [] }),
    (s) => s.filter,
  ),
  up: (s) => TREE.up(s),
  down: (s) => TREE.down(s),
  done: (s) => ({ state: { ...s, mode: { kind: "tree" } }, effects: [] }),
  clear: (s) => ({ state: settle({ ...s, filter: "", mode: { kind: "tree" } }), effects: [] }),
};

const toTree = (s: UiState): Step => ({ state: { ...s, mode: { kind: "tree" } }, effects: [] });

export const EDIT_FIELDS: { field: EditField; label: string }[] = [
  { field: "notes", label: "notes" },
  { field: "tags", label: "tags" },
  { field: "expires_at", label: "expiry" },
  { field: "env", label: "env var" },
];

function currentText(row: KeyRow | undefined, field: EditField): string {
  const k = row?.view?.key;
  if (field === "tags") return (k?.tags ?? []).join(", ");
  if (field === "expires_at") return k?.expires_at?.slice(0, 10) ?? "";
  return k?.[field] ?? "";
}

const startEdit = (field: EditField): Handler<"edit-pick"> => (s, m) => {
  const text = currentText(s.rows.get(m.path), field);
  return { state: { ...s, mode: { kind: "edit", path: m.path, field, text } }, effects: [] };
};

const EDIT_PICK: Record<ActionOf<"edit-pick">, Handler<"edit-pick">> = {
  notes: startEdit("notes"),
  tags: startEdit("tags"),
  expires_at: startEdit("expires_at"),
  env: startEdit("env"),
  cancel: toTree,
};

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

const EDIT: Record<ActionOf<"edit">, Handler<"edit">> = {
  ...lineHandlers<"edit">(
    (s, m, text) => ({ state: { ...s, mode: { ...m, text, error: undefined } }, effects: [] }),
    (_s, m) => m.text,
  ),
  save: (s, m) => {
    const r = applyEdit(s.rows.get(m.path)?.view?.key, m.path, m.field, m.text);
    if ("error" in r) return { state: { ...s, mode: { ...m, error: r.error } }, effects: [] };
    return { state: { ...s, mode: { kind: "tree" } }, effects: [{ type: "save-key", key: r.key }] };
  },
  cancel: toTree,
};

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

function setPicker(state: UiState, picker: Picker): Step {
  return { state: { ...state, mode: { kind: "pick", picker } }, effects: [] };
}

const PICK: Record<ActionOf<"pick">, Handler<"pick">> = {
  ...lineHandlers<"pick">(
    (s, m, query) => setPicker(s, { ...m.picker, query, index: 0 }),
    (_s, m) => m.picker.query,
  ),
  up: (s, { picker }) => setPicker(s, { ...picker, index: Math.max(0, picker.index - 1) }),
  down: (s, { picker }) => {
    const last = pickChoices(s, picker).length - 1;
    return setPicker(s, { ...picker, index: Math.min(last, picker.index + 1) });
  },
  select: (s, { picker }) => {
    const choice = pickChoices(s, picker)[picker.index];
    if (!choice) return none(s);
    if (picker.kind === "provider") {
      const p = s.providers.find((x) => x.id === choice.value);
      const rec = s.rows.get(picker.path)?.view?.recognition;
      const current = rec?.kind === "key" && rec.how === "explicit" ? rec : undefined;
      const next: Picker = {
        kind: "credential",
        path: picker.path,
        provider: choice.value,
        query: "",
        index: 0,
      };
      if (current?.credential && current.provider === choice.value) {
        const list = pickChoices(s, next);
        next.index = Math.max(0, list.findIndex((c) => c.value === current.credential));
      } else if (p?.credential?.required) {
        next.index = Math.min(1, pickChoices(s, next).length - 1);
      }
      return setPicker(s, next);
    }
    const mapping: Mapping = { provider: picker.provider! };
    if (choice.value) mapping.credential = choice.value;
    return {
      state: { ...s, mode: { kind: "tree" } },
      effects: [{ type: "save-map", path: picker.path, mapping }],
    };
  },
  cancel: toTree,
};

/** Every action of every mode's bindings has its handler here (the type says so). */
const HANDLERS: Handlers = {
  tree: TREE,
  filter: FILTER,
  help: { close: toTree },
  "edit-pick": EDIT_PICK,
  edit: EDIT,
  pick: PICK,
};

/** The actions each mode handles (tests tie them to keymap.ts). */
export const HANDLED_ACTIONS: { [M in ModeKind]: string[] } = Object.fromEntries(
  Object.entries(HANDLERS).map(([mode, h]) => [mode, Object.keys(h)]),
) as { [M in ModeKind]: string[] };

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

/** A write waits for another keyz's store lock (who holds it), or no longer waits. */
export function setLockHolder(state: UiState, holder: string | undefined): UiState {
  if (state.lockHolder === holder) return state;
  const { lockHolder: _, ...rest } = state;
  return holder === undefined ? rest : { ...rest, lockHolder: holder };
}

/** Apply one of autosync's events (autosync.ts) to the state, once autosync has started. */
export function updateAutosync(state: UiState, fn: (a: Autosync) => Autosync): UiState {
  return state.autosync ? { ...state, autosync: fn(state.autosync) } : state;
}

/**
 * A time event (the runner calls it after every change and when `nextWake` comes): autosync
 * notes the selection and decides whether to sync due keys now.
 */
export function onTick(state: UiState, now: number): Step {
  if (!state.autosync) return { state, effects: [] };
  const t = tick(state.autosync, {
    now,
    selected: selectedRow(state)?.path,
    due: (only) => {
      const views: EntryView[] = [];
      for (const p of only ?? state.rows.keys()) {
        const view = state.rows.get(p)?.view;
        if (view && !state.syncing.has(p)) views.push(view);
      }
      return duePaths(views, state.config, now, state.autosync!.timing.minuteMs);
    },
  });
  const next = t.autosync === state.autosync ? state : { ...state, autosync: t.autosync };
  return { state: next, effects: t.burst ? [{ type: "autosync", paths: t.burst }] : [] };
}

/** When the runner should call `onTick` next (epoch ms), or undefined. */
export function nextWake(state: UiState): number | undefined {
  return state.autosync ? wakeAt(state.autosync) : undefined;
}
