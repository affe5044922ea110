/**
 * `render(state, {width, height, color}) → lines`: the whole screen as exactly `height` lines
 * of exactly `width` cells. Pure; every state is readable without colour (symbols, a `›`
 * marker on the selected row).
 */
import { sgr, type SgrName } from "../util/ansi.ts";
import type { HistoryLine } from "../sidecars/schema.ts";
import { age } from "../view/format.ts";
import { describeRecognition } from "../view/recognize.ts";
import { pointFromHistory } from "../history/series.ts";
import { type Badge, BADGE_LABEL, BADGE_SYMBOL, formatTotals, type KeyRow } from "./rows.ts";
import {
  EDIT_FIELDS,
  type Item,
  keyContext,
  layout,
  pickChoices,
  type Picker,
  selectedRow,
  type UiState,
  visibleItems,
} from "./state.ts";
import { footerLabels, helpLines } from "./keymap.ts";
import { clean, fit, fitRight, truncate, truncateStart, width as cells, wrap } from "./text.ts";

export interface RenderOptions {
  width: number;
  height: number;
  color: boolean;
}

type Style = SgrName;

const BADGE_STYLE: Record<Badge, Style> = {
  auth: "red",
  config: "red",
  provider: "red",
  network: "magenta",
  disabled: "red",
  expired: "red",
  low: "yellow",
  expiring: "yellow",
  stale: "yellow",
  never: "dim",
  untrusted: "magenta",
  not_yours: "dim",
  unavailable: "dim",
  live: "green",
};

/** A piece of a line: text already fitted to its cells, and its style. */
type Seg = [text: string, ...styles: Style[]];

function paint(segs: Seg[], color: boolean, whole: Style[] = []): string {
  if (!color) return segs.map((s) => s[0]).join("");
  const open = (styles: Style[]) => {
    const all = [...whole, ...styles];
    return all.length ? sgr(...all) : "";
  };
  return segs.map(([text, ...styles]) => `${sgr()}${open(styles)}${text}`).join("") + sgr();
}

export function badgeText(badges: readonly Badge[]): string {
  const symbols = badges.map((b) => BADGE_SYMBOL[b]).join("");
  return `${symbols} ${BADGE_LABEL[badges[0]]}`;
}

// ---------------------------------------------------------------------------------------------
// Tree

interface Columns {
  provider: number;
  figure: number;
  badge: number;
}

function columns(w: number): Columns {
  if (w >= 100) return { provider: 12, figure: 20, badge: 13 };
  if (w >= 64) return { provider: 11, figure: 15, badge: 13 };
  if (w >= 44) return { provider: 0, figure: 13, badge: 11 };
  return { provider: 0, figure: 0, badge: 3 };
}

function treeLine(
  state: UiState,
  item: Item,
  selected: boolean,
  w: number,
  color: boolean,
): string {
  const col = columns(w);
  const right = (col.provider ? col.provider + 1 : 0) + (col.figure ? col.figure + 1 : 0) +
    col.badge;
  const nameWidth = Math.max(4, w - 1 - right - 1);
  const indent = "  ".repeat(item.depth);
  const segs: Seg[] = [[selected ? "›" : " ", "bold"]];
  let badge: string;
  let badgeStyle: Style;
  if (item.kind === "folder") {
    const f = item.folder;
    const open = state.filter !== "" || state.expanded.has(f.path);
    segs.push([
      fit(`${indent}${open ? "▾" : "▸"} ${clean(f.name)}/ (${f.count})`, nameWidth),
      "bold",
    ]);
    segs.push([" "]);
    if (col.provider) segs.push([fit("", col.provider + 1)]);
    if (col.figure) {
      segs.push([fitRight(compactTotals(f.totals, col.figure), col.figure), "dim"], [" "]);
    }
    badge = `${BADGE_SYMBOL[f.worst]} ${BADGE_LABEL[f.worst]}`;
    badgeStyle = BADGE_STYLE[f.worst];
  } else {
    const r = item.row;
    segs.push([fit(`${indent}  ${clean(r.name)}`, nameWidth)]);
    segs.push([" "]);
    if (col.provider) segs.push([fit(r.provider ?? "-", col.provider), "cyan"], [" "]);
    if (col.figure) segs.push([fitRight(r.figure || "-", col.figure)], [" "]);
    if (state.syncing.has(r.path)) {
      badge = "↻ syncing";
      badgeStyle = "blue";
    } else {
      badge = badgeText(r.badges);
      badgeStyle = BADGE_STYLE[r.badges[0]];
    }
  }
  if (col.badge <= 3) badge = badge.slice(0, badge.indexOf(" ") < 0 ? 1 : badge.indexOf(" "));
  segs.push([fit(badge, col.badge), badgeStyle]);
  const used = segs.reduce((n, s) => n + cells(s[0]), 0);
  if (used < w) segs.push([" ".repeat(w - used)]);
  return paint(segs, color, selected ? ["inverse"] : []);
}

