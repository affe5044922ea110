/**
 * The listing: the facts `keyz ls` prints and the browser's tree shows, one row per key,
 * derived from the full views once and cached beside the snapshot (see listing_cache.ts).
 * While nothing the snapshot was read from has changed, `keyz ls` and the browser's first
 * screen read only this: a few columns per key, no sidecar objects. Time-dependent parts
 * (live or stale, age, expiring) are computed when shown, never stored.
 */
import type { StoreConfig } from "../config/store_config.ts";
import type { ProviderSet } from "../providers/load.ts";
import { headline, type KeyState, type KeyView } from "./keys.ts";

/** What a key's row is made of (the browser builds badges from these). */
export interface KeyFacts {
  path: string;
  provider?: string;
  state: KeyState;
  /** The headline figure, e.g. "110.00 CNY" ("" when none). */
  figure: string;
  /** The headline amount (balance, or spend). */
  amount?: number;
  /** Balance-kind figures only: for low-balance badges and folder totals. */
  balance?: number;
  currency?: string;
  expiresAt?: string;
  lowBalance?: number;
  /** Tags and notes, for the browser's filter. */
  search: string;
}

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

export function factsOf(view: KeyView, config: StoreConfig): KeyFacts {
  const meta = view.account?.metadata;
  const h = headline(meta);
  const balance = meta?.kind === "balance" ? h.amount : undefined;
  return {
    path: view.path,
    provider: view.mapping?.provider,
    state: view.state,
    figure: h.label,
    amount: h.amount,
    balance,
    currency: balance !== undefined ? meta?.currency ?? "" : undefined,
    expiresAt: view.key?.expires_at ?? meta?.expires_at,
    lowBalance: lowBalanceFor(view, config),
    search: [...(view.key?.tags ?? []), view.key?.notes ?? ""].join(" "),
  };
}

/** A key's state without the clock: "fresh" becomes live or stale when shown. */
export type BaseState = Exclude<KeyState, "live" | "stale"> | "fresh";

export interface ListingRow extends Omit<KeyFacts, "state"> {
  base: BaseState;
  /** When the figures were fetched (epoch ms). */
  syncedMs?: number;
}

/** A provider as the browser's map picker offers it. */
export interface ProviderChoice {
  id: string;
  name: string;
  credential?: { required: boolean; description?: string };
}

export interface Listing {
  /** Sorted by name (byName). A cached listing makes these objects when first asked. */
  rows: ListingRow[];
  /**
   * Visit every row in order without making an object per row: the row passed in is reused for
   * the next one, so read it and do not keep it. Absent: visit `rows`.
   */
  visit?(fn: (row: Readonly<ListingRow>) => void): void;
  /** Provider id -> refresh interval in ms (live until then, stale after). */
  refreshMs: Record<string, number>;
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

export function listingOf(
  views: KeyView[],
  config: StoreConfig,
  providers: ProviderSet,
  problems: string[],
): Listing {
  const refreshMs: Record<string, number> = {};
  for (const p of providers.providers.values()) {
    refreshMs[p.manifest.id] = p.manifest.refreshMinutes * 60_000;
  }
  const rows = views.map((v): ListingRow => {
    const { state, ...facts } = factsOf(v, config);
    return {
      ...facts,
      base: state === "live" || state === "stale" ? "fresh" : state,
      syncedMs: v.account ? Date.parse(v.account.synced_at) : undefined,
    };
  });
  rows.sort((a, b) => byName(a.path, b.path));
  return { rows, refreshMs, providers: providerChoices(providers), problems, config };
}

/** Every row of a listing, in order (see Listing.visit: do not keep the row). */
export function eachRow(listing: Listing, fn: (row: Readonly<ListingRow>) => void): void {
  if (listing.visit) listing.visit(fn);
  else for (const r of listing.rows) fn(r);
}

/** The state shown now (the same rule as deriveState in keys.ts). */
export function rowState(row: ListingRow, listing: Listing, now: number): KeyState {
  if (row.base !== "fresh") return row.base;
  const refresh = listing.refreshMs[row.provider ?? ""] ?? 0;
  return now - (row.syncedMs ?? 0) > refresh ? "stale" : "live";
}
