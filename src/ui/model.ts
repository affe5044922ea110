/**
 * The browser's data: one row per key (badges, figure, search text) derived from a KeyView,
 * and a folder tree whose folders roll up their children's worst badge and totals.
 */
import type { StoreConfig } from "../config/store_config.ts";
import { thresholdFor } from "../config/threshold.ts";
import type { KeyState, KeyView } from "../view/keys.ts";
import { type BalanceOf, compareBalance, factsOf, type KeyFacts } from "../view/listing.ts";

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

/** Every badge that applies to a key, worst first (never empty). */
export function badgesOf(
  f: Pick<KeyFacts, "path" | "provider" | "balance" | "lowBalance" | "expiresAt">,
  state: KeyState,
  config: StoreConfig,
  now: Date,
): readonly Badge[] {
  const low = f.lowBalance;
  const amount = f.balance;
  const isLow = amount !== undefined && (amount <= 0 || (low !== undefined && amount < low));
  if (!f.expiresAt && !isLow) return SINGLE[state]; // most keys: one badge, no allocation
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
  return list.sort((a, b) => BADGE_ORDER.indexOf(a) - BADGE_ORDER.indexOf(b));
}

/** A row from a key's facts (from its view, or from a cached listing row). */
export function rowOf(
  f: Omit<KeyFacts, "state">,
  state: KeyState,
  config: StoreConfig,
  now: Date,
  view?: KeyView,
): KeyRow {
  return {
    path: f.path,
    name: f.path.slice(f.path.lastIndexOf("/") + 1),
    provider: f.provider,
    figure: f.figure,
    amount: f.balance,
    currency: f.currency,
    badges: badgesOf(f, state, config, now),
    expiresAt: f.expiresAt,
    lowBalance: f.lowBalance,
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
  /** The lowest balance below it by compareBalance: what sorting by balance orders it by. */
  lowest?: BalanceOf;
}

const RANK = Object.fromEntries(BADGE_ORDER.map((b, i) => [b, i])) as Record<Badge, number>;

/**
 * Builds the folder tree with its rollups, one key at a time (keys in any order; sorting for
 * display is separate). Keys usually arrive folder by folder, so the last folder and the
 * running total of its last currency are kept at hand.
 */
export class TreeBuilder {
  readonly #root: Folder = emptyFolder("", "");
  readonly #index = new Map<string, Folder>([["", this.#root]]);
  #last: Folder = this.#root;
  #worst = BADGE_ORDER.length - 1;
  #currency: string | undefined;
  #sum = 0;
  readonly #probe: BalanceOf = {};

  add(path: string, badge: Badge, amount?: number, currency?: string): void {
    const cut = path.lastIndexOf("/");
    const last = this.#last;
    const same = cut < 0
      ? last === this.#root
      : cut === last.path.length && last !== this.#root && path.startsWith(last.path);
    if (!same) {
      this.#flush();
      this.#last = this.#folderOf(cut < 0 ? "" : path.slice(0, cut));
      this.#worst = RANK[this.#last.worst];
    }
    const f = this.#last;
    f.keys.push(path);
    f.count++;
    const rank = RANK[badge];
    if (rank < this.#worst) this.#worst = rank;
    if (amount !== undefined) {
      const cur = currency ?? "";
      this.#probe.balance = amount;
      this.#probe.currency = cur;
      if (!f.lowest || compareBalance(this.#probe, f.lowest) < 0) {
        f.lowest = { balance: amount, currency: cur };
      }
      if (cur !== this.#currency) {
        this.#flushSum();
        this.#currency = cur;
      }
      this.#sum += amount;
    }
  }

  done(): Folder {
    this.#flush();
    rollUp(this.#root);
    return this.#root;
  }

  #flush(): void {
    this.#flushSum();
    this.#last.worst = BADGE_ORDER[this.#worst];
  }

  #flushSum(): void {
    if (this.#currency !== undefined) addTo(this.#last.totals, this.#currency, this.#sum);
    this.#currency = undefined;
    this.#sum = 0;
  }

  #folderOf(path: string): Folder {
    const have = this.#index.get(path);
    if (have) return have;
    const cut = path.lastIndexOf("/");
    const parent = this.#folderOf(cut < 0 ? "" : path.slice(0, cut));
    const f = emptyFolder(path, path.slice(cut + 1));
    parent.folders.push(f);
    this.#index.set(path, f);
    return f;
  }
}

/** The folder tree of a set of rows. */
export function buildTree(rows: Iterable<KeyRow>): Folder {
  const b = new TreeBuilder();
  for (const r of rows) b.add(r.path, r.badges[0], r.amount, r.currency);
  return b.done();
}

function emptyFolder(path: string, name: string): Folder {
  return { path, name, folders: [], keys: [], worst: "live", totals: new Map(), count: 0 };
}

function addTo(totals: Map<string, number>, currency: string, n: number): void {
  totals.set(currency, (totals.get(currency) ?? 0) + n);
}

/** Add each sub-folder's rollups (worst badge, totals, count) into its parent's own. */
function rollUp(f: Folder): void {
  let worst = RANK[f.worst];
  for (const sub of f.folders) {
    rollUp(sub);
    worst = Math.min(worst, RANK[sub.worst]);
    for (const [c, n] of sub.totals) addTo(f.totals, c, n);
    if (sub.lowest && (!f.lowest || compareBalance(sub.lowest, f.lowest) < 0)) {
      f.lowest = sub.lowest;
    }
    f.count += sub.count;
  }
  f.worst = BADGE_ORDER[worst];
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
