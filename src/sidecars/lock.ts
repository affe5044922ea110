/**
 * One writer at a time per store: `.keyz/lock` created exclusively, holding the owner's pid.
 * A lock whose process is gone (killed keyz) is taken over; a live one is a clear error.
 */
import { KeyzError } from "../errors.ts";
import { assertInsideStore, ensureKeyzGitignore, KEYZ_DIR, removeStaleTemps } from "./files.ts";

const LOCK = `${KEYZ_DIR}/lock`;

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    return Deno.statSync(`/proc/${pid}`).isDirectory;
  } catch {
    // No /proc (macOS): assume alive unless the lock is old (handled by the caller).
    return !Deno.build.os.startsWith("linux");
  }
}

export interface StoreLock {
  release(): Promise<void>;
}

export async function acquireLock(storeDir: string, what: string): Promise<StoreLock> {
  await assertInsideStore(storeDir, LOCK);
  await Deno.mkdir(`${storeDir}/${KEYZ_DIR}`, { recursive: true });
  const file = `${storeDir}/${LOCK}`;
  for (let tries = 0; tries < 3; tries++) {
    try {
      const f = await Deno.open(file, { write: true, createNew: true });
      await f.write(new TextEncoder().encode(`${Deno.pid} ${new Date().toISOString()} ${what}\n`));
      f.close();
      // Holding the lock, every temp file left in .keyz belongs to a dead process.
      await removeStaleTemps(storeDir);
      await ensureKeyzGitignore(storeDir);
      return { release: () => Deno.remove(file).catch(() => {}) };
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      const text = await Deno.readTextFile(file).catch(() => "");
      const [pidText, at, ...rest] = text.trim().split(" ");
      const pid = Number(pidText);
      const old = Date.now() - Date.parse(at ?? "") > 6 * 3600_000;
      if (processAlive(pid) && pid !== Deno.pid && !old) {
        throw new KeyzError(
          "locked",
          `the store is locked by keyz process ${pid} (${rest.join(" ") || "busy"}) since ${at}`,
          `wait for it to finish, or remove ${file} if no keyz is running`,
        );
      }
      await Deno.remove(file).catch(() => {});
    }
  }
  throw new KeyzError("locked", "could not take the store lock", `remove ${file} and retry`);
}
