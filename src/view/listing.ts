/**
 * The listing: one summary line of data per key, everything `keyz ls` prints, derived from the
 * full views once and cached beside the snapshot (see snapshot.ts). While nothing the snapshot
 * was read from has changed, `keyz ls` reads only this: a few columns, no sidecar objects.
 * Time-dependent parts (live or stale, age) are computed when printed, never stored.
 */
import { headline, type KeyState, type KeyView } from "./keys.ts";

/** A key's state without the clock: "fresh" becomes live or stale at print time. */
export type BaseState = Exclude<KeyState, "live" | "stale"> | "fresh";

export interface ListingRow {
  path: string;
  provider: string | null;
  /** The headline figure, e.g. "110.00 CNY" ("" when none). */
  figure: string;
  /** The headline amount (balance, or spend), for sorting. */
  amount: number | null;
  syncedAt: string | null;
  base: BaseState;
}

export interface Listing {
  /** Sorted by name (the collation `keyz ls` uses). */
  rows: ListingRow[];
  /** Provider id -> refresh interval in ms (live until then, stale after). */
  refreshMs: Record<string, number>;
  /** Every known provider id (for `--provider` checks). */
  providers: string[];
  /** Manifests that failed to load, as printable lines. */
  problems: string[];
}

let collator: Intl.Collator | undefined;
/** Name order (made on first use: creating a collator costs ~9 ms, and plain ls needs none). */
export function byName(a: string, b: string): number {
  return (collator ??= new Intl.Collator()).compare(a, b);
}

export function listingOf(
  views: KeyView[],
  providers: string[],
  problems: string[],
): Listing {
  const refreshMs: Record<string, number> = {};
  const rows = views.map((v): ListingRow => {
    if (v.provider) refreshMs[v.provider.manifest.id] = v.provider.manifest.refreshMinutes * 60_000;
    const h = headline(v.account?.metadata);
    return {
      path: v.path,
      provider: v.mapping?.provider ?? null,
      figure: h.label,
      amount: h.amount ?? null,
      syncedAt: v.account?.synced_at ?? null,
      base: v.state === "live" || v.state === "stale" ? "fresh" : v.state,
    };
  });
  rows.sort((a, b) => byName(a.path, b.path));
  return { rows, refreshMs, providers, problems };
}

/** The state shown now (the same rule as deriveState in keys.ts). */
export function rowState(row: ListingRow, listing: Listing, now: number): KeyState {
  if (row.base !== "fresh") return row.base;
  const refresh = listing.refreshMs[row.provider ?? ""] ?? 0;
  return now - Date.parse(row.syncedAt ?? "") > refresh ? "stale" : "live";
}
