/**
 * The browser's data: one row per key (badges, figure, search text) derived from a KeyView,
 * and a folder tree whose folders roll up their children's worst badge and totals.
 */
import type { StoreConfig } from "../config/store_config.ts";
import { thresholdFor } from "../config/threshold.ts";
import type { KeyState, KeyView } from "../view/keys.ts";
import { factsOf, type KeyFacts } from "../view/listing.ts";

export type Badge =
  | "error"
  | "expired"
  | "low"
  | "expiring"
  | "stale"
  | "unmapped"
  | "never"
  | "unavailable"
  | "live";

/** Worst first: a folder shows the first of these that any key below it has. */
export const BADGE_ORDER: readonly Badge[] = [
  "error",
  "expired",
  "low",
  "expiring",
  "stale",
  "unmapped",
  "never",
  "unavailable",
  "live",
];

/** One symbol per badge, so the state reads without colour (NO_COLOR). */
export const BADGE_SYMBOL: Record<Badge, string> = {
  error: "✗",
  expired: "!",
  low: "↓",
  expiring: "⧗",
  stale: "~",
  unmapped: "?",
  never: "·",
  unavailable: "-",
  live: "✓",
};

export const DEFAULT_EXPIRING_DAYS = 14;

export interface Thresholds {
  config: StoreConfig;
}

export interface KeyRow {
  path: string;
  name: string;
  provider?: string;
  /** The headline figure, e.g. "110.00 CNY". */
  figure: string;
  /** Balance amount (balance-kind figures only), for sorting and folder totals. */
  amount?: number;
  currency?: string;
  /** Every badge that applies, worst first (never empty). */
  badges: readonly Badge[];
  expiresAt?: string;
  lowBalance?: number;
  /**
   * Everything known about the key, for the details pane and edits. Absent while the browser
   * shows its first screen from the cached listing and the full snapshot is still loading.
   */
  view?: KeyView;
  /** Tags and notes (see haystackOf). */
  search: string;
}

const DAY = 86_400_000;

export function keyRow(view: KeyView, config: StoreConfig, now: Date): KeyRow {
  const f = factsOf(view, config);
  return rowOf(f, f.state, config, now, view);
}

/** A row from a key's facts (from its view, or from a cached listing row). */
export function rowOf(
  f: Omit<KeyFacts, "state">,
  state: KeyState,
  config: StoreConfig,
  now: Date,
  view?: KeyView,
): KeyRow {
  const low = f.lowBalance;
  const amount = f.balance;
  const isLow = amount !== undefined && (amount <= 0 || (low !== undefined && amount < low));
  let badges: readonly Badge[];
  if (!f.expiresAt && !isLow) badges = SINGLE[state]; // most keys: one badge, no allocation
  else {
    const list: Badge[] = [];
    if (state === "error") list.push("error");
    if (f.expiresAt) {
      const within = thresholdFor(config, f.path, f.provider).expiring_within_days ??
        DEFAULT_EXPIRING_DAYS;
      const left = Date.parse(f.expiresAt) - now.getTime();
      if (left <= 0) list.push("expired");
      else if (left <= within * DAY) list.push("expiring");
    }
    if (isLow) list.push("low");
    if (state !== "error") list.push(state);
    badges = list.sort((a, b) => BADGE_ORDER.indexOf(a) - BADGE_ORDER.indexOf(b));
  }
  return {
    path: f.path,
    name: f.path.slice(f.path.lastIndexOf("/") + 1),
    provider: f.provider,
    figure: f.figure,
    amount,
    currency: f.currency,
    badges,
    expiresAt: f.expiresAt,
    lowBalance: low,
    view,
    search: f.search,
  };
}

const SINGLE = Object.fromEntries(BADGE_ORDER.map((b) => [b, [b]])) as unknown as Record<
  Badge,
  readonly Badge[]
>;

const haystacks = new WeakMap<KeyRow, string>();