/** Folder totals in `room` cells: every currency when they fit, else the largest and "+N". */
export function compactTotals(totals: Map<string, number>, room: number): string {
  const all = formatTotals(totals);
  if (cells(all) <= room || totals.size < 2) return all;
  const [cur, n] = [...totals.entries()].sort((a, b) => b[1] - a[1])[0];
  return `${n.toFixed(2)} ${cur} +${totals.size - 1}`;
}

// ---------------------------------------------------------------------------------------------
// Details

const SPARKS = "▁▂▃▄▅▆▇█";

/** A sparkline of the headline figure over the last syncs (failed syncs are gaps). */
export function sparkline(lines: HistoryLine[], max = 16): string {
  const values = lines.slice(-max).map((l) => pointFromHistory(l)?.value);
  const nums = values.filter((v): v is number => v !== undefined);
  if (nums.length === 0) return "";
  const lo = Math.min(...nums);
  const hi = Math.max(...nums);
  return values.map((v) => {
    if (v === undefined) return " ";
    if (hi === lo) return SPARKS[3];
    return SPARKS[Math.round(((v - lo) / (hi - lo)) * (SPARKS.length - 1))];
  }).join("");
}

function inDays(iso: string, now: Date): string {
  const days = Math.round((Date.parse(iso) - now.getTime()) / 86_400_000);
  if (days < 0) return `expired ${-days}d ago`;
  if (days === 0) return "today";
  return `in ${days}d`;
}

/** The details of one key as label/value pairs, most useful first. */
export function detailPairs(state: UiState, row: KeyRow): [string, string, Style?][] {
  const v = row.view;
  const now = state.now;
  const out: [string, string, Style?][] = [];
  if (!v) {
    // First screen, from the cached listing: what the row knows; the rest is on its way.
    out.push(["provider", row.provider ?? "unmapped"]);
    out.push(["state", badgeText(row.badges), BADGE_STYLE[row.badges[0]]]);
    if (row.figure) out.push(["figure", row.figure, "bold"]);
    if (row.expiresAt) {
      out.push(["expires", `${row.expiresAt.slice(0, 10)} (${inDays(row.expiresAt, now)})`]);
    }
    out.push(["details", "reading…", "dim"]);
    return out;
  }
  const a = v.account?.fetched_at ? v.account : undefined;
  const r = v.recognition;
  out.push([
    "provider",
    r.kind === "key"
      ? `${r.provider} (${r.how === "auto" ? "from path" : "mapped"})` +
        (v.provider ? ` · ${v.provider.manifest.name}` : " · not loaded")
      : "not a key (press m to map it)",
  ]);
  out.push(["found", describeRecognition(r), "dim"]);
  const st = state.syncing.has(row.path)
    ? "↻ syncing…"
    : `${badgeText(row.badges)}${
      a?.fetched_at ? ` · figures ${age(a.fetched_at, now)} old` : " · never synced"
    }`;
  out.push(["state", st, state.syncing.has(row.path) ? "blue" : BADGE_STYLE[row.badges[0]]]);
  if (row.figure) out.push(["figure", row.figure, "bold"]);
  const hist = state.history?.path === row.path ? state.history.lines : undefined;
  if (hist && hist.length) {
    out.push(["history", `${sparkline(hist)}  ${hist.length} sync${hist.length === 1 ? "" : "s"}`]);
  }
  const note = state.syncNotes.get(row.path);
  const failed = v.attempt?.error;
  if (failed && v.attempt) {
    out.push([
      "error",
      `${failed.kind}: ${failed.message} (${age(v.attempt.at, now)} ago)`,
      "red",
    ]);
  }
  if (note) out.push(["sync", note, "red"]);
  if (row.lowBalance !== undefined) out.push(["low below", String(row.lowBalance)]);
  if (row.expiresAt) {
    out.push(["expires", `${row.expiresAt.slice(0, 10)} (${inDays(row.expiresAt, now)})`]);
  }
  const env = v.key?.env ?? v.provider?.manifest.env;
  if (env) out.push(["env var", env + (v.key?.env ? "" : " (provider default)")]);
  if (v.key?.tags?.length) out.push(["tags", v.key.tags.join(", ")]);
  if (v.key?.notes) out.push(["notes", v.key.notes]);
  if (r.kind === "key" && r.how === "explicit" && r.credential) {
    out.push(["credential", r.credential]);
  }
  if (a) out.push(["account", a.account]);
  if (a?.fetched_at) out.push(["last ok", `${a.fetched_at} (${age(a.fetched_at, now)} ago)`]);
  if (v.attempt && v.attempt.at !== a?.fetched_at) out.push(["last try", v.attempt.at]);
  for (const [k, val] of Object.entries(a?.metadata ?? {})) {
    if (k === "kind" || val === undefined) continue;
    out.push([k, String(val)]);
  }
  for (const p of v.problems) out.push(["problem", p, "red"]);
  return out;
}

