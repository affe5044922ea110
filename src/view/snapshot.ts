/**
 * A snapshot of everything `keyz ls` and `keyz browse` show, read through a cache.
 *
 * Reading 20,000 sidecars and validating them costs ~400 ms on a 10,000-key store; the
 * snapshot cache (`$XDG_CACHE_HOME/keyz/snapshots/<store>.json`, never inside the store) keeps
 * each folder's listing and its parsed, validated files, stamped with the folder's mtime.
 * A later run stats every folder (a few hundred stats) and re-reads only the folders whose
 * mtime changed. That is exact for every writer keyz and git have: both replace files (keyz
 * renames a temp file over, git unlinks and recreates), which changes the folder's mtime.
 * Single files (map, config, manifests) are stamped by mtime, size and inode.
 *
 * A stamp taken within RACY_MS of the read is not trusted (a change in the same clock tick
 * would not move the mtime), like git's racy-index rule. A file edited in place without a
 * rename (e.g. by nano) inside keys/ or accounts/ is not noticed until its folder changes;
 * `KEYZ_NO_CACHE=1` bypasses the cache.
 *
 * This module imports neither zod nor jsonc-parser: when nothing changed, no parser is
 * loaded at all. Whatever changed is parsed by snapshot_parse.ts, imported on demand.
 */
import { KeyzError } from "../errors.ts";
import { noStoreError, readStoreFolder } from "../store/store.ts";
import type { ProviderSet } from "../providers/load.ts";
import type { StoreConfig } from "../config/store_config.ts";
import type { AccountSidecar, KeySidecar, Mapping } from "../sidecars/schema.ts";
import type { StateFile } from "../sidecars/state.ts";
import type { ReadResult } from "../sidecars/files.ts";
import { BUILTIN_HASH } from "../providers/builtin_hash.ts";
import { accountId, SCHEMA_VERSION } from "../sidecars/layout.ts";
import { passGnupgHome, STAMPED } from "../store/keyring_stamp.ts";
import type { Stored } from "./snapshot_parse.ts";

/** Bump when the cached shapes or their meaning change (older caches are then ignored). */
const CACHE_FORMAT = 2;
const RACY_MS = 2000;

/** A file's identity for the cache; `m: 0` never matches (racy or missing). */
export interface Stamp {
  m: number;
  s: number;
  i: number;
}

/** A stored read: the validated value, or the problem to report. */
export type { Stored };

interface TreeDir {
  m: number;
  dirs: string[];
  /** .gpg entries (names without the extension). */
  files: string[];
}

interface SidecarDir {
  m: number;
  dirs: string[];
  /** `<name>.json` files, by name without the extension. */
  names: string[];
}

/**
 * A stored sidecar with the fields that follow from its file name left out (schema_version;
 * a key's path and default account; an account's id and provider): a third of the cache's
 * size, and so of its parse time.
 */
type Compact = { ok: true; value: Record<string, unknown> } | {
  ok: false;
  what: string;
  hint: string;
};

interface StampedValue<T> {
  stamps: Record<string, Stamp>;
  value: T;
}

interface CacheFile {
  format: number;
  build: string;
  store: string;
  tree: Record<string, TreeDir>;
  keyDirs: Record<string, SidecarDir>;
  accountDirs: Record<string, SidecarDir>;
  /** By pass path. */
  keys: Record<string, Compact>;
  /** By account id. */
  accounts: Record<string, Compact>;
  map?: StampedValue<Record<string, Mapping>>;
  config?: StampedValue<StoreConfig>;
  state?: StampedValue<StateFile>;
  providers?: StampedValue<SerializedProviders>;
  /** Ids of providers whose manifest is not trusted (stamped by the manifests and trust.json). */
  untrusted?: StampedValue<string[]>;
  /**
   * Keys encrypted only for others (recipients.ts), with what decided it: the keyring, every
   * folder of the tree, and what makes an entry a key (map, config, manifests).
   */
  notYours?: { key: string; paths: string[] };
}

type SerializedProviders = {
  providers: [string, ProviderSet["providers"] extends Map<string, infer P> ? P : never][];
  problems: ProviderSet["problems"];
};

