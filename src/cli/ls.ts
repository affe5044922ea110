/**
 * `keyz ls`: what is known about every key, from the snapshot (the file tree and sidecars,
 * through the snapshot cache): no decryption, no network.
 */
import { KeyzError } from "../errors.ts";
import { age, ageSince, type KeyState, type KeyView, viewsFromSnapshot } from "../view/keys.ts";
import { compareBalance, listingOf, type ListingRow, rowState } from "../view/listing.ts";
import { openListing, openSnapshot } from "./open_snapshot.ts";
import { color, outJson, outLines, table } from "./output.ts";
import type { KeyOutput } from "./output_schemas.ts";

export type SortBy = "name" | "balance" | "synced";

/** The stable JSON shape of one key (ls --json items, show --json). */
export function keyJson(v: KeyView, now: Date): KeyOutput {
  const a = v.account;
  return {
    path: v.path,
    provider: v.mapping?.provider ?? null,
    mapped: v.mapping?.how ?? null,
    credential: v.mapping?.credential ?? null,
    state: v.state,
    metadata: a?.metadata ?? null,
    synced_at: a?.synced_at ?? null,
    last_success_at: a?.last_success_at ?? null,
    last_error: a?.last_error ?? null,
    age: a ? age(a.synced_at, now) : null,
    notes: v.key?.notes ?? null,
    tags: v.key?.tags ?? [],
    expires_at: v.key?.expires_at ?? a?.metadata?.expires_at ?? null,
    env: v.key?.env ?? v.provider?.manifest.env ?? null,
    problems: v.problems,
  };
}

const stateColor: Record<KeyState, (s: string) => string> = {
  live: color.green,
  stale: color.yellow,
  error: color.red,
  unmapped: color.dim,
  never: color.dim,
  unavailable: color.dim,
};

/** Rows in the requested order (balance: see compareBalance); `rows` come sorted by name. */
export function sortRows(rows: ListingRow[], by: SortBy): ListingRow[] {
  if (by === "name") return rows;
  const order = new Map(rows.map((r, i) => [r, i]));
  const byIndex = (a: ListingRow, b: ListingRow) => order.get(a)! - order.get(b)!;
  const synced = (r: ListingRow) => r.syncedMs ?? Number.NEGATIVE_INFINITY;
  return [...rows].sort(
    by === "balance"
      ? (a, b) => compareBalance(a, b) || byIndex(a, b)
      : (a, b) => synced(b) - synced(a) || byIndex(a, b),
  );
}

export async function lsCommand(
  flags: { json?: boolean; sort: SortBy; provider?: string },
): Promise<number> {
  if (flags.json) return await lsJson(flags);
  const listing = await openListing();
  if (flags.provider && !listing.providers.some((p) => p.id === flags.provider)) {
    throw unknownProvider(flags.provider);
  }
  const now = Date.now();
  let rows = listing.rows;
  if (flags.provider) rows = rows.filter((r) => r.provider === flags.provider);
  const cells = sortRows(rows, flags.sort).map((r) => {
    const state = rowState(r, listing, now);
    return [
      r.path,
      r.provider ?? color.dim("-"),
      r.figure || color.dim("-"),
      stateColor[state](state),
      r.syncedMs !== undefined ? ageSince(r.syncedMs, now) : color.dim("never"),
    ];
  });
  outLines(table([["PATH", "PROVIDER", "FIGURE", "STATE", "AGE"].map(color.bold), ...cells]));
  return 0;
}

/** `ls --json`: every field of every key, from the full snapshot. */
async function lsJson(flags: { sort: SortBy; provider?: string }): Promise<number> {
  const snapshot = await openSnapshot();
  if (flags.provider && !snapshot.providers.providers.has(flags.provider)) {
    throw unknownProvider(flags.provider);
  }
  const now = new Date();
  let views = viewsFromSnapshot(snapshot, now);
  if (flags.provider) views = views.filter((v) => v.mapping?.provider === flags.provider);
  // The same order as plain ls: sorted through the listing made of these views.
  const byPath = new Map(views.map((v) => [v.path, v]));
  const { rows } = listingOf(views, snapshot.config, snapshot.providers, []);
  outJson({ keys: sortRows(rows, flags.sort).map((r) => keyJson(byPath.get(r.path)!, now)) });
  return 0;
}

function unknownProvider(id: string): KeyzError {
  return new KeyzError("usage", `unknown provider ${id}`, "see `keyz providers list`");
}
