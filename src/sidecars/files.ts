/**
 * The one owner of file access under <store>/.keyz: every read, write, rename and removal
 * below `.keyz` goes through here (trust rule 2). What it guarantees:
 *
 * - A path is `.keyz/...` with no empty, `.` or `..` segment and no name over 255 bytes;
 *   anything else is refused before the file system is touched.
 * - No component between the store root and the file is a symlink, for reads and writes
 *   alike (the store root itself may be one: ~/.password-store -> elsewhere). A link where a
 *   file is read reads as a broken file naming the link; a write refuses it.
 * - Writes are atomic: a temp file `.<8 hex>.tmp` in the same folder (short, so any legal
 *   entry name still fits the file-name limit), created exclusively (O_EXCL never follows a
 *   link), then renamed over. Appends and the lock open the file and check that what they
 *   opened is what lstat saw (no link swapped in).
 * - OS failures come out as `StoreFileError` naming the file (exit code 3), never as a bug.
 *
 * The checks use lstat, so a local process racing keyz between check and use is out of scope:
 * the threat is a store pushed through git, which cannot change while keyz runs.
 */
import { fileError, KeyzError, StoreFileError } from "../errors.ts";
import type { z } from "zod";

export const KEYZ_DIR = ".keyz";

/** The longest file name (in bytes) of the file systems keyz runs on. */
const NAME_MAX = 255;

/** JSON with sorted keys, two-space indent and a trailing newline. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + "\n";
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.keys(v).sort().flatMap((k) => {
        const x = (v as Record<string, unknown>)[k];
        return x === undefined ? [] : [[k, sortKeys(x)]];
      }),
    );
  }
  return v;
}

const encoder = new TextEncoder();

function byteLength(name: string): number {
  return name.length * 3 <= NAME_MAX ? name.length : encoder.encode(name).length;
}

/** The segments of a store-relative `.keyz/...` path, or a StoreFileError why it is none. */
function segments(storeDir: string, rel: string): string[] {
  const parts = rel.split("/");
  if (parts[0] !== KEYZ_DIR || parts.some((p) => p === "" || p === "." || p === "..")) {
    throw new StoreFileError(`${storeDir}/${rel}`, "bad_path");
  }
  for (const p of parts) {
    if (byteLength(p) > NAME_MAX) throw new StoreFileError(`${storeDir}/${rel}`, "name_too_long");
  }
  return parts;
}

/**
 * Folders below the store root already seen to be real folders (not links) by this process.
 * A sync writes three files per key into a handful of folders; checking every component of
 * every path again was a large share of sync's own CPU time. The file itself is still checked
 * on every access. Only real folders are remembered, so a link is never trusted.
 */
const verifiedDirs = new Set<string>();

/**
 * Check every folder afresh from now on. Called when a writer takes the lock: a long-running
 * process (the browser) must not trust what it saw before a `git pull` changed the store.
 */
export function forgetVerifiedFolders(): void {
  verifiedDirs.clear();
}

function lstatOrUndefined(path: string): Deno.FileInfo | undefined {
  try {
    return Deno.lstatSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw fileError(path, e);
  }
}

function checkFolder(path: string, info: Deno.FileInfo): void {
  if (info.isSymlink) throw new StoreFileError(path, "symlink");
  if (!info.isDirectory) {
    throw new StoreFileError(path, "not_a_directory", "is a file where a folder is needed");
  }
  verifiedDirs.add(path);
}

/**
 * Check the first `count` components of `parts` (folders), creating missing ones when
 * `create`. Returns false when one is missing (and not created): nothing below it exists.
 */
function walkFolders(storeDir: string, parts: string[], count: number, create: boolean): boolean {
  let current = storeDir;
  for (let i = 0; i < count; i++) {
    current += `/${parts[i]}`;
    if (verifiedDirs.has(current)) continue;
    let info = lstatOrUndefined(current);
    if (!info) {
      if (!create) return false;
      try {
        Deno.mkdirSync(current);
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists)) throw fileError(current, e);
      }
      info = lstatOrUndefined(current);
      if (!info) throw new StoreFileError(current, "missing");
    }
    checkFolder(current, info);
  }
  return true;
}

