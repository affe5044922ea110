/**
 * The browser's data: one row per key (badges, figure, search text) derived from an EntryView,
 * and a folder tree whose folders roll up their children's worst badge and totals.
 */
import type { StoreConfig } from "../config/store_config.ts";
import type { EntryView } from "../view/entries.ts";
import { type Issue, type IssueKind, judge, type Judgement } from "../view/judge.ts";
import { type BalanceOf, compareBalance, type ListingRow, rowOfView } from "../view/listing.ts";

export type Badge =
  | "auth"
  | "config"
  | "provider"
  | "network"
  | "disabled"
  | "expired"
  | "low"
  | "expiring"
  | "stale"
  | "never"
  | "untrusted"
  | "not_yours"
  | "unavailable"
  | "live";

/** Worst first: a folder shows the first of these that any key below it has. */
export const BADGE_ORDER: readonly Badge[] = [
  "auth",
  "config",
  "provider",
  "network",
  "disabled",
  "expired",
  "low",
  "expiring",
  "stale",
  "never",
  "untrusted",
  "not_yours",
  "unavailable",
  "live",
];

/** One symbol per badge, so the state reads without colour (NO_COLOR). */
export const BADGE_SYMBOL: Record<Badge, string> = {
  auth: "✗",
  config: "✗",
  provider: "✗",
  network: "○",
  disabled: "⊘",
  expired: "!",
  low: "↓",
  expiring: "⧗",
  stale: "~",
  never: "·",
  untrusted: "?",
  not_yours: "≠",
  unavailable: "-",
  live: "✓",
};

/** The word beside the symbol: what a user reads the state as. */
export const BADGE_LABEL: Record<Badge, string> = {
  auth: "auth",
  config: "config",
  provider: "error",
  network: "offline",
  disabled: "disabled",
  expired: "expired",
  low: "low",
  expiring: "expiring",
  stale: "stale",
  never: "never",
  untrusted: "untrusted",
  not_yours: "not yours",
  unavailable: "n/a",
  live: "live",
};

/**
 * The badge each of `keyz check`'s issue kinds shows as (an `error` issue shows as the state's
 * error badge). The browser's badges are a projection of the judgement, like check's output.
 */
export const ISSUE_BADGE: Record<Exclude<IssueKind, "error">, Badge> = {
  low_balance: "low",
  expired: "expired",
  expiring: "expiring",
  stale: "stale",
  never_synced: "never",
  disabled: "disabled",
};

export interface KeyRow {
  path: string;
  name: string;
  provider?: string;
  /** The headline figure, e.g. "110.00 CNY". */
  figure: string;
  /** Money left (balance or remaining limit), for sorting and folder totals. */
  amount?: number;
  currency?: string;
  /** Every badge that applies, worst first (never empty). */
  badges: readonly Badge[];
  /** What check would report for this key. */
  issues: readonly Issue[];
  expiresAt?: string;
  lowBalance?: number;
  /**
   * Everything known about the key, for the details pane and edits. Absent while the browser
   * shows its first screen from the cached listing and the full snapshot is still loading.
   */
  view?: EntryView;
  /** Tags and notes (see haystackOf). */
  search: string;
}

export function keyRow(view: EntryView, config: StoreConfig, now: Date): KeyRow {
  const r = rowOfView(view, config);
  return rowOf(r, judge(r, now.getTime()), view);
}

/** Every badge that applies to a judged key, worst first (never empty). */
export function badgesOf(j: Pick<Judgement, "state" | "issues">): readonly Badge[] {
  const state = stateBadge(j.state);
  if (j.issues.length === 0) return SINGLE[state]; // most keys: one badge, no allocation
  const list = new Set<Badge>([state]);
  for (const i of j.issues) {
    if (i.kind === "error") list.add(state === "live" || state === "stale" ? "config" : state);
    else list.add(ISSUE_BADGE[i.kind]);
  }
  return [...list].sort((a, b) => RANK[a] - RANK[b]);
}

function stateBadge(s: Judgement["state"]): Badge {
  switch (s) {
    case "not_a_key":
    case "ignored":
    case "other":
      return "never"; // not shown in the tree (not keys); a neutral badge if ever asked
    default:
      return s;
  }
}

/** A row from a key's listing row and its judgement (and its full view, once loaded). */
export function rowOf(r: Readonly<ListingRow>, j: Judgement, view?: EntryView): KeyRow {
  return {
    path: r.path,
    name: r.path.slice(r.path.lastIndexOf("/") + 1),
    provider: r.provider,
    figure: r.figure,
    amount: r.remaining,
    currency: r.currency,
    badges: badgesOf(j),
    issues: j.issues,
    expiresAt: r.expiresAt,
    lowBalance: j.thresholds.min_balance ?? undefined,
    view,
    search: r.search,
  };
}

const SINGLE = Object.fromEntries(BADGE_ORDER.map((b) => [b, [b]])) as unknown as Record<
  Badge,
  readonly Badge[]
>;

const RANK = Object.fromEntries(BADGE_ORDER.map((b, i) => [b, i])) as Record<Badge, number>;

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