/** Lower-cased path, provider, tags and notes: what the filter matches (made when first asked). */
export function haystackOf(row: KeyRow): string {
  let h = haystacks.get(row);
  if (h === undefined) {
    h = `${row.path} ${row.provider ?? ""} ${row.search}`.toLowerCase();
    haystacks.set(row, h);
  }
  return h;
}

export interface Folder {
  path: string;
  name: string;
  folders: Folder[];
  keys: string[];
  /** Rolled up from every key below: worst badge and balance totals per currency. */
  worst: Badge;
  totals: Map<string, number>;
  count: number;
}

/** Build the folder tree from rows (in any order; sorting for display is separate). */
export function buildTree(rows: Map<string, KeyRow>): Folder {
  const root: Folder = emptyFolder("", "");
  const index = new Map<string, Folder>([["", root]]);
  const folderOf = (path: string): Folder => {
    const have = index.get(path);
    if (have) return have;
    const cut = path.lastIndexOf("/");
    const parent = folderOf(cut < 0 ? "" : path.slice(0, cut));
    const f = emptyFolder(path, path.slice(cut + 1));
    parent.folders.push(f);
    index.set(path, f);
    return f;
  };
  // No sorting here (sortChildren orders what is shown). Rows usually arrive folder by folder:
  // the last folder is reused while the prefix matches.
  let last: Folder = root;
  for (const path of rows.keys()) {
    const cut = path.lastIndexOf("/");
    const same = cut < 0
      ? last === root
      : cut === last.path.length && last !== root && path.startsWith(last.path);
    if (!same) last = folderOf(cut < 0 ? "" : path.slice(0, cut));
    last.keys.push(path);
  }
  rollUp(root, rows);
  return root;
}

function emptyFolder(path: string, name: string): Folder {
  return { path, name, folders: [], keys: [], worst: "live", totals: new Map(), count: 0 };
}

/** Recompute a folder's (and its sub-folders') rollups. */
export function rollUp(f: Folder, rows: Map<string, KeyRow>): void {
  let worst = BADGE_ORDER.length - 1;
  const totals = new Map<string, number>();
  let count = 0;
  const add = (cur: string, n: number) => totals.set(cur, (totals.get(cur) ?? 0) + n);
  for (const sub of f.folders) {
    rollUp(sub, rows);
    worst = Math.min(worst, BADGE_ORDER.indexOf(sub.worst));
    for (const [c, n] of sub.totals) add(c, n);
    count += sub.count;
  }
  for (const p of f.keys) {
    const r = rows.get(p);
    if (!r) continue;
    worst = Math.min(worst, BADGE_ORDER.indexOf(r.badges[0]));
    if (r.amount !== undefined) add(r.currency ?? "", r.amount);
    count++;
  }
  f.worst = BADGE_ORDER[worst];
  f.totals = totals;
  f.count = count;
}

/** "135.25 USD + 110.00 CNY" */
export function formatTotals(totals: Map<string, number>): string {
  return [...totals.entries()]
    .sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)
    .map(([c, n]) => `${n.toFixed(2)}${c ? ` ${c}` : ""}`)
    .join(" + ");
}

/**
 * Every space-separated word of the query must be a substring of the haystack, or a
 * subsequence of one of its words ("dpsk" finds deepseek; "sil" does not match "api/deepseek
 * /main personal" letter by letter across words). Case-insensitive; haystack lower-case.
 */
export function fuzzyMatch(haystack: string, query: string): boolean {
  let words: string[] | undefined;
  for (const word of query.toLowerCase().split(/\s+/)) {
    if (!word || haystack.includes(word)) continue;
    words ??= haystack.split(/[\s/_.\-:@]+/);
    if (!words.some((w) => isSubsequence(word, w))) return false;
  }
  return true;
}

function isSubsequence(needle: string, hay: string): boolean {
  if (needle.length > hay.length) return false;
  let i = 0;
  for (const ch of hay) if (ch === needle[i] && ++i === needle.length) return true;
  return false;
}