function parentOf(file: string): string {
  return file.slice(0, file.lastIndexOf("/"));
}

/** Make sure the folders above `.keyz/...` `rel` exist and none is a link. */
function parentsFor(storeDir: string, parts: string[], create: boolean): boolean {
  const parent = `${storeDir}/${parts.slice(0, -1).join("/")}`;
  if (verifiedDirs.has(parent)) return true; // its ancestors were verified before it
  return walkFolders(storeDir, parts, parts.length - 1, create);
}

/** The file at `file` may be written over: absent, or a regular file (never a link). */
function checkTarget(file: string): Deno.FileInfo | undefined {
  const info = lstatOrUndefined(file);
  if (!info) return undefined;
  if (info.isSymlink) throw new StoreFileError(file, "symlink");
  if (!info.isFile) {
    throw new StoreFileError(file, info.isDirectory ? "is_a_directory" : "other");
  }
  return info;
}

/** Refuse a `.keyz/...` path that is not one keyz may use, or runs through a symlink. */
export function assertNoLinks(storeDir: string, rel: string): void {
  const parts = segments(storeDir, rel);
  if (parentsFor(storeDir, parts, false)) checkTarget(`${storeDir}/${rel}`);
}

function tempName(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  return `.${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}.tmp`;
}

/** Temp files of writeAtomic: `.<8 hex>.tmp`, and `<file>.<pid>.<8 hex>.tmp` of older keyz. */
const TEMP_RE = /^\.[0-9a-f]{8}\.tmp$|\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Write a file atomically: a temp file beside it, then rename over. Throws StoreFileError
 * naming the file (a link on the way, a name too long, a full disk, ...).
 *
 * The file operations here are synchronous on purpose: sidecars are a few hundred bytes, and
 * during a sync the CPU is shared with one gpg per key; an async fs call costs a thread-pool
 * hop per operation, which measured 6% of `keyz sync --all` over 200 keys (deno task bench).
 */
export async function writeAtomic(storeDir: string, rel: string, text: string): Promise<void> {
  await Promise.resolve();
  writeAtomicSync(storeDir, rel, text);
}

export function writeAtomicSync(storeDir: string, rel: string, text: string): void {
  const parts = segments(storeDir, rel);
  const file = `${storeDir}/${rel}`;
  parentsFor(storeDir, parts, true);
  checkTarget(file);
  const dir = parentOf(file);
  let tmp: string | undefined;
  try {
    for (let tries = 0; tmp === undefined; tries++) {
      const candidate = `${dir}/${tempName()}`;
      try {
        // createNew: O_EXCL, which fails on an existing name, link or not.
        Deno.writeTextFileSync(candidate, text, { createNew: true });
        tmp = candidate;
      } catch (e) {
        if (!(e instanceof Deno.errors.AlreadyExists) || tries >= 3) throw e;
      }
    }
    Deno.renameSync(tmp, file);
  } catch (e) {
    if (tmp !== undefined) {
      try {
        Deno.removeSync(tmp);
      } catch { /* gone already */ }
    }
    throw fileError(file, e);
  }
}

/**
 * Open a `.keyz/...` file without following a link: absent and `create` makes it (O_EXCL);
 * present, it must be a regular file, and the opened file must be the one lstat saw.
 * Returns undefined when it is absent and not to be created.
 */
export function openNoFollow(
  storeDir: string,
  rel: string,
  opts: { create?: boolean; write?: boolean; append?: boolean } = {},
): Deno.FsFile | undefined {
  const parts = segments(storeDir, rel);
  const file = `${storeDir}/${rel}`;
  if (!parentsFor(storeDir, parts, !!opts.create)) return undefined;
  const write = !!(opts.write || opts.create || opts.append);
  for (let tries = 0; tries < 3; tries++) {
    const seen = checkTarget(file);
    if (!seen && !opts.create) return undefined;
    let f: Deno.FsFile;
    try {
      f = Deno.openSync(file, { read: true, write, append: opts.append, createNew: !seen });
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) continue; // created meanwhile: look again
      if (e instanceof Deno.errors.NotFound && !opts.create) return undefined;
      throw fileError(file, e);
    }
    if (seen) {
      const now = f.statSync();
      if (now.ino !== seen.ino || now.dev !== seen.dev) {
        f.close();
        throw new StoreFileError(file, "symlink", "was replaced while keyz opened it");
      }
    }
    return f;
  }
  throw new StoreFileError(file, "other", "keeps changing while keyz opens it");
}

