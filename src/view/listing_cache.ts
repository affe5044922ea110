/**
 * The listing, read from its cache file while every stamp of the snapshot it came from still
 * holds; otherwise rebuilt from the snapshot (which itself re-reads only changed folders).
 */
import { formatProblem } from "../providers/lookup.ts";
import { viewsFromSnapshot } from "./keys.ts";
import { type Listing, listingOf, type ListingRow } from "./listing.ts";
import {
  buildId,
  readSnapshot,
  type SnapshotOptions,
  type Stamps,
  stampsHold,
  writeCache,
} from "./snapshot.ts";

const FORMAT = 3;

/**
 * One row as stored: a flat array (a third the size of an object), its folder written once
 * for all rows in it, null for "none" and trailing nones left out. Fields in order:
 * name, provider, figure, base state, synced (epoch s), amount, balance, currency,
 * low-balance threshold, expiry, search text.
 */
type Line = (string | number | null)[];

/** Rows grouped by folder, in row order: [folder, lines][]. */
type Folders = [string, Line[]][];

interface ListingFile extends Omit<Listing, "rows"> {
  format: number;
  build: string;
  store: string;
  stamps: Stamps;
  folders: Folders;
}

function toFolders(rows: ListingRow[]): Folders {
  const out: Folders = [];
  for (const r of rows) {
    const cut = r.path.lastIndexOf("/");
    const dir = cut < 0 ? "" : r.path.slice(0, cut);
    if (out.length === 0 || out[out.length - 1][0] !== dir) out.push([dir, []]);
    const line: Line = [
      r.path.slice(cut + 1),
      r.provider ?? null,
      r.figure,
      r.base,
      r.syncedMs === undefined ? null : r.syncedMs / 1000,
      r.amount ?? null,
      r.balance ?? null,
      r.currency ?? null,
      r.lowBalance ?? null,
      r.expiresAt ?? null,
      r.search || null,
    ];
    while (line[line.length - 1] === null) line.pop();
    out[out.length - 1][1].push(line);
  }
  return out;
}

function fromFolders(folders: Folders): ListingRow[] {
  const rows: ListingRow[] = [];
  for (const [dir, lines] of folders) {
    const prefix = dir ? `${dir}/` : "";
    for (const l of lines) {
      const row: ListingRow = {
        path: prefix + l[0],
        figure: l[2] as string,
        base: l[3] as ListingRow["base"],
        search: (l[10] as string | undefined) ?? "",
      };
      if (l[1] != null) row.provider = l[1] as string;
      if (l[4] != null) row.syncedMs = (l[4] as number) * 1000;
      if (l[5] != null) row.amount = l[5] as number;
      if (l[6] != null) row.balance = l[6] as number;
      if (l[7] != null) row.currency = l[7] as string;
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
    const { format: _f, build: _b, store: _s, stamps: _st, folders, ...rest } = cached;
    return { ...rest, rows: fromFolders(folders) };
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
        folders: toFolders(listing.rows),
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
      Array.isArray(c.folders) && Array.isArray(c.providers) && Array.isArray(c.problems) &&
      c.config
    ) return c as ListingFile;
  } catch { /* missing or unreadable: rebuild */ }
  return undefined;
}