function detailLines(state: UiState, w: number, h: number, color: boolean): string[] {
  const row = selectedRow(state);
  const lines: string[] = [];
  if (!row) {
    const item = visibleItems(state).find((i) => i.id === state.cursor);
    if (item?.kind === "folder") {
      const f = item.folder;
      lines.push(paint([[fit(`${f.path}/`, w), "bold"]], color));
      lines.push(paint([[fit(`keys      ${f.count}`, w)]], color));
      lines.push(
        paint(
          [[
            fit(`worst     ${BADGE_SYMBOL[f.worst]} ${BADGE_LABEL[f.worst]}`, w),
            BADGE_STYLE[f.worst],
          ]],
          color,
        ),
      );
      const totals = formatTotals(f.totals);
      if (totals) lines.push(paint([[fit(`balance   ${totals}`, w)]], color));
      lines.push(paint([[fit("s syncs every key in this folder", w), "dim"]], color));
    } else lines.push(paint([[fit("no key selected", w), "dim"]], color));
  } else {
    lines.push(paint([[fit(clean(row.path), w), "bold"]], color));
    const label = 11;
    for (const [k, val, style] of detailPairs(state, row)) {
      // Messages and notes are what a user reads in full: up to three lines; the rest is one.
      const long = k === "error" || k === "sync" || k === "notes" || k === "problem";
      const parts = long
        ? wrap(clean(val), Math.max(1, w - label), 3)
        : [truncate(clean(val), Math.max(1, w - label))];
      parts.forEach((part, i) => {
        const segs: Seg[] = [[fit(i === 0 ? k : "", label), "dim"], [
          fit(part, w - label),
          ...(style ? [style] : []),
        ]];
        lines.push(paint(segs, color));
      });
    }
  }
  while (lines.length < h) lines.push(" ".repeat(w));
  return lines.slice(0, h);
}

// ---------------------------------------------------------------------------------------------
// Overlays: help and pickers

function legend(): string {
  return (Object.entries(BADGE_SYMBOL) as [Badge, string][]).map(([b, s]) => `${s} ${b}`).join(
    "  ",
  );
}

function helpScreen(w: number, h: number, color: boolean): string[] {
  const lines = [paint([[fit("keyz browse: keys", w), "bold"]], color)];
  const help = helpLines("tree").map(([keys, what]) => [keys.join(" "), what]);
  const keysWidth = Math.min(Math.floor(w / 3), 4 + Math.max(...help.map(([k]) => cells(k))));
  for (const [k, what] of help) {
    lines.push(paint([[fit(`  ${k}`, keysWidth), "cyan"], [fit(what, w - keysWidth)]], color));
  }
  lines.push(" ".repeat(w));
  lines.push(paint([[fit("badges", 10), "bold"], [fit(legend(), w - 10)]], color));
  lines.push(
    paint([[
      fit("  Nothing is decrypted to draw this screen; only c, s and autosync use the key.", w),
      "dim",
    ]], color),
  );
  while (lines.length < h) lines.push(" ".repeat(w));
  return lines.slice(0, h);
}

