/**
 * The listing: one row per key with what `keyz ls` prints and the browser's tree shows, derived
 * from the entry views once and cached beside the snapshot (see listing_cache.ts). Rows carry
 * the clock-free facts judge() needs (JudgeInput), so live/stale, expiry and every badge are
 * decided when shown, by the same judge as `keyz check`. Entries that are not keys are only
 * counted.
 */
import type { StoreConfig } from "../config/store_config.ts";
import type { ProviderSet } from "../providers/load.ts";
import { type EntryView, inputOf } from "./entries.ts";
import { headline } from "./format.ts";
import { isKeyState, type JudgeInput } from "./judge.ts";

/** A key as listed: the judge's facts plus what is shown and searched. */
export interface ListingRow extends JudgeInput {
  path: string;
  provider?: string;
  /** The headline figure, e.g. "110.00 CNY" ("" when none). */
  figure: string;
  /** Tags and notes, for the browser's filter. */
  search: string;
}

/** Entries that are not keys, counted by why (see recognize.ts). */
export interface OtherEntries {
  /** No provider recognised: ordinary passwords. */
  other: number;
  ignored: number;
  /** Recognised by name, but the secret is not a key of that provider. */
  not_a_key: number;
}

/** A provider as the browser's map picker offers it. */
export interface ProviderChoice {
  id: string;
  name: string;
  credential?: { required: boolean; description?: string };
}

export interface Listing {
  /** The keys, sorted by name (byName). A cached listing makes these objects when first asked. */
  rows: ListingRow[];
  /**
   * Visit every row in order without making an object per row: the row passed in is reused for
   * the next one, so read it and do not keep it. Absent: visit `rows`.
   */
  visit?(fn: (row: Readonly<ListingRow>) => void): void;
  others: OtherEntries;
  /** Every known provider, sorted by id. */
  providers: ProviderChoice[];
  /** Manifests that failed to load, as printable lines. */
  problems: string[];
  config: StoreConfig;
}

/**
 * Name order: case-insensitive, then by code unit. Not locale collation on purpose: the first
 * use of ICU costs ~9 ms, a sixth of the browser's start-up budget.
 */
export function byName(a: string, b: string): number {
  const x = a.toLowerCase(), y = b.toLowerCase();
  if (x !== y) return x < y ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function providerChoices(set: ProviderSet): ProviderChoice[] {
  return [...set.providers.values()].map((p): ProviderChoice => {
    const c = p.manifest.credential;
    return {
      id: p.manifest.id,
      name: p.manifest.name,
      ...(c ? { credential: { required: c.required, description: c.description } } : {}),
    };
  }).sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A key's listing row from its view. */
export function rowOfView(v: EntryView, config: StoreConfig): ListingRow {
  const provider = v.recognition.kind === "key" ? v.recognition.provider : undefined;
  return {
    path: v.path,
    ...(provider ? { provider } : {}),
    figure: headline(v.account?.metadata).label,
    search: [...(v.key?.tags ?? []), v.key?.notes ?? ""].join(" ").trim(),
    ...inputOf(v, config),
  };
}

export function listingOf(
  views: EntryView[],
  config: StoreConfig,
  providers: ProviderSet,
  problems: string[],
): Listing {
  const rows: ListingRow[] = [];
  const others: OtherEntries = { other: 0, ignored: 0, not_a_key: 0 };
  for (const v of views) {
    const row = rowOfView(v, config);
    if (isKeyState(row.base)) rows.push(row);
    else others[row.base as keyof OtherEntries]++;
  }
  rows.sort((a, b) => byName(a.path, b.path));
  return { rows, others, providers: providerChoices(providers), problems, config };
}

/** A balance as the balance order sees it: a listing row, a browser row, a folder's lowest. */
export interface BalanceOf {
  balance?: number;
  /** "" or absent: a balance without a currency. */
  currency?: string;
}

/** How `compareBalance` orders keys, in words (the browser says it when sorted by balance). */
export const BALANCE_ORDER =
  "lowest first within each currency, currencies A-Z, keys without a balance last";

/**
 * The balance order of `keyz ls --sort balance` and the browser: amounts in different
 * currencies are never compared. Keys with a balance come first, grouped by currency code
 * (A-Z, a balance without a currency after them), each group lowest first: the keys to top
 * up lead. Keys without a balance (spend, quota, never synced) come last. 0 for a tie.
 */
export function compareBalance(a: BalanceOf, b: BalanceOf): number {
  if (a.balance === undefined || b.balance === undefined) {
    return (a.balance === undefined ? 1 : 0) - (b.balance === undefined ? 1 : 0);
  }
  const x = a.currency || "\uffff", y = b.currency || "\uffff";
  if (x !== y) return x < y ? -1 : 1;
  return a.balance - b.balance;
}

/** A listing row's balance (what is left: the balance, or the remaining limit). */
export function balanceOf(r: Pick<ListingRow, "remaining" | "currency">): BalanceOf {
  return { balance: r.remaining, currency: r.currency };
}

/** Every row of a listing, in order (see Listing.visit: do not keep the row). */
export function eachRow(listing: Listing, fn: (row: Readonly<ListingRow>) => void): void {
  if (listing.visit) listing.visit(fn);
  else for (const r of listing.rows) fn(r);
}

/** "41 entries: 11 keys, 30 other entries": how a store's entries divide. */
export function entrySummary(keys: number, others: OtherEntries): string {
  const other = others.other + others.ignored + others.not_a_key;
  const total = keys + other;
  const parts = [`${keys} key${keys === 1 ? "" : "s"}`];
  if (other) {
    const why = [
      others.ignored ? `${others.ignored} ignored` : "",
      others.not_a_key
        ? `${others.not_a_key} not ${others.not_a_key === 1 ? "a key" : "keys"}`
        : "",
    ].filter(Boolean);
    parts.push(
      `${other} other entr${other === 1 ? "y" : "ies"}${why.length ? ` (${why.join(", ")})` : ""}`,
    );
  }
  return `${total} entr${total === 1 ? "y" : "ies"}: ${parts.join(", ")}`;
}