export interface Snapshot {
  storeDir: string;
  /** Every pass entry, sorted. */
  entries: string[];
  readKey(path: string): ReadResult<KeySidecar>;
  readAccount(id: string): ReadResult<AccountSidecar>;
  map: Record<string, Mapping>;
  config: StoreConfig;
  /** The untracked state: attempts, errors, entries that are not keys. */
  state: StateFile;
  providers: ProviderSet;
  untrusted: ReadonlySet<string>;
  /** Keys encrypted only for someone else's key (told without decrypting). */
  notYours: ReadonlySet<string>;
  /** What this snapshot was read from: every folder's mtime and every single file's stamp. */
  stamps: Stamps;
}

export interface Stamps {
  /** Folder -> mtime (-1: absent; 0: racy, never matches). */
  dirs: Record<string, number>;
  files: Record<string, Stamp>;
}

export interface SnapshotOptions {
  storeDir: string;
  /** The GNUPGHOME pass decrypts with (default: as pass finds it). */
  gnupgHome?: string;
  /** `$XDG_CONFIG_HOME/keyz`: user manifests and browse prefs. */
  configDir: string;
  /** The cache file, or undefined to read everything afresh (KEYZ_NO_CACHE). */
  cacheFile?: string;
}

type Parsers = typeof import("./snapshot_parse.ts");