function pickerLines(state: UiState, p: Picker, w: number, h: number, color: boolean): string[] {
  const choices = pickChoices(state, p);
  const title = p.kind === "provider"
    ? `map ${p.path} to which provider?`
    : `credential for ${p.path} (${p.provider})? an admin/management key, or none`;
  const lines = [
    paint([[fit(title, w), "bold"]], color),
    paint([[fit(`filter: ${p.query}▏`, w), "cyan"]], color),
  ];
  const room = Math.max(1, h - lines.length);
  const start = Math.max(0, Math.min(p.index - Math.floor(room / 2), choices.length - room));
  for (const [i, c] of choices.slice(start, start + room).entries()) {
    const sel = start + i === p.index;
    const segs: Seg[] = [[sel ? "›" : " "], [fit(` ${c.label}`, Math.min(40, w - 1))]];
    const used = 1 + Math.min(40, w - 1);
    segs.push([fit(c.hint ? ` ${c.hint}` : "", w - used), "dim"]);
    lines.push(paint(segs, color, sel ? ["inverse"] : []));
  }
  if (choices.length === 0) lines.push(paint([[fit("  nothing matches", w), "dim"]], color));
  while (lines.length < h) lines.push(" ".repeat(w));
  return lines.slice(0, h);
}

// ---------------------------------------------------------------------------------------------
// Header, status line, footer

/** The footer: the current mode's bindings that apply to what is selected (keymap.ts). */
export function footerKeys(state: UiState): string[] {
  return footerLabels(state.mode.kind, keyContext(state));
}

/** Fit the keys into the width; "? help" and "q quit" are always kept. */
function footer(state: UiState, w: number): string {
  const keys = footerKeys(state);
  const keep: string[] = keys.filter((k) => k === "? help" || k === "q quit");
  const rest = keys.filter((k) => !keep.includes(k));
  const sep = cells(keys.join("  ")) <= w ? "  " : " ";
  const chosen: string[] = [];
  const len = (xs: string[]) => cells(xs.join(sep));
  for (const k of rest) if (len([...chosen, k, ...keep]) <= w) chosen.push(k);
  return fit([...chosen, ...keep].join(sep), w);
}

function statusLine(state: UiState, w: number, color: boolean): string {
  const m = state.mode;
  if (m.kind === "filter") {
    const n = visibleItems(state).filter((i) => i.kind === "key").length;
    return paint([[fit(`/${state.filter}▏  ${n} match${n === 1 ? "" : "es"}`, w), "cyan"]], color);
  }
  if (m.kind === "edit") {
    const label = EDIT_FIELDS.find((f) => f.field === m.field)!.label;
    const hint = m.field === "expires_at"
      ? " (YYYY-MM-DD)"
      : m.field === "tags"
      ? " (comma-separated)"
      : "";
    // The prompt gives way first, then the error; the end of the text always shows.
    const prompt = truncate(`${label}${hint}: `, Math.max(0, w - 9));
    const err = m.error ? `  ✗ ${m.error}` : "";
    const room = Math.max(4, w - cells(prompt) - cells(err) - 1);
    const shown = truncateStart(clean(m.text), room);
    return paint([[prompt, "bold"], [`${shown}▏`], [
      fit(err, w - cells(prompt) - cells(shown) - 1),
      "red",
    ]], color);
  }
  if (m.kind === "edit-pick") {
    return paint([[fit(`edit ${m.path}: which field?`, w), "bold"]], color);
  }
  if (state.message) {
    return paint([[
      fit(clean(state.message.text), w),
      state.message.tone === "error" ? "red" : "green",
    ]], color);
  }
  if (state.filter) {
    return paint([[fit(`filter: /${state.filter}  (Esc clears)`, w), "cyan"]], color);
  }
  const holder = state.lockHolder;
  if (holder) {
    const text = `⧗ waiting for ${clean(holder)} to finish with the store; then syncing`;
    return paint([[fit(text, w), "yellow"]], color);
  }
  if (state.syncing.size) {
    return paint([[fit(`↻ syncing ${state.syncing.size} key(s)…`, w), "blue"]], color);
  }
  return " ".repeat(w);
}

