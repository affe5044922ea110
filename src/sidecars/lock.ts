/**
 * One writer at a time per store: an exclusive advisory lock (flock) on `.keyz/lock`, which
 * also holds the owner's pid for messages. The kernel drops the lock when its process dies,
 * so a killed keyz never blocks the next run, and no process table (/proc, `ps`, kill -0)
 * is needed to tell a live owner from a dead one.
 */
import { fileError as fileErrorOf, KeyzError, StoreFileError } from "../errors.ts";
import {
  forgetVerifiedFolders,
  KEYZ_DIR,
  openNoFollow,
  prepareKeyzDir,
  quarantine,
  readKeyzText,
  removeKeyzFile,
  removeStaleTemps,
} from "./files.ts";

const LOCK = `${KEYZ_DIR}/lock`;

export interface StoreLock {
  release(): Promise<void>;
}

function lockText(storeDir: string): string {
  try {
    return readKeyzText(storeDir, LOCK) ?? "";
  } catch {
    return "";
  }
}

/** Who holds the lock right now (from the file), or undefined when nobody does. */
export async function lockHolder(storeDir: string): Promise<string | undefined> {
  let f: Deno.FsFile | undefined;
  try {
    f = openNoFollow(storeDir, LOCK);
  } catch {
    return undefined;
  }
  if (!f) return undefined;
  try {
    if (await f.tryLock(true)) return undefined;
  } finally {
    f.close();
  }
  return lockText(storeDir).trim() || "another keyz";
}

/**
 * Take the store lock, then get `.keyz` ready for writing (stale temp files removed, links
 * where keyz keeps its own files moved aside, `.gitignore`/`.gitattributes` written: see
 * prepareKeyzDir). `warn` gets a line for each link moved aside.
 */
export async function acquireLock(
  storeDir: string,
  what: string,
  opts: { warn?: (line: string) => void } = {},
): Promise<StoreLock> {
  const file = `${storeDir}/${LOCK}`;
  forgetVerifiedFolders();
  for (let tries = 0; tries < 5; tries++) {
    let f: Deno.FsFile;
    try {
      f = openNoFollow(storeDir, LOCK, { create: true, write: true })!;
    } catch (e) {
      // The lock is keyz's own transient file: a link there (pushed by someone) is moved
      // aside as the link, never opened.
      if (!(e instanceof StoreFileError && e.problem === "symlink")) throw e;
      const dest = await quarantine(storeDir, LOCK);
      opts.warn?.(`${LOCK} was a symbolic link (never followed); moved aside to ${dest}`);
      continue;
    }
    if (!(await f.tryLock(true))) {
      f.close();
      const text = lockText(storeDir);
      const [pid, at, ...rest] = text.trim().split(" ");
      throw new KeyzError(
        "locked",
        `the store is locked by keyz process ${pid || "?"} (${rest.join(" ") || "busy"})${
          at ? ` since ${at}` : ""
        }`,
        "wait for it to finish; the lock goes away when that process exits",
      );
    }
    // The previous owner removes the file before unlocking it; if that happened between our
    // open and our lock, we hold a lock on a deleted file: start over on the current one.
    const [mine, current] = await Promise.all([f.stat(), Deno.lstat(file).catch(() => null)]);
    if (!current || mine.ino !== current.ino || mine.dev !== current.dev) {
      f.close();
      continue;
    }
    const drop = () => {
      try {
        removeKeyzFile(storeDir, LOCK);
      } catch { /* the kernel drops the lock with the process anyway */ }
      f.close();
    };
    try {
      await f.truncate(0);
      await f.write(new TextEncoder().encode(`${Deno.pid} ${new Date().toISOString()} ${what}\n`));
      // Holding the lock, every temp file left in .keyz belongs to a dead process.
      await removeStaleTemps(storeDir);
      for (const note of prepareKeyzDir(storeDir)) opts.warn?.(note);
    } catch (e) {
      drop();
      throw fileErrorOf(file, e);
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await Promise.resolve();
        drop();
      },
    };
  }
  throw new KeyzError("locked", "could not take the store lock", `remove ${file} and retry`);
}
