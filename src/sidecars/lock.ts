/**
 * One writer at a time per store: an exclusive advisory lock (flock) on `.keyz/lock`, which
 * also holds the owner's pid for messages. The kernel drops the lock when its process dies,
 * so a killed keyz never blocks the next run, and no process table (/proc, `ps`, kill -0)
 * is needed to tell a live owner from a dead one.
 */
import { KeyzError } from "../errors.ts";
import { assertInsideStore, ensureKeyzGitignore, KEYZ_DIR, removeStaleTemps } from "./files.ts";

const LOCK = `${KEYZ_DIR}/lock`;

export interface StoreLock {
  release(): Promise<void>;
}

/** Who holds the lock right now (from the file), or undefined when nobody does. */
export async function lockHolder(storeDir: string): Promise<string | undefined> {
  const file = `${storeDir}/${LOCK}`;
  let f: Deno.FsFile;
  try {
    f = await Deno.open(file, { read: true });
  } catch {
    return undefined;
  }
  try {
    if (await f.tryLock(true)) return undefined;
  } finally {
    f.close();
  }
  return (await Deno.readTextFile(file).catch(() => "")).trim() || "another keyz";
}

export async function acquireLock(storeDir: string, what: string): Promise<StoreLock> {
  await assertInsideStore(storeDir, LOCK);
  await Deno.mkdir(`${storeDir}/${KEYZ_DIR}`, { recursive: true });
  const file = `${storeDir}/${LOCK}`;
  for (let tries = 0; tries < 5; tries++) {
    const f = await Deno.open(file, { read: true, write: true, create: true });
    if (!(await f.tryLock(true))) {
      f.close();
      const text = await Deno.readTextFile(file).catch(() => "");
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
    const [mine, current] = await Promise.all([f.stat(), Deno.stat(file).catch(() => null)]);
    if (!current || mine.ino !== current.ino || mine.dev !== current.dev) {
      f.close();
      continue;
    }
    await f.truncate(0);
    await f.write(new TextEncoder().encode(`${Deno.pid} ${new Date().toISOString()} ${what}\n`));
    try {
      // Holding the lock, every temp file left in .keyz belongs to a dead process.
      await removeStaleTemps(storeDir);
      await ensureKeyzGitignore(storeDir);
    } catch (e) {
      await Deno.remove(file).catch(() => {});
      f.close();
      throw e;
    }
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await Deno.remove(file).catch(() => {});
        f.close();
      },
    };
  }
  throw new KeyzError("locked", "could not take the store lock", `remove ${file} and retry`);
}