/**
 * Append one line (a single write, so concurrent appenders never interleave within it). A
 * line torn by a killed process is closed first, so it cannot swallow the next good line.
 */
export async function appendLine(storeDir: string, rel: string, line: string): Promise<void> {
  await Promise.resolve();
  const text = line.endsWith("\n") ? line : `${line}\n`;
  const file = `${storeDir}/${rel}`;
  const f = openNoFollow(storeDir, rel, { create: true, append: true })!;
  try {
    const bytes = encoder.encode(endsMidLine(f) ? `\n${text}` : text);
    let done = 0;
    while (done < bytes.length) done += f.writeSync(bytes.subarray(done));
  } catch (e) {
    throw fileError(file, e);
  } finally {
    f.close();
  }
}

function endsMidLine(f: Deno.FsFile): boolean {
  const size = f.statSync().size;
  if (size === 0) return false;
  f.seekSync(size - 1, Deno.SeekMode.Start);
  const last = new Uint8Array(1);
  f.readSync(last);
  return last[0] !== 10;
}

/**
 * The text of a `.keyz/...` file, or undefined when it does not exist. Never follows a link:
 * one in any component throws StoreFileError ("symlink"). `listed`: the caller found the file
 * by listing real folders below a checked `.keyz` (the snapshot walk), so the checks are done.
 */
export function readKeyzText(
  storeDir: string,
  rel: string,
  opts: { listed?: boolean } = {},
): string | undefined {
  const file = `${storeDir}/${rel}`;
  if (!opts.listed) {
    const parts = segments(storeDir, rel);
    if (!parentsFor(storeDir, parts, false)) return undefined;
    if (!checkTarget(file)) return undefined;
  }
  try {
    return Deno.readTextFileSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw fileError(file, e);
  }
}

/** Whether `.keyz/...` `rel` is a real folder reached without links (false: absent). */
export function isKeyzFolder(storeDir: string, rel: string): boolean {
  const parts = segments(storeDir, rel);
  try {
    return walkFolders(storeDir, parts, parts.length, false);
  } catch (e) {
    if (e instanceof StoreFileError) return false;
    throw e;
  }
}