/** Read the snapshot, from the cache where it is still exact; refresh the cache. */
export async function readSnapshot(opts: SnapshotOptions): Promise<Snapshot> {
  const started = Date.now();
  const old = opts.cacheFile ? readCache(opts.cacheFile, opts.storeDir) : undefined;
  let parsers: Parsers | undefined;
  const load = async () => parsers ??= await import("./snapshot_parse.ts");
  const racy = (m: number) => m > started - RACY_MS;
  let changed = !old;
  const next: CacheFile = {
    format: CACHE_FORMAT,
    build: buildId(),
    store: opts.storeDir,
    tree: {},
    keyDirs: {},
    accountDirs: {},
    // Updated in place below: only changed folders are re-read.
    keys: old?.keys ?? {},
    accounts: old?.accounts ?? {},
  };

  // The .gpg tree: a folder's listing is reused while its mtime is unchanged.
  const entries: string[] = [];
  const walkTree = (rel: string) => {
    const abs = rel ? `${opts.storeDir}/${rel}` : opts.storeDir;
    let m: number;
    try {
      m = mtimeOf(abs);
    } catch (e) {
      // Removed since its parent was listed (another process): gone from this snapshot too.
      if (!(e instanceof Deno.errors.NotFound) || rel === "") throw e;
      changed = true;
      return;
    }
    const prev = old?.tree[rel];
    let rec: TreeDir;
    if (prev && prev.m !== 0 && prev.m === m) rec = prev;
    else {
      rec = listTree(opts.storeDir, rel, racy(m) ? 0 : m);
      changed = true;
    }
    next.tree[rel] = rec;
    for (const f of rec.files) entries.push(rel ? `${rel}/${f}` : f);
    for (const d of rec.dirs) walkTree(rel ? `${rel}/${d}` : d);
  };
  try {
    walkTree("");
  } catch (e) {
    const gone = e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory;
    throw gone ? noStoreError(opts.storeDir) : e;
  }
  entries.sort();

  // Nothing under .keyz is read through a link (trust rule 2): a linked .keyz, keys/ or
  // accounts/ reads as absent; below them, only real folders are entered (the listing says
  // which, with no extra stat) and a linked sidecar is a broken one, never followed.
  const keyzReal = isRealDir(`${opts.storeDir}/.keyz`);

  // Sidecar trees: as above; each folder's files are held in one flat map per kind.
  const walkSidecars = async (
    base: string,
    kind: "key" | "account",
    oldDirs: Record<string, SidecarDir> | undefined,
    nextDirs: Record<string, SidecarDir>,
    files: Record<string, Compact>,
  ) => {
    const visit = async (rel: string): Promise<void> => {
      const abs = rel ? `${opts.storeDir}/${base}/${rel}` : `${opts.storeDir}/${base}`;
      let m: number;
      try {
        if (!keyzReal) throw new Deno.errors.NotFound();
        m = folderMtime(abs);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
        if (rel !== "") changed = true; // removed since its parent was listed
        return;
      }
      const prev = oldDirs?.[rel];
      let rec: SidecarDir;
      if (prev && prev.m !== 0 && prev.m === m) rec = prev;
      else {
        const p = await load();
        for (const name of prev?.names ?? []) delete files[rel ? `${rel}/${name}` : name];
        rec = { m: racy(m) ? 0 : m, dirs: [], names: [] };
        for (const e of Deno.readDirSync(abs)) {
          if (e.isDirectory) rec.dirs.push(e.name);
          else if ((e.isFile || e.isSymlink) && e.name.endsWith(".json")) {
            const name = e.name.slice(0, -5);
            const id = rel ? `${rel}/${name}` : name;
            rec.names.push(name);
            files[id] = e.isFile
              ? compact(kind, id, p.parseSidecar(opts.storeDir, kind, id))
              : linkedSidecar(`${abs}/${e.name}`);
          }
        }
        rec.dirs.sort();
        changed = true;
      }
      nextDirs[rel] = rec;
      for (const d of rec.dirs) await visit(rel ? `${rel}/${d}` : d);
    };
    await visit("");
    // Folders that are gone: their files with them.
    for (const [rel, rec] of Object.entries(oldDirs ?? {})) {
      if (nextDirs[rel]) continue;
      for (const name of rec.names) delete files[rel ? `${rel}/${name}` : name];
      changed = true;
    }
  };
  await walkSidecars(".keyz/keys", "key", old?.keyDirs, next.keyDirs, next.keys);
  await walkSidecars(
    ".keyz/accounts",
    "account",
    old?.accountDirs,
    next.accountDirs,
    next.accounts,
  );

  // Single files: reused while every stamp they depend on is unchanged.
  const stamped = async <T>(
    prev: StampedValue<T> | undefined,
    files: string[],
    read: (p: Parsers) => Promise<T>,
  ): Promise<StampedValue<T>> => {
    const stamps: Record<string, Stamp> = {};
    for (const f of files) stamps[f] = stampOf(f, racy);
    if (prev && sameStamps(prev.stamps, stamps)) return prev;
    changed = true;
    return { stamps, value: await read(await load()) };
  };
  const userProviders = `${opts.configDir}/providers`;
  const storeProviders = `${opts.storeDir}/.keyz/providers`;
  const storeProvidersReal = keyzReal && isRealDir(storeProviders);
  // A linked .keyz stamps as absent here (lstat), and is read as absent.
  next.map = await stamped(
    old?.map,
    [`${opts.storeDir}/.keyz/map.json`],
    (p) => keyzReal ? p.readMapFile(opts.storeDir) : Promise.resolve({}),
  );
  next.config = await stamped(
    old?.config,
    [`${opts.storeDir}/.keyz/config.jsonc`],
    (p) => keyzReal ? p.readConfigFile(opts.storeDir) : Promise.resolve({}),
  );
  next.state = await stamped(
    old?.state,
    [`${opts.storeDir}/.keyz/state/state.json`],
    (p) => Promise.resolve(p.readStateFile(opts.storeDir)),
  );
  const manifestStamps = [
    userProviders,
    storeProviders,
    ...manifestFiles(userProviders),
    ...(storeProvidersReal ? manifestFiles(storeProviders) : []),
  ];
  next.providers = await stamped(
    old?.providers,
    manifestStamps,
    async (p) => serializeProviders(await p.readProviders(opts.configDir, opts.storeDir)),
  );
  const providerSet = {
    providers: new Map(next.providers.value.providers),
    problems: next.providers.value.problems,
  };
  next.untrusted = await stamped(
    old?.untrusted,
    [...manifestStamps, `${opts.configDir}/trust.json`],
    (p) => p.readUntrusted(providerSet, opts.configDir),
  );
  // Whose keys: recomputed only when the keyring, a folder of the tree, or what makes an entry
  // a key changed (a racy folder always counts as changed).
  const home = opts.gnupgHome ?? passGnupgHome();
  const keyringFiles = home === undefined ? [] : STAMPED.map((n) => `${home}/${n}`);
  const keyringStamps: Record<string, Stamp> = {};
  for (const f of keyringFiles) keyringStamps[f] = stampOf(f, racy);
  const ownerKey = JSON.stringify([
    home ?? null,
    keyringStamps,
    Object.entries(next.tree).map(([rel, r]) => [rel, r.m]),
    next.map.stamps,
    next.config.stamps,
    next.providers.stamps,
  ]);
  const isRacy = Object.values(next.tree).some((r) => r.m === 0) ||
    [keyringStamps, next.map.stamps, next.config.stamps, next.providers.stamps]
      .some((st) => Object.values(st).some((x) => x.m === 0));
  if (old?.notYours?.key === ownerKey && !isRacy) next.notYours = old.notYours;
  else {
    const p = await load();
    next.notYours = {
      key: ownerKey,
      paths: p.notYoursKeys(opts.storeDir, home, entries, {
        map: next.map.value,
        config: next.config.value,
        providers: providerSet,
      }),
    };
    changed = true;
  }
  if (changed && opts.cacheFile) writeCache(opts.cacheFile, next);
  const stamps: Stamps = { dirs: {}, files: {} };
  for (const [rel, r] of Object.entries(next.tree)) {
    stamps.dirs[rel ? `${opts.storeDir}/${rel}` : opts.storeDir] = r.m;
  }
  for (const [base, dirs] of [["keys", next.keyDirs], ["accounts", next.accountDirs]] as const) {
    const root = `${opts.storeDir}/.keyz/${base}`;
    stamps.dirs[root] = -1;
    for (const [rel, r] of Object.entries(dirs)) stamps.dirs[rel ? `${root}/${rel}` : root] = r.m;
  }
  for (const v of [next.map, next.config, next.state, next.providers, next.untrusted]) {
    Object.assign(stamps.files, v?.stamps);
  }
  Object.assign(stamps.files, keyringStamps);
  return {
    storeDir: opts.storeDir,
    entries,
    readKey: (path) => expand("key", path, next.keys[path]) as ReadResult<KeySidecar>,
    readAccount: (id) => expand("account", id, next.accounts[id]) as ReadResult<AccountSidecar>,
    map: next.map.value,
    config: next.config.value,
    state: next.state.value,
    providers: providerSet,
    untrusted: new Set(next.untrusted.value),
    notYours: new Set(next.notYours.paths),
    stamps,
  };
}

