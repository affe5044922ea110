/**
 * The listing, read from its cache file while every stamp of the snapshot it came from still
 * holds; otherwise rebuilt from the snapshot (which itself re-reads only changed folders).
 */
import { formatProblem } from "../providers/lookup.ts";
import { viewsFromSnapshot } from "./keys.ts";
import { type BaseState, type Listing, listingOf, type ListingRow } from "./listing.ts";
import {
  buildId,
  readSnapshot,
  type SnapshotOptions,
  type Stamps,
  stampsHold,
  writeCache,
} from "./snapshot.ts";

const FORMAT = 1;

type Line = [string, string | null, string, number | null, string | null, BaseState];

interface ListingFile {
  format: number;
  build: string;
  store: string;
  stamps: Stamps;
  refreshMs: Record<string, number>;
  providers: string[];
  problems: string[];
  rows: Line[];
}

export function listingFileFor(snapshotFile: string): string {
  return snapshotFile.replace(/\.json$/, ".listing.json");
}

export async function readListing(opts: SnapshotOptions): Promise<Listing> {
  const file = opts.cacheFile ? listingFileFor(opts.cacheFile) : undefined;
  const cached = file ? readFile(file, opts.storeDir) : undefined;
  if (cached && stampsHold(cached.stamps)) {
    return {
      refreshMs: cached.refreshMs,
      providers: cached.providers,
      problems: cached.problems,
      rows: cached.rows.map(([path, provider, figure, amount, syncedAt, base]) => ({
        path,
        provider,
        figure,
        amount,
        syncedAt,
        base,
      })),
    };
  }
  const snapshot = await readSnapshot({ ...opts, prefs: false });
  const listing = listingOf(
    viewsFromSnapshot(snapshot, new Date()),
    [...snapshot.providers.providers.keys()],
    snapshot.providers.problems.map(formatProblem),
  );
  if (file) {
    const out: ListingFile = {
      format: FORMAT,
      build: buildId(),
      store: opts.storeDir,
      stamps: snapshot.stamps,
      refreshMs: listing.refreshMs,
      providers: listing.providers,
      problems: listing.problems,
      rows: listing.rows.map((r: ListingRow): Line => [
        r.path,
        r.provider,
        r.figure,
        r.amount,
        r.syncedAt,
        r.base,
      ]),
    };
    writeCache(file, out);
  }
  return listing;
}

function readFile(file: string, storeDir: string): ListingFile | undefined {
  try {
    const c = JSON.parse(Deno.readTextFileSync(file));
    if (
      c && c.format === FORMAT && c.build === buildId() && c.store === storeDir && c.stamps &&
      Array.isArray(c.rows) && Array.isArray(c.providers) && Array.isArray(c.problems)
    ) return c as ListingFile;
  } catch { /* missing or unreadable: rebuild */ }
  return undefined;
}
