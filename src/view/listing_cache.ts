/**
 * The listing, read from its cache file while every stamp of the snapshot it came from still
 * holds; otherwise rebuilt from the snapshot (which itself re-reads only changed folders).
 *
 * Rows are stored compactly (a smaller file parses faster): each row is an array whose
 * positions are the fields of ROW_FIELDS, in that order, trailing empties left out; the folder
 * of a run of rows is written once, repeated strings (provider ids, states, currencies) once
 * in `words`, and fetch times as seconds after `epoch`. ROW_FIELDS is the one description both
 * encode() and decode() follow, so a field is added in one place.
 */
import { problemLines } from "../providers/lookup.ts";
import { viewsFromSnapshot } from "./entries.ts";
import { type Listing, listingOf, type ListingRow } from "./listing.ts";
import {
  buildId,
  readSnapshot,
  type SnapshotOptions,
  type Stamps,
  stampsHold,
  writeCache,
} from "./snapshot.ts";

const FORMAT = 6;

type Cell = string | number | boolean | null | Record<string, unknown> | unknown[];
/** One stored row: the entry's name in its folder, then ROW_FIELDS in order. */
type Line = Cell[];

/** How each field is stored: as is, as an index into `words`, or as seconds after `epoch`. */
type Encoding = "plain" | "word" | "time";

/** Every field of a listing row but `path`, with how it is stored. */
const ROW_FIELDS: readonly (readonly [Exclude<keyof ListingRow, "path">, Encoding])[] = [
  ["provider", "word"],
  ["base", "word"],
  ["figure", "plain"],
  ["fetchedMs", "time"],
  ["refreshMs", "word"],
  ["remaining", "plain"],
  ["currency", "word"],
  ["expiresAt", "plain"],
  ["search", "plain"],
  ["disabled", "plain"],
  ["thresholds", "plain"],
  ["error", "plain"],
  ["problems", "plain"],
];

/** Rows grouped by folder, in row order: [folder, lines][]. */
type Folders = [string, Line[]][];

interface Stored {
  words: (string | number)[];
  /** Epoch seconds that fetch times count from (the earliest). */
  epoch: number;
  folders: Folders;
}

interface ListingFile extends Omit<Listing, "rows" | "visit">, Stored {
  format: number;
  build: string;
  store: string;
  stamps: Stamps;
}

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === "" ||
  (typeof v === "object" && Object.keys(v as object).length === 0);

function encode(rows: readonly ListingRow[]): Stored {
  const words: (string | number)[] = [];
  const index = new Map<string | number, number>();
  const word = (w: string | number) => {
    let i = index.get(w);
    if (i === undefined) index.set(w, i = words.push(w) - 1);
    return i;
  };
  let epoch = Infinity;
  for (const r of rows) if (r.fetchedMs !== undefined) epoch = Math.min(epoch, r.fetchedMs / 1000);
  epoch = Number.isFinite(epoch) ? Math.floor(epoch) : 0;
  const folders: Folders = [];
  for (const r of rows) {
    const cut = r.path.lastIndexOf("/");
    const dir = cut < 0 ? "" : r.path.slice(0, cut);
    if (folders.length === 0 || folders[folders.length - 1][0] !== dir) folders.push([dir, []]);
    const line: Line = [r.path.slice(cut + 1)];
    for (const [field, how] of ROW_FIELDS) {
      const v = r[field];
      if (isEmpty(v)) line.push(null);
      else if (how === "word") line.push(word(v as string | number));
      else if (how === "time") line.push(((v as number) - epoch * 1000) / 1000);
      else line.push(v as Cell);
    }
    while (line[line.length - 1] === null) line.pop();
    folders[folders.length - 1][1].push(line);
  }
  return { words, epoch, folders };
}

/** Set every field of `row` from one stored line (fields not stored become undefined). */
function decode(row: Record<string, unknown>, s: Stored, prefix: string, l: Line): void {
  row.path = prefix + (l[0] as string);
  for (let i = 0; i < ROW_FIELDS.length; i++) {
    // Indexed, not destructured: array destructuring runs the iterator protocol, which costs
    // most of a decode before the JIT has warmed up (ls decodes every row once).
    const field = ROW_FIELDS[i][0], how = ROW_FIELDS[i][1];
    const v = l[i + 1];
    if (v === undefined || v === null) {
      row[field] = field === "figure" || field === "search"
        ? ""
        : field === "thresholds"
        ? {}
        : undefined;
    } else if (how === "word") row[field] = s.words[v as number];
    else if (how === "time") row[field] = s.epoch * 1000 + Math.round((v as number) * 1000);
    else row[field] = v;
  }
}

/**
 * A new row with only the fields present (fewer properties per object). Assigned, never
 * deleted: `delete` turns an object into a slow dictionary, which made decoding 10,000 rows
 * take ~130 ms instead of ~10.
 */
function decodeNew(s: Stored, prefix: string, l: Line): ListingRow {
  const row: Record<string, unknown> = { path: prefix + (l[0] as string) };
  for (let i = 0; i < ROW_FIELDS.length; i++) {
    // Indexed, not destructured: array destructuring runs the iterator protocol, which costs
    // most of a decode before the JIT has warmed up (ls decodes every row once).
    const field = ROW_FIELDS[i][0], how = ROW_FIELDS[i][1];
    const v = l[i + 1];
    if (v === undefined || v === null) {
      if (field === "figure" || field === "search") row[field] = "";
      else if (field === "thresholds") row[field] = {};
    } else if (how === "word") row[field] = s.words[v as number];
    else if (how === "time") row[field] = s.epoch * 1000 + Math.round((v as number) * 1000);
    else row[field] = v;
  }
  return row as unknown as ListingRow;
}

function decodeAll(s: Stored): ListingRow[] {
  const rows: ListingRow[] = [];
  for (const [dir, lines] of s.folders) {
    const prefix = dir ? `${dir}/` : "";
    for (const l of lines) rows.push(decodeNew(s, prefix, l));
  }
  return rows;
}

/** The visitor of a cached listing: one reused row object. */
function visitor(s: Stored): Listing["visit"] {
  return (fn) => {
    const row = {} as Record<string, unknown>;
    for (const [dir, lines] of s.folders) {
      const prefix = dir ? `${dir}/` : "";
      for (const l of lines) {
        decode(row, s, prefix, l);
        fn(row as unknown as ListingRow);
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
    const { words, epoch, folders, others, providers, problems, config } = cached;
    const stored = { words, epoch, folders };
    let rows: ListingRow[] | undefined;
    return {
      get rows() {
        return rows ??= decodeAll(stored);
      },
      visit: visitor(stored),
      others,
      providers,
      problems,
      config,
    };
  }
  const snapshot = await readSnapshot(opts);
  const listing = listingOf(
    viewsFromSnapshot(snapshot),
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
        others: listing.others,
        providers: listing.providers,
        problems: listing.problems,
        config: listing.config,
        ...encode(listing.rows),
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
      Array.isArray(c.providers) && Array.isArray(c.problems) && c.config && c.others
    ) return c as ListingFile;
  } catch { /* missing or unreadable: rebuild */ }
  return undefined;
}