/** Remove a `.keyz/...` file (a link is removed itself, never followed); absent is fine. */
export function removeKeyzFile(storeDir: string, rel: string): void {
  const parts = segments(storeDir, rel);
  const file = `${storeDir}/${rel}`;
  if (!parentsFor(storeDir, parts, false)) return;
  try {
    Deno.removeSync(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    throw fileError(file, e);
  }
}

/**
 * Rename a `.keyz/...` file to another `.keyz/...` name (following `pass mv`). Neither end may
 * run through a link, and the destination must not exist (nothing is written over); missing
 * folders above it are created. Returns false when `from` does not exist.
 */
export function renameKeyzFile(storeDir: string, from: string, to: string): boolean {
  const fromParts = segments(storeDir, from);
  const toParts = segments(storeDir, to);
  const src = `${storeDir}/${from}`;
  const dest = `${storeDir}/${to}`;
  if (!parentsFor(storeDir, fromParts, false) || !checkTarget(src)) return false;
  parentsFor(storeDir, toParts, true);
  if (checkTarget(dest)) throw new StoreFileError(dest, "other", "exists already");
  try {
    Deno.renameSync(src, dest);
  } catch (e) {
    throw fileError(src, e);
  }
  return true;
}

/**
 * Remove the folders of `.keyz/...` `rel` that are empty, deepest first, keeping the first
 * `keep` segments (`.keyz/keys` and above for 2). Stops at the first folder that is not empty.
 */
export function removeEmptyKeyzFolders(storeDir: string, rel: string, keep: number): void {
  const parts = segments(storeDir, rel);
  for (let n = parts.length - 1; n > keep; n--) {
    const dir = `${storeDir}/${parts.slice(0, n).join("/")}`;
    if (!lstatOrUndefined(dir)?.isDirectory) return; // gone, or a link: never entered
    try {
      Deno.removeSync(dir); // fails on a folder that is not empty
      verifiedDirs.delete(dir);
    } catch {
      return;
    }
  }
}

/**
 * The regular files below the `.keyz/...` folder `rel` whose names end in `suffix`, relative
 * to it and unsorted. Links are neither listed nor entered; a missing folder lists nothing.
 */
export function listKeyzFiles(storeDir: string, rel: string, suffix: string): string[] {
  if (!isKeyzFolder(storeDir, rel)) return [];
  const out: string[] = [];
  const walk = (sub: string): void => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${storeDir}/${rel}${sub ? `/${sub}` : ""}`)];
    } catch {
      return; // unreadable: nothing below it is keyz's to use
    }
    for (const e of entries) {
      const child = sub ? `${sub}/${e.name}` : e.name;
      if (e.isDirectory) walk(child);
      else if (e.isFile && e.name.endsWith(suffix)) out.push(child);
    }
  };
  walk("");
  return out;
}

/**
 * Remove `<store>/.git/index.lock`, which a git killed mid-command leaves behind (see
 * clearStaleIndexLock in git.ts). Only a regular file; a link is never followed. Returns
 * whether it was removed.
 */
export function removeGitIndexLock(storeDir: string): boolean {
  const file = `${storeDir}/.git/index.lock`;
  if (!lstatOrUndefined(file)?.isFile) return false;
  try {
    Deno.removeSync(file);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw fileError(file, e);
  }
}

/**
 * Remove the temp files a killed keyz left in `.keyz/` (call only while holding the store
 * lock: then no live writer owns any of them). Never follows symlinks.
 */
export async function removeStaleTemps(storeDir: string): Promise<number> {
  await Promise.resolve();
  if (!isKeyzFolder(storeDir, KEYZ_DIR)) return 0;
  let removed = 0;
  const walk = (dir: string): void => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) walk(p);
      else if (e.isFile && TEMP_RE.test(e.name)) {
        try {
          Deno.removeSync(p);
          removed++;
        } catch { /* gone already */ }
      }
    }
  };
  walk(`${storeDir}/${KEYZ_DIR}`);
  return removed;
}

/** Every symlink below `.keyz` (store-relative; links are listed, never entered). */
export function keyzLinks(storeDir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(`${storeDir}/${rel}`)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (BROKEN_RE.test(e.name)) continue; // moved aside already: ignored by keyz and git
      if (e.isSymlink) out.push(`${rel}/${e.name}`);
      else if (e.isDirectory) walk(`${rel}/${e.name}`);
    }
  };
  const top = lstatOrUndefined(`${storeDir}/${KEYZ_DIR}`);
  if (top?.isSymlink) return [KEYZ_DIR];
  if (top?.isDirectory) walk(KEYZ_DIR);
  return out.sort();
}

/**
 * keyz's git settings for its own folder, one content each, written only here (through
 * prepareKeyzDir, when a writer takes the lock): history merges line by line between
 * machines, and keyz's transient files (the lock, the untracked state dir, temp files,
 * moved-aside broken files) are never committed. Patterns are relative to `.keyz/`.
 */
export const KEYZ_GIT_FILES: Readonly<Record<string, string>> = {
  [`${KEYZ_DIR}/.gitattributes`]: "history/** merge=union\n",
  [`${KEYZ_DIR}/.gitignore`]: "/lock\n/state/\n*.tmp\n*.broken-*\n",
};

/** Where keyz keeps its own files and folders: a link there is moved aside, never followed. */
const KEYZ_OWNED = ["keys", "accounts", "history", "state", ".gitattributes", ".gitignore"]
  .map((n) => `${KEYZ_DIR}/${n}`);

/**
 * Get `.keyz` ready for a writer (called by acquireLock only, so by every writer): a link
 * where keyz keeps its own folders or git files is moved aside (the link itself is renamed,
 * never followed), then `.gitignore` and `.gitattributes` get their one content. Returns a
 * line for each link moved aside.
 */
export function prepareKeyzDir(storeDir: string): string[] {
  const notes: string[] = [];
  for (const rel of KEYZ_OWNED) {
    if (!lstatOrUndefined(`${storeDir}/${rel}`)?.isSymlink) continue;
    const dest = quarantineSync(storeDir, rel);
    notes.push(`${rel} was a symbolic link (never followed); moved aside to ${dest}`);
  }
  for (const [rel, want] of Object.entries(KEYZ_GIT_FILES)) {
    if (readKeyzText(storeDir, rel) !== want) writeAtomicSync(storeDir, rel, want);
  }
  return notes;
}

export type ReadResult<T> =
  | { ok: true; value: T }
  | { ok: false; missing: true }
  | { ok: false; missing: false; error: KeyzError };

/**
 * Read and validate a JSON sidecar; never throws for bad content. Synchronous: reading thousands of small sidecars (ls, browse) is several times
 * faster with sync reads than with one promise per file. A link, or a file keyz cannot read,
 * reads as a broken file naming it.
 */
export function readJsonSync<T>(
  storeDir: string,
  rel: string,
  schema: z.ZodType<T>,
  opts: { listed?: boolean } = {},
): ReadResult<T> {
  const r = readSidecarText(storeDir, rel, opts);
  if (typeof r !== "string") return r;
  return parseJsonText(r, `${storeDir}/${rel}`, schema);
}

/** A sidecar's text, or the ReadResult saying it is missing or unreadable. */
export function readSidecarText(
  storeDir: string,
  rel: string,
  opts: { listed?: boolean } = {},
): string | { ok: false; missing: true } | { ok: false; missing: false; error: KeyzError } {
  try {
    return readKeyzText(storeDir, rel, opts) ?? { ok: false, missing: true };
  } catch (e) {
    if (e instanceof StoreFileError) return { ok: false, missing: false, error: e };
    throw e;
  }
}

/** What fixes a broken file, by which file it is. */
function repairHint(file: string): string {
  return file.endsWith(`/${KEYZ_DIR}/map.json`)
    ? "run `keyz doctor --fix`: it moves the file aside and restores the last good version from git"
    : "run `keyz doctor --fix` to move it aside (or `keyz sync` the key): sync rebuilds it";
}

export function parseJsonText<T>(text: string, file: string, schema: z.ZodType<T>): ReadResult<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      ok: false,
      missing: false,
      error: new KeyzError("sidecar", `${file} is not valid JSON`, repairHint(file)),
    };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const field = issue.path.map(String).join(".") || "(top level)";
  return {
    ok: false,
    missing: false,
    error: new KeyzError("sidecar", `${file}: ${field}: ${issue.message}`, repairHint(file)),
  };
}

/** Files moved aside by quarantine (`.gitignore`: `*.broken-*`). */
const BROKEN_RE = /\.broken-/;

/** `<name>.broken-<stamp>`, the name shortened when needed to fit the file-name limit. */
function brokenName(name: string): string {
  const suffix = `.broken-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  const chars = Array.from(name);
  while (chars.length && byteLength(chars.join("") + suffix) > NAME_MAX) chars.pop();
  return chars.join("") + suffix;
}

/**
 * Move a broken file aside, beside itself (kept for the user, ignored by keyz and git). A link
 * is moved as the link; a link above it refuses the move.
 */
export async function quarantine(storeDir: string, rel: string): Promise<string> {
  await Promise.resolve();
  return quarantineSync(storeDir, rel);
}

function quarantineSync(storeDir: string, rel: string): string {
  const parts = segments(storeDir, rel);
  const file = `${storeDir}/${rel}`;
  if (parts.length < 2 || !parentsFor(storeDir, parts, false)) {
    throw new StoreFileError(file, "missing");
  }
  const dest = [...parts.slice(0, -1), brokenName(parts.at(-1)!)].join("/");
  try {
    Deno.renameSync(file, `${storeDir}/${dest}`);
  } catch (e) {
    throw fileError(file, e);
  }
  return dest;
}
