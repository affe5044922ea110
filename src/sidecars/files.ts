/**
 * Low-level sidecar file access under <store>/.keyz: deterministic JSON, atomic writes
 * (temp file + rename), symlink refusal, and typed errors naming the file.
 */
import { KeyzError } from "../errors.ts";
import type { z } from "zod";

export const KEYZ_DIR = ".keyz";

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

/**
 * Refuse a .keyz path that runs through a symlink leading outside the store. `rel` is relative
 * to the store root and starts with ".keyz".
 */
export async function assertInsideStore(storeDir: string, rel: string): Promise<void> {
  const parts = rel.split("/");
  let current = storeDir;
  for (const [i, part] of parts.entries()) {
    current = `${current}/${part}`;
    const isDir = i < parts.length - 1;
    if (isDir && verifiedDirs.has(current)) continue;
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(current);
    } catch {
      return; // does not exist yet: nothing below it can be a link
    }
    if (info.isSymlink) {
      const real = await Deno.realPath(current).catch(() => "");
      const root = await Deno.realPath(storeDir);
      if (!real.startsWith(`${root}/${KEYZ_DIR}`)) {
        throw new KeyzError(
          "sidecar",
          `${current} is a symlink leading outside the store`,
          "remove the link; keyz only writes inside <store>/.keyz",
        );
      }
    }
    if (isDir) verifiedDirs.add(current);
  }
}

/**
 * Directories already checked (and created) by this process. A sync writes three files per key
 * into a handful of folders; checking every path component of every write again was a large
 * share of sync's own CPU time. The file itself is still checked on every write.
 */
const verifiedDirs = new Set<string>();
const createdDirs = new Set<string>();

function ensureParentDir(file: string): void {
  const dir = file.slice(0, file.lastIndexOf("/"));
  if (createdDirs.has(dir)) return;
  Deno.mkdirSync(dir, { recursive: true });
  createdDirs.add(dir);
}

/**
 * Write a file atomically: a temp file beside it, then rename over.
 *
 * The file operations here are synchronous on purpose: sidecars are a few hundred bytes, and
 * during a sync the CPU is shared with one gpg per key; an async fs call costs a thread-pool
 * hop per operation, which measured 6% of `keyz sync --all` over 200 keys (deno task bench).
 */
export async function writeAtomic(storeDir: string, rel: string, text: string): Promise<void> {
  await assertInsideStore(storeDir, rel);
  const file = `${storeDir}/${rel}`;
  ensureParentDir(file);
  const tmp = `${file}.${Deno.pid}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    Deno.writeTextFileSync(tmp, text);
    Deno.renameSync(tmp, file);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/**
 * Append one line (a single write, so concurrent appenders never interleave within it). A
 * line torn by a killed process is closed first, so it cannot swallow the next good line.
 */
export async function appendLine(storeDir: string, rel: string, line: string): Promise<void> {
  await assertInsideStore(storeDir, rel);
  const file = `${storeDir}/${rel}`;
  ensureParentDir(file);
  const text = line.endsWith("\n") ? line : `${line}\n`;
  const torn = endsMidLine(file);
  Deno.writeTextFileSync(file, torn ? `\n${text}` : text, { append: true });
}

function endsMidLine(file: string): boolean {
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(file, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
  try {
    const size = f.statSync().size;
    if (size === 0) return false;
    f.seekSync(size - 1, Deno.SeekMode.Start);
    const last = new Uint8Array(1);
    f.readSync(last);
    return last[0] !== 10;
  } finally {
    f.close();
  }
}

/** Temp files of writeAtomic (`<file>.<pid>.<id>.tmp`). */
const TEMP_RE = /\.\d+\.[0-9a-f]{8}\.tmp$/;

/**
 * Remove the temp files a killed keyz left in `.keyz/` (call only while holding the store
 * lock: then no live writer owns any of them). Never follows symlinks.
 */
export async function removeStaleTemps(storeDir: string): Promise<number> {
  let removed = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch {
      return;
    }
    for (const e of entries) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory && !e.isSymlink) await walk(p);
      else if (e.isFile && TEMP_RE.test(e.name)) {
        await Deno.remove(p).then(() => removed++, () => {});
      }
    }
  };
  await walk(`${storeDir}/${KEYZ_DIR}`);
  return removed;
}

/** Keep the lock and temp files out of git (`git add -A .keyz` would otherwise take them). */
export async function ensureKeyzGitignore(storeDir: string): Promise<void> {
  const rel = `${KEYZ_DIR}/.gitignore`;
  const want = "/lock\n/state/\n*.tmp\n*.broken-*\n";
  const have = await Deno.readTextFile(`${storeDir}/${rel}`).catch(() => "");
  if (have !== want) await writeAtomic(storeDir, rel, want);
}

export type ReadResult<T> =
  | { ok: true; value: T }
  | { ok: false; missing: true }
  | { ok: false; missing: false; error: KeyzError };

/** Read and validate a JSON sidecar; never throws for bad content. */
export async function readJson<T>(
  storeDir: string,
  rel: string,
  schema: z.ZodType<T>,
): Promise<ReadResult<T>> {
  await Promise.resolve();
  return readJsonSync(storeDir, rel, schema);
}

/**
 * The synchronous form: reading thousands of small sidecars (ls, browse) is several times
 * faster with sync reads than with one promise per file.
 */
export function readJsonSync<T>(
  storeDir: string,
  rel: string,
  schema: z.ZodType<T>,
): ReadResult<T> {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${storeDir}/${rel}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { ok: false, missing: true };
    throw e;
  }
  return parseJsonText(text, `${storeDir}/${rel}`, schema);
}

export function parseJsonText<T>(text: string, file: string, schema: z.ZodType<T>): ReadResult<T> {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return {
      ok: false,
      missing: false,
      error: new KeyzError(
        "sidecar",
        `${file} is not valid JSON`,
        "run `keyz doctor` or `keyz sync` to rebuild it",
      ),
    };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0];
  const field = issue.path.map(String).join(".") || "(top level)";
  return {
    ok: false,
    missing: false,
    error: new KeyzError(
      "sidecar",
      `${file}: ${field}: ${issue.message}`,
      "run `keyz doctor` or `keyz sync` to rebuild it",
    ),
  };
}

/** Move a broken sidecar aside (kept for the user, ignored by keyz). */
export async function quarantine(storeDir: string, rel: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const dest = `${rel}.broken-${stamp}`;
  await Deno.rename(`${storeDir}/${rel}`, `${storeDir}/${dest}`);
  return dest;
}
