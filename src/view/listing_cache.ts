/**
 * The listing, read from its cache file while every stamp of the snapshot it came from still
 * holds; otherwise rebuilt from the snapshot (which itself re-reads only changed folders).
 */
import { problemLines } from "../providers/lookup.ts";
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

const FORMAT = 5;

/**
 * One row as stored: a flat array, its folder written once for all rows in it, trailing
 * nones left out, and what follows from other fields left out (a smaller file parses
 * faster). Fields in order:
 *   0 name, 1 provider (index into `words`), 2 figure (null: the balance with its currency),
 *   3 base state (index into BASES), 4 synced (seconds after `epoch`), 5 amount (null: the
 *   balance), 6 balance, 7 currency (index into `words`), 8 low-balance threshold, 9 expiry,
 *   10 search text.
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
  /** Provider ids and currencies, each written once. */
  words: string[];
  /** Epoch seconds that synced times count from (the earliest). */
  epoch: number;
  folders: Folders;
}

const balanceLabel = (r: Pick<ListingRow, "balance" | "currency">) =>
  r.balance === undefined
    ? undefined
    : `${formatMoney(r.balance)}${r.currency ? ` ${r.currency}` : ""}`;

function toFolders(rows: ListingRow[]): Pick<ListingFile, "words" | "epoch" | "folders"> {
  const words: string[] = [];
  const index = new Map<string, number>();
  const word = (w: string | undefined) => {
    if (w === undefined) return null;
    let i = index.get(w);
    if (i === undefined) index.set(w, i = words.push(w) - 1);
    return i;
  };
  let epoch = Infinity;
  for (const r of rows) if (r.syncedMs !== undefined) epoch = Math.min(epoch, r.syncedMs / 1000);
  epoch = Number.isFinite(epoch) ? Math.floor(epoch) : 0;
  const folders: Folders = [];
  for (const r of rows) {
    const cut = r.path.lastIndexOf("/");
    const dir = cut < 0 ? "" : r.path.slice(0, cut);
    if (folders.length === 0 || folders[folders.length - 1][0] !== dir) folders.push([dir, []]);
    const line: Line = [
      r.path.slice(cut + 1),
      word(r.provider),
      r.figure === balanceLabel(r) ? null : r.figure,
      BASES.indexOf(r.base),
      r.syncedMs === undefined ? null : (r.syncedMs - epoch * 1000) / 1000,
      r.amount === r.balance ? null : r.amount ?? null,
      r.balance ?? null,
      word(r.currency),
      r.lowBalance ?? null,
      r.expiresAt ?? null,
      r.search || null,
    ];
    while (line[line.length - 1] === null) line.pop();
    folders[folders.length - 1][1].push(line);
  }
  return { words, epoch, folders };
}

type Stored = Pick<ListingFile, "words" | "epoch" | "folders">;

/** Decode one stored line into the visitor's reused row (every field set or cleared). */
function decode(row: ListingRow, f: Stored, prefix: string, l: Line): void {
  row.path = prefix + (l[0] as string);
  row.provider = l[1] != null ? f.words[l[1] as number] : undefined;
  row.base = BASES[l[3] as number];
  row.syncedMs = l[4] != null ? f.epoch * 1000 + Math.round((l[4] as number) * 1000) : undefined;
  row.balance = l[6] != null ? l[6] as number : undefined;
  row.currency = l[7] != null ? f.words[l[7] as number] : undefined;
  const amount = l[5] ?? l[6];
  row.amount = amount != null ? amount as number : undefined;
  row.lowBalance = l[8] != null ? l[8] as number : undefined;
  row.expiresAt = l[9] != null ? l[9] as string : undefined;
  row.search = (l[10] as string | undefined) ?? "";
}

function fromFolders(f: Stored): ListingRow[] {
  const { words, epoch } = f;
  const rows: ListingRow[] = [];
  for (const [dir, lines] of f.folders) {
    const prefix = dir ? `${dir}/` : "";
    for (const l of lines) {
      // Only the fields present: a row object of four to eight properties, not eleven.
      const row: ListingRow = {
        path: prefix + l[0],
        figure: "",
        base: BASES[l[3] as number],
        search: (l[10] as string | undefined) ?? "",
      };
      if (l[1] != null) row.provider = words[l[1] as number];
      if (l[4] != null) row.syncedMs = epoch * 1000 + Math.round((l[4] as number) * 1000);
      if (l[6] != null) row.balance = l[6] as number;
      if (l[7] != null) row.currency = words[l[7] as number];
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

/** The visitor of a cached listing: one reused row; its figure is worked out only if read. */
function visitor(f: Stored): Listing["visit"] {
  return (fn) => {
    let line: Line = [];
    const row = {
      get figure(): string {
        return (line[2] as string | null | undefined) ?? balanceLabel(this) ?? "";
      },
    } as ListingRow;
    for (const [dir, lines] of f.folders) {
      const prefix = dir ? `${dir}/` : "";
      for (const l of lines) {
        line = l;
        decode(row, f, prefix, l);
        fn(row);
      }
    }
  };
}

export function listingFileFor(snapshotFile: string): string {
  return snapshotFile.replace(/\.json$/, ".listing.json");
}

export async function readListing(opts: SnapshotOptions): Promise<Listing> {
  const file = opts.cacheFile ? listingFileFor(opts.cacheFile) : undefined;
  const cached = file ? readFile(file, opts.storeDir) : undefined;
  if (cached && stampsHold(cached.stamps)) {
    const { format: _f, build: _b, store: _s, stamps: _st, words, epoch, folders, ...rest } =
      cached;
    const stored = { words, epoch, folders };
    let rows: ListingRow[] | undefined;
    return {
      ...rest,
      get rows() {
        return rows ??= fromFolders(stored);
      },
      visit: visitor(stored),
    };
  }
  const snapshot = await readSnapshot(opts);
  const listing = listingOf(
    viewsFromSnapshot(snapshot, new Date()),
    snapshot.config,
    snapshot.providers,
    problemLines(snapshot.providers.problems),
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
      Array.isArray(c.folders) && Array.isArray(c.words) && typeof c.epoch === "number" &&
      Array.isArray(c.providers) &&
      Array.isArray(c.problems) &&
      c.config
    ) return c as ListingFile;
  } catch { /* missing or unreadable: rebuild */ }
  return undefined;
}
