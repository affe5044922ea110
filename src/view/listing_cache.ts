/**
 * The listing, read from its cache file while every stamp of the snapshot it came from still
 * holds; otherwise rebuilt from the snapshot (which itself re-reads only changed folders).
 */
import { formatProblem } from "../providers/lookup.ts";
import { formatMoney, viewsFromSnapshot } from "./keys.ts";
import { type BaseState, type Listing, listingOf, type ListingRow } from "./listing.ts";
import {
  buildId,
  readSnapshot,
  type SnapshotOptions,
  type Stamps,
  stampsHold,
  writeCache,
} from "./snapshot.ts";

const FORMAT = 4;

/**
 * One row as stored: a flat array, its folder written once for all rows in it, trailing
 * nones left out, and what follows from other fields left out (a smaller file parses
 * faster). Fields in order:
 *   0 name, 1 provider (index into `ids`), 2 figure (null: the balance with its currency),
 *   3 base state (index into BASES), 4 synced (epoch s), 5 amount (null: the balance),
 *   6 balance, 7 currency, 8 low-balance threshold, 9 expiry, 10 search text.
 */
type Line = (string | number | null)[];

/** Rows grouped by folder, in row order: [folder, lines][]. */
type Folders = [string, Line[]][];

const BASES: readonly BaseState[] = ["fresh", "error", "unmapped", "never", "unavailable"];

interface ListingFile extends Omit<Listing, "rows"> {
  format: number;
  build: string;
  store: string;
  stamps: Stamps;
  ids: string[];
  folders: Folders;
}

const balanceLabel = (r: Pick<ListingRow, "balance" | "currency">) =>
  r.balance === undefined
    ? undefined
    : `${formatMoney(r.balance)}${r.currency ? ` ${r.currency}` : ""}`;

function toFolders(rows: ListingRow[]): { ids: string[]; folders: Folders } {
  const ids: string[] = [];
  const idIndex = new Map<string, number>();
  const folders: Folders = [];
  for (const r of rows) {
    const cut = r.path.lastIndexOf("/");
    const dir = cut < 0 ? "" : r.path.slice(0, cut);
    if (folders.length === 0 || folders[folders.length - 1][0] !== dir) folders.push([dir, []]);
    let id: number | null = null;
    if (r.provider !== undefined) {
      id = idIndex.get(r.provider) ?? ids.push(r.provider) - 1;
      idIndex.set(r.provider, id);
    }
    const line: Line = [
      r.path.slice(cut + 1),
      id,
      r.figure === balanceLabel(r) ? null : r.figure,
      BASES.indexOf(r.base),
      r.syncedMs === undefined ? null : r.syncedMs / 1000,
      r.amount === r.balance ? null : r.amount ?? null,
      r.balance ?? null,
      r.currency ?? null,
      r.lowBalance ?? null,
      r.expiresAt ?? null,
      r.search || null,
    ];
    while (line[line.length - 1] === null) line.pop();
    folders[folders.length - 1][1].push(line);
  }
  return { ids, folders };
}

function fromFolders(ids: string[], folders: Folders): ListingRow[] {
  const rows: ListingRow[] = [];
  for (const [dir, lines] of folders) {
    const prefix = dir ? `${dir}/` : "";
    for (const l of lines) {
      const row: ListingRow = {
        path: prefix + l[0],
        figure: "",
        base: BASES[l[3] as number],
        search: (l[10] as string | undefined) ?? "",
      };
      if (l[1] != null) row.provider = ids[l[1] as number];
      if (l[4] != null) row.syncedMs = (l[4] as number) * 1000;
      if (l[6] != null) row.balance = l[6] as number;
      if (l[7] != null) row.currency = l[7] as string;
      const amount = l[5] ?? l[6];
      if (amount != null) row.amount = amount as number;
      row.figure = (l[2] as string | null | undefined) ?? balanceLabel(row) ?? "";
      if (l[8] != null) row.lowBalance = l[8] as number;
      if (l[9] != null) row.expiresAt = l[9] as string;
      rows.push(row);
    }
  }
  return rows;
}

export function listingFileFor(snapshotFile: string): string {
  return snapshotFile.replace(/\.json$/, ".listing.json");
}

export async function readListing(opts: SnapshotOptions): Promise<Listing> {
  const file = opts.cacheFile ? listingFileFor(opts.cacheFile) : undefined;
  const cached = file ? readFile(file, opts.storeDir) : undefined;
  if (cached && stampsHold(cached.stamps)) {
    const { format: _f, build: _b, store: _s, stamps: _st, ids, folders, ...rest } = cached;
    return { ...rest, rows: fromFolders(ids, folders) };
  }
  const snapshot = await readSnapshot(opts);
  const listing = listingOf(
    viewsFromSnapshot(snapshot, new Date()),
    snapshot.config,
    snapshot.providers,
    snapshot.providers.problems.map(formatProblem),
  );
  if (file) {
    writeCache(
      file,
      {
        format: FORMAT,
        build: buildId(),
        store: opts.storeDir,
        stamps: snapshot.stamps,
        refreshMs: listing.refreshMs,
        providers: listing.providers,
        problems: listing.problems,
        config: listing.config,
        ...toFolders(listing.rows),
      } satisfies ListingFile,
    );
  }
  return listing;
}

function readFile(file: string, storeDir: string): ListingFile | undefined {
  try {
    const c = JSON.parse(Deno.readTextFileSync(file));
    if (
      c && c.format === FORMAT && c.build === buildId() && c.store === storeDir && c.stamps &&
      Array.isArray(c.folders) && Array.isArray(c.ids) && Array.isArray(c.providers) &&
      Array.isArray(c.problems) &&
      c.config
    ) return c as ListingFile;
  } catch { /* missing or unreadable: rebuild */ }
  return undefined;
}
