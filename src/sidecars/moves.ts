/**
 * Following `pass mv`: pass moves an entry's .gpg file and leaves keyz's sidecars behind. It
 * keeps the ciphertext byte for byte when the recipients do not change, and every key sidecar
 * records the sha256 of its entry's .gpg file (`gpg_sha256`), so an orphaned key sidecar (its
 * entry is gone) whose hash matches exactly one entry without a key sidecar has found where its
 * key went. Its key sidecar, history, account (when the account is named after the key's path)
 * and explicit mapping move there; the untracked attempt records follow too.
 *
 * `adoptMovedSidecars` runs inside every store write (src/git/store_write.ts), so whatever
 * command writes next (sync, map, edit, the browser) does it, and commits it on its own, as a
 * rename. Reading is cheap when nothing moved: the key sidecars are listed and each entry file
 * stat-ed; only when an orphan exists are the entries without a key sidecar hashed.
 */
import { accountId, paths } from "./layout.ts";
import { KEYZ_DIR, listKeyzFiles, removeEmptyKeyzFolders, renameKeyzFile } from "./files.ts";
import { readState, writeState } from "./state.ts";
import type { KeySidecar } from "./schema.ts";
import { Sidecars } from "./sidecars.ts";
import { entryFile, readStoreFolder } from "../store/store.ts";
import { fileSha256Hex } from "../util/hash.ts";

/** A key sidecar whose entry is gone. */
export interface Orphan {
  path: string;
  /** The recorded sha256 of the entry's .gpg file (undefined: recorded before keyz kept it). */
  gpgSha256?: string;
  /** Entries without a key sidecar whose .gpg file has that sha256. */
  matches: string[];
}

export interface Move {
  from: string;
  to: string;
}

/** Pass paths that have a key sidecar (`.keyz/keys/<path>.json`), unsorted. */
function keySidecarPaths(storeDir: string): string[] {
  return listKeyzFiles(storeDir, `${KEYZ_DIR}/keys`, ".json").map((f) => f.slice(0, -5));
}

function isEntry(storeDir: string, path: string): boolean {
  try {
    return Deno.statSync(entryFile(storeDir, path)).isFile;
  } catch {
    return false;
  }
}

function entries(storeDir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const { dirs, entries } = readStoreFolder(rel ? `${storeDir}/${rel}` : storeDir);
    for (const name of entries) out.push(rel ? `${rel}/${name}` : name);
    for (const d of dirs) walk(rel ? `${rel}/${d}` : d);
  };
  walk("");
  return out;
}

/**
 * Every orphaned key sidecar, with the entries its recorded hash matches. No orphan: nothing
 * is hashed. Otherwise only entries without a key sidecar are (a moved entry has none yet).
 */
export function findOrphans(
  storeDir: string,
  hash: (file: string) => string | undefined = fileSha256Hex,
): Orphan[] {
  const withSidecar = keySidecarPaths(storeDir);
  const gone = withSidecar.filter((p) => !isEntry(storeDir, p));
  if (gone.length === 0) return [];
  const sidecars = new Sidecars(storeDir);
  const orphans: Orphan[] = gone.sort().map((path) => {
    const r = sidecars.readKeySync(path);
    const sha = r.ok ? r.value.gpg_sha256 : undefined;
    return { path, ...(sha ? { gpgSha256: sha } : {}), matches: [] };
  });
  const wanted = new Map<string, Orphan[]>();
  for (const o of orphans) {
    if (o.gpgSha256) wanted.set(o.gpgSha256, [...wanted.get(o.gpgSha256) ?? [], o]);
  }
  if (wanted.size === 0) return orphans;
  const have = new Set(withSidecar);
  let all: string[];
  try {
    all = entries(storeDir);
  } catch {
    return orphans;
  }
  for (const path of all.sort()) {
    if (have.has(path)) continue;
    const sha = hash(entryFile(storeDir, path));
    for (const o of (sha && wanted.get(sha)) || []) o.matches.push(path);
  }
  return orphans;
}

/** The orphans that can be moved: one match, and no other orphan with the same hash. */
export function movesOf(orphans: readonly Orphan[]): Move[] {
  const bySha = Map.groupBy(orphans.filter((o) => o.gpgSha256), (o) => o.gpgSha256!);
  return orphans.filter((o) => o.matches.length === 1 && bySha.get(o.gpgSha256!)!.length === 1)
    .map((o) => ({ from: o.path, to: o.matches[0] }));
}

/** Rename a sidecar and remove the folders the move emptied, up to its kind's (keys/, ...). */
function renameInside(storeDir: string, from: string, to: string): boolean {
  if (!renameKeyzFile(storeDir, from, to)) return false;
  removeEmptyKeyzFolders(storeDir, from, 2);
  return true;
}

/** Move one key's sidecars, history, account and mapping from `m.from` to `m.to`. */
async function applyMove(sidecars: Sidecars, m: Move): Promise<void> {
  const storeDir = sidecars.storeDir;
  const r = sidecars.readKeySync(m.from);
  if (!r.ok) return;
  const key: KeySidecar = r.value;
  const oldAccount = key.provider ? accountId(key.provider, m.from) : undefined;
  // An account named after the key's path moves with it; a credential's (`provider/@cred`)
  // is shared with other keys and stays.
  const moveAccount = oldAccount !== undefined && key.account === oldAccount;
  const newAccount = moveAccount ? accountId(key.provider!, m.to) : key.account;
  if (moveAccount) {
    const acc = sidecars.readAccountSync(oldAccount);
    if (acc.ok) {
      renameInside(storeDir, paths.account(oldAccount), paths.account(newAccount!));
      await sidecars.writeAccount({ ...acc.value, account: newAccount! });
    }
  }
  renameInside(storeDir, paths.history(m.from), paths.history(m.to));
  renameInside(storeDir, paths.key(m.from), paths.key(m.to));
  await sidecars.writeKey({
    ...key,
    path: m.to,
    ...(newAccount !== undefined ? { account: newAccount } : {}),
  });
  const map = await sidecars.readMap().catch(() => undefined);
  if (map?.[m.from] && !map[m.to]) {
    map[m.to] = map[m.from];
    delete map[m.from];
    await sidecars.writeMap(map);
  }
  const state = readState(storeDir);
  let changed = false;
  if (moveAccount && state.accounts[oldAccount]) {
    state.accounts[newAccount!] = state.accounts[oldAccount];
    delete state.accounts[oldAccount];
    changed = true;
  }
  if (state.entries[m.from]) {
    state.entries[m.to] = state.entries[m.from];
    delete state.entries[m.from];
    changed = true;
  }
  if (changed) await writeState(storeDir, state);
}

/**
 * Move the sidecars of every entry `pass mv` moved (see the module comment). Call holding the
 * store lock. Returns the moves made; orphans it cannot match are left for `keyz doctor`.
 */
export async function adoptMovedSidecars(storeDir: string): Promise<Move[]> {
  const moves = movesOf(findOrphans(storeDir));
  const sidecars = new Sidecars(storeDir);
  for (const m of moves) await applyMove(sidecars, m);
  return moves;
}

/** "keyz: follow pass mv: web/a -> web/b": the commit message of the moves. */
export function movesMessage(moves: readonly Move[]): string {
  const shown = moves.slice(0, 3).map((m) => `${m.from} -> ${m.to}`);
  if (moves.length > 3) shown.push(`and ${moves.length - 3} more`);
  return `keyz: follow pass mv: ${shown.join(", ")}`;
}
