/**
 * How every write to the store happens, in one place: take the store lock, follow the entries
 * `pass mv` moved (their sidecars move too: src/sidecars/moves.ts, committed on their own as a
 * rename), write, record the changes in git with the store's git mode, release the lock. Used by
 * sync, map, unmap, ignore, edit, discover and the browser, so no writer can forget a step or
 * pick its own git mode.
 */
import { KeyzError } from "../errors.ts";
import { acquireLock, lockHolder } from "../sidecars/lock.ts";
import { adoptMovedSidecars, type Move, movesMessage } from "../sidecars/moves.ts";
import { type GitMode, recordChanges } from "./git.ts";

export interface StoreWrite {
  storeDir: string;
  /** What is being done, for the lock file (`keyz: <what>` for whoever waits on it). */
  what: string;
  gitMode: GitMode;
  /**
   * Wait for another keyz's lock instead of failing (the browser): called once with who holds
   * it, then the lock is tried again every `pollMs` until `signal` aborts.
   */
  wait?: {
    onWait(holder: string): void;
    /** Called once the lock is taken after waiting for it. */
    onWaited?(): void;
    pollMs?: number;
    signal?: AbortSignal;
  };
  /** Lines about repairs made when taking the lock (a link in .keyz moved aside). */
  warn?: (line: string) => void;
  /** Lines about what git did (a stale index.lock removed), for --verbose. */
  note?: (line: string) => void;
}

export interface WriteOutcome<T> {
  value: T;
  committed: boolean;
  /** Sidecars moved after their entry (`pass mv`) before this write. */
  moved?: Move[];
  /** git failed after the files were written: they stay written (exit code 4 for commands). */
  gitError?: KeyzError;
}

/**
 * Run `write` holding the store lock, then commit what it changed with `message` (from the
 * write's own result: a sync's message names what it synced). No message: nothing to commit.
 */
export async function withStoreWrite<T>(
  w: StoreWrite,
  write: () => Promise<{ value: T; message?: string }>,
): Promise<WriteOutcome<T>> {
  const lock = await lockOrWait(w);
  try {
    const moved = await followMoves(w);
    const { value, message } = await write();
    const outcome: WriteOutcome<T> = { value, committed: false };
    if (moved.moves.length) outcome.moved = moved.moves;
    if (moved.gitError) outcome.gitError = moved.gitError;
    if (message === undefined) return outcome;
    try {
      outcome.committed = await recordChanges(w.storeDir, w.gitMode, message, { note: w.note });
    } catch (e) {
      if (!(e instanceof KeyzError)) throw e;
      outcome.gitError = e;
    }
    return outcome;
  } finally {
    await lock.release();
  }
}

/**
 * Move the sidecars of moved entries, and commit that alone, so git records each file as a
 * rename. A failure here never stops the write that was asked for (doctor reports orphans).
 */
async function followMoves(w: StoreWrite): Promise<{ moves: Move[]; gitError?: KeyzError }> {
  let moves: Move[];
  try {
    moves = await adoptMovedSidecars(w.storeDir);
  } catch (e) {
    // A file-system or sidecar problem (a refused link, a full disk): the write goes on.
    const fsError = Object.values(Deno.errors).some((c) => e instanceof c);
    if (!(e instanceof KeyzError) && !fsError) throw e;
    return { moves: [] };
  }
  if (moves.length === 0) return { moves };
  try {
    await recordChanges(w.storeDir, w.gitMode, movesMessage(moves), { note: w.note });
    return { moves };
  } catch (e) {
    if (!(e instanceof KeyzError)) throw e;
    return { moves, gitError: e };
  }
}

async function lockOrWait(w: StoreWrite) {
  let told = false;
  for (;;) {
    try {
      const lock = await acquireLock(w.storeDir, w.what, { warn: w.warn });
      if (told) w.wait?.onWaited?.();
      return lock;
    } catch (e) {
      if (!(e instanceof KeyzError) || e.code !== "locked" || !w.wait) throw e;
      if (w.wait.signal?.aborted) throw e;
      if (!told) {
        told = true;
        w.wait.onWait(await lockHolder(w.storeDir) ?? "another keyz");
      }
      await new Promise((r) => setTimeout(r, w.wait!.pollMs ?? 500));
    }
  }
}