/** Whether nothing a snapshot was read from has changed since (a few hundred stats). */
export function stampsHold(stamps: Stamps): boolean {
  for (const [dir, m] of Object.entries(stamps.dirs)) {
    if (m === 0) return false;
    let now: number;
    try {
      // Sidecar folders never through a link (a folder replaced by one reads as gone).
      now = dir.includes("/.keyz/") ? folderMtime(dir) : mtimeOf(dir);
    } catch {
      now = -1;
    }
    if (now !== m) return false;
  }
  const now: Record<string, Stamp> = {};
  for (const file of Object.keys(stamps.files)) now[file] = stampOf(file, () => false);
  return sameStamps(stamps.files, now);
}

/** A sidecar that is a link: broken, named, never followed. */
function linkedSidecar(file: string): Compact {
  return {
    ok: false,
    what: `${file} is a symbolic link`,
    hint:
      "keyz never reads or writes through links in .keyz: remove the link, or run `keyz doctor --fix` to move it aside",
  };
}

function compact(kind: "key" | "account", id: string, s: Stored<unknown>): Compact {
  if (!s.ok) return s;
  const v = { ...(s.value as Record<string, unknown>) };
  delete v.schema_version;
  if (kind === "key") {
    delete v.path;
    // Left out when it is the default; null marks "none" (expand() restores both).
    if (v.account === undefined) v.account = null;
    else if (v.provider !== undefined && v.account === accountId(String(v.provider), id)) {
      delete v.account;
    }
  } else {
    delete v.account;
    if (v.provider === id.slice(0, id.indexOf("/"))) delete v.provider;
  }
  return { ok: true, value: v };
}

function expand(kind: "key" | "account", id: string, c: Compact | undefined): ReadResult<unknown> {
  if (!c) return { ok: false, missing: true };
  if (!c.ok) return { ok: false, missing: false, error: new KeyzError("sidecar", c.what, c.hint) };
  const v = c.value;
  if (kind === "key") {
    const { account, ...rest } = v;
    return {
      ok: true,
      value: {
        schema_version: SCHEMA_VERSION,
        path: id,
        ...rest,
        ...(account === null ? {} : { account: account ?? accountId(String(v.provider), id) }),
      },
    };
  }
  return {
    ok: true,
    value: {
      schema_version: SCHEMA_VERSION,
      account: id,
      provider: id.slice(0, id.indexOf("/")),
      ...v,
    },
  };
}