/** "autosync on", "autosync off", "autosync off (store config)"; "" until it has started. */
export function autosyncLabel(state: UiState): string {
  const a = state.autosync;
  if (!a) return "";
  return a.offBy ? `autosync off (${a.offBy})` : `autosync ${a.on ? "on" : "off"}`;
}

/** "○ 3 providers unreachable since 14:02" (local time; with the date when not today). */
export function unreachableText(state: UiState): string {
  const u = state.autosync?.unreachable;
  if (!u) return "";
  const since = new Date(u.since);
  const two = (n: number) => String(n).padStart(2, "0");
  const time = `${two(since.getHours())}:${two(since.getMinutes())}`;
  const now = state.now;
  const sameDay = since.toDateString() === now.toDateString();
  const day = `${since.getFullYear()}-${two(since.getMonth() + 1)}-${two(since.getDate())}`;
  const n = u.providers;
  return `○ ${n} provider${n === 1 ? "" : "s"} unreachable since ${
    sameDay ? time : `${day} ${time}`
  }`;
}

function header(state: UiState, w: number, color: boolean): string {
  const left = ` keyz browse  ${state.storeDir}`;
  // Balances in different currencies are never compared: the header says how they are sorted.
  const sort = state.sort === "balance" ? "balance, lowest first per currency" : state.sort;
  const offline = unreachableText(state);
  const right = [offline, `${state.tree.count} keys`, `sort: ${sort}`, autosyncLabel(state)]
    .filter(Boolean).join(" · ") + " ";
  const room = Math.max(0, w - cells(right));
  return paint([[fit(left, room), "bold"], [fitRight(right, w - room)]], color, ["inverse"]);
}

// ---------------------------------------------------------------------------------------------

export function render(state0: UiState, opts: RenderOptions): string[] {
  const { width: w, height: h, color } = opts;
  const state = state0.viewport.width === w && state0.viewport.height === h
    ? state0
    : { ...state0, viewport: { width: w, height: h } };
  if (h < 4 || w < 20) {
    return Array.from({ length: h }, (_, i) => fit(i === 0 ? "keyz: window too small" : "", w));
  }
  const lay = layout(state);
  const body: string[] = [];
  const bodyHeight = h - 3;
  const mode = state.mode;
  if (mode.kind === "help") body.push(...helpScreen(w, bodyHeight, color));
  else if (mode.kind === "pick") {
    body.push(...pickerLines(state, mode.picker, w, bodyHeight, color));
  } else {
    const items = visibleItems(state);
    const selected = items.find((i) => i.id === state.cursor) ?? items[0];
    const tw = lay.treeWidth;
    const tree: string[] = [];
    const top = Math.max(0, Math.min(state.scroll, Math.max(0, items.length - lay.treeHeight)));
    for (const item of items.slice(top, top + lay.treeHeight)) {
      tree.push(treeLine(state, item, item === selected, tw, color));
    }
    if (items.length === 0) {
      tree.push(
        paint([[
          fit(state.filter ? "  nothing matches the filter" : "  the store is empty", tw),
          "dim",
        ]], color),
      );
    }
    while (tree.length < lay.treeHeight) tree.push(" ".repeat(tw));
    const d = lay.details;
    if (!d) body.push(...tree);
    else if (d.left > 0) {
      const det = detailLines(state, d.width, d.height, color);
      const bar = paint([["│", "dim"]], color);
      for (let i = 0; i < bodyHeight; i++) body.push(tree[i] + bar + det[i]);
    } else {
      body.push(...tree);
      body.push(paint([[("─ details " + "─".repeat(w)).slice(0, w), "dim"]], color));
      body.push(...detailLines(state, w, d.height, color));
    }
  }
  while (body.length < bodyHeight) body.push(" ".repeat(w));
  return [
    header(state, w, color),
    ...body.slice(0, bodyHeight),
    statusLine(state, w, color),
    paint([[footer(state, w), "dim"]], color),
  ];
}
