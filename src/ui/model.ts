/**
 * The browser's data: one row per key (badges, figure, search text) derived from a KeyView,
 * and a folder tree whose folders roll up their children's worst badge and totals.
 */
import type { StoreConfig } from "../config/store_config.ts";
import { thresholdFor } from "../config/store_config.ts";
import { headline, type KeyView } from "../view/keys.ts";

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
  badges: Badge[];
  expiresAt?: string;
  lowBalance?: number;
  view: KeyView;
  /** Lower-cased path, provider, tags and notes: what the filter matches. */
  haystack: string;
}

const DAY = 86_400_000;

/** The low-balance threshold: key sidecar, then store config (key, provider), then manifest. */
export function lowBalanceFor(view: KeyView, config: StoreConfig): number | undefined {
  if (view.key?.low_balance !== undefined) return view.key.low_balance;
  const provider = view.mapping?.provider;
  const keyCfg = config.keys?.[view.path]?.min_balance;
  if (keyCfg !== undefined) return keyCfg;
  const provCfg = provider ? config.providers?.[provider]?.min_balance : undefined;
  if (provCfg !== undefined) return provCfg;
  return view.provider?.manifest.lowBalance ?? config.thresholds?.min_balance;
}

export function keyRow(view: KeyView, config: StoreConfig, now: Date): KeyRow {
  const meta = view.account?.metadata;
  const h = headline(meta);
  const amount = meta?.kind === "balance" ? h.amount : undefined;
  const badges: Badge[] = [];
  const state = view.state;
  if (state === "error") badges.push("error");
  const expiresAt = view.key?.expires_at ?? meta?.expires_at;
  const within = thresholdFor(config, view.path, view.mapping?.provider).expiring_within_days ??
    DEFAULT_EXPIRING_DAYS;
  if (expiresAt) {
    const left = Date.parse(expiresAt) - now.getTime();
    if (left <= 0) badges.push("expired");
    else if (left <= within * DAY) badges.push("expiring");
  }
  const low = lowBalanceFor(view, config);
  if (amount !== undefined && (amount <= 0 || (low !== undefined && amount < low))) {
    badges.push("low");
  }
  if (state !== "error") badges.push(state);
  badges.sort((a, b) => BADGE_ORDER.indexOf(a) - BADGE_ORDER.indexOf(b));
  const name = view.path.slice(view.path.lastIndexOf("/") + 1);
  const provider = view.mapping?.provider;
  const haystack = [view.path, provider ?? "", ...(view.key?.tags ?? []), view.key?.notes ?? ""]
    .join(" ").toLowerCase();
  return {
    path: view.path,
    name,
    provider,
    figure: h.label,
    amount,
    currency: amount !== undefined ? meta?.currency ?? "" : undefined,
    badges,
    expiresAt,
    lowBalance: low,
    view,
    haystack,
  };
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

/** Build the folder tree from rows (paths sorted by name; sorting for display is separate). */
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
  for (const path of [...rows.keys()].sort()) {
    const cut = path.lastIndexOf("/");
    folderOf(cut < 0 ? "" : path.slice(0, cut)).keys.push(path);
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
    .sort((a, b) => a[0].localeCompare(b[0]))
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