/**
 * A value parsed from a small file, reused while the file's text is exactly what it was (no
 * mtime rules needed: the file is read, only the parsing is skipped).
 */
export function readParsedMemo<T>(memoFile: string, sourceFile: string): T | undefined {
  try {
    const memo = JSON.parse(Deno.readTextFileSync(memoFile));
    if (memo?.source === sourceFile && memo.text === Deno.readTextFileSync(sourceFile)) {
      return memo.value as T;
    }
  } catch { /* no memo, or no file: parse it */ }
  return undefined;
}

export function writeParsedMemo(memoFile: string, sourceFile: string, value: unknown): void {
  try {
    writeCache(memoFile, { source: sourceFile, text: Deno.readTextFileSync(sourceFile), value });
  } catch { /* only costs speed */ }
}

/** The cache file of one store: named by a hash of its path. */
export function cacheFileFor(cacheDir: string, storeDir: string): string {
  return `${cacheDir}/snapshots/${fnv1a(storeDir)}.json`;
}

function fnv1a(text: string, h = 0x811c9dc5): string {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}

let build: string | undefined;
export function buildId(): string {
  // The built-in manifests are part of what is cached (providers), so they key the cache.
  return build ??= `${CACHE_FORMAT}-${BUILTIN_HASH}`;
}

function readCache(file: string, storeDir: string): CacheFile | undefined {
  try {
    const c = JSON.parse(Deno.readTextFileSync(file));
    if (
      c && typeof c === "object" && c.format === CACHE_FORMAT && c.build === buildId() &&
      c.store === storeDir && c.tree && c.keyDirs && c.accountDirs && c.keys && c.accounts
    ) return c as CacheFile;
  } catch { /* missing or unreadable: rebuild */ }
  return undefined;
}

/** Write a cache file atomically, private to the user; failure only costs speed. */
export function writeCache(file: string, value: unknown): void {
  try {
    const dir = file.slice(0, file.lastIndexOf("/"));
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${Deno.pid}.tmp`;
    Deno.writeTextFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
    Deno.renameSync(tmp, file);
  } catch { /* a read-only cache dir only costs speed */ }
}

function mtimeOf(abs: string): number {
  return Deno.statSync(abs).mtime?.getTime() ?? 0;
}

/**
 * A folder's mtime without following a link (lstat): below the store root every folder keyz
 * reads must be a real one; a link reads as absent (NotFound).
 */
function folderMtime(abs: string): number {
  const st = Deno.lstatSync(abs);
  if (!st.isDirectory) throw new Deno.errors.NotFound(`${abs} is not a folder`);
  return st.mtime?.getTime() ?? 0;
}

function isRealDir(abs: string): boolean {
  try {
    return Deno.lstatSync(abs).isDirectory;
  } catch {
    return false;
  }
}

function stampOf(file: string, racy: (m: number) => boolean): Stamp {
  try {
    const st = Deno.statSync(file);
    const m = st.mtime?.getTime() ?? 0;
    return { m: racy(m) ? 0 : m, s: st.size, i: st.ino ?? 0 };
  } catch {
    return { m: -1, s: -1, i: -1 }; // missing: matches only "still missing"
  }
}

function sameStamps(a: Record<string, Stamp>, b: Record<string, Stamp>): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => {
    const x = a[k], y = b[k];
    return y !== undefined && x.m !== 0 && x.m === y.m && x.s === y.s && x.i === y.i;
  });
}

function listTree(root: string, rel: string, m: number): TreeDir {
  const { dirs, entries } = readStoreFolder(rel ? `${root}/${rel}` : root);
  return { m, dirs: dirs.sort(), files: entries };
}

function manifestFiles(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)]
      .filter((e) => e.isFile && /\.jsonc?$/.test(e.name))
      .map((e) => `${dir}/${e.name}`)
      .sort();
  } catch {
    return [];
  }
}

function serializeProviders(set: ProviderSet): SerializedProviders {
  return { providers: [...set.providers], problems: set.problems };
}
