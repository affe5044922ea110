/**
 * The sidecar layout and its read/write operations (see schema.ts for the file formats).
 * Look-up from a pass path is direct: keys/<path>.json, then the account file it names.
 */
import {
  type AccountSidecar,
  AccountSidecar as AccountSchema,
  HistoryLine,
  type KeySidecar,
  KeySidecar as KeySchema,
  MapFile,
  type Mapping,
  SCHEMA_VERSION,
} from "./schema.ts";
import {
  appendLine,
  parseJsonText,
  quarantine,
  readKeyzText,
  type ReadResult,
  readSidecarText,
  stableJson,
  writeAtomic,
} from "./files.ts";
import { type KeyzError, StoreFileError } from "../errors.ts";
import { passPathProblem } from "../store/path.ts";
import type { z } from "zod";
import { migrating } from "./migrate.ts";
import { resolveConflictedJson } from "./conflict.ts";
import { accountId, paths } from "./layout.ts";
import { entryFile } from "../store/store.ts";
import { fileSha256Hex } from "../util/hash.ts";

// Readers accept older formats (migrate.ts) and files git left conflicted (conflict.ts).
const AccountRead = migrating("account", AccountSchema);
const KeyRead = migrating("key", KeySchema);
const MapRead = migrating("map", MapFile);

export { accountId, paths };

export class Sidecars {
  readonly storeDir: string;
  constructor(storeDir: string) {
    this.storeDir = storeDir;
  }

  /** Read a JSON sidecar; a file with git conflict markers reads as its repaired value. */
  async read<T>(rel: string, schema: z.ZodType<T>): Promise<ReadResult<T>> {
    await Promise.resolve();
    return this.readSync(rel, schema);
  }

  /**
   * The synchronous form (small files; many of them when the snapshot is rebuilt). `listed`:
   * found by listing real folders (see readKeyzText).
   */
  readSync<T>(rel: string, schema: z.ZodType<T>, listed = false): ReadResult<T> {
    const file = `${this.storeDir}/${rel}`;
    const text = readSidecarText(this.storeDir, rel, { listed });
    if (typeof text !== "string") return text;
    const r = parseJsonText(text, file, schema);
    if (r.ok) return r;
    const repaired = resolveConflictedJson(text);
    if (repaired === undefined) return r;
    return parseJsonText(JSON.stringify(repaired), file, schema);
  }

  /** The explicit mappings; a bad one is left out (see readMapChecked). */
  async readMap(): Promise<Record<string, Mapping>> {
    return (await this.readMapChecked()).map;
  }

  /**
   * The explicit mappings, and a line for each one left out: map.json comes from whoever
   * pushed the store, so its paths (keys and `credential`) must be pass paths by the command
   * line's rules before they can name a file.
   */
  async readMapChecked(): Promise<{ map: Record<string, Mapping>; skipped: string[] }> {
    const r = await this.read(paths.map, MapRead);
    if (!r.ok) {
      if (r.missing) return { map: {}, skipped: [] };
      throw r.error;
    }
    const map: Record<string, Mapping> = {};
    const skipped: string[] = [];
    for (const [path, m] of Object.entries(r.value.keys)) {
      const problem = passPathProblem(path) ??
        (m.credential === undefined ? undefined : credentialProblem(m.credential));
      if (problem) {
        skipped.push(`${paths.map}: mapping ${JSON.stringify(path)} skipped: ${problem}`);
      } else map[path] = m;
    }
    return { map, skipped };
  }

  async writeMap(keys: Record<string, Mapping>): Promise<void> {
    await writeAtomic(
      this.storeDir,
      paths.map,
      stableJson({ schema_version: SCHEMA_VERSION, keys }),
    );
  }

  async readKey(path: string): Promise<ReadResult<KeySidecar>> {
    await Promise.resolve();
    return this.readKeySync(path);
  }

  /**
   * A key sidecar by its pass path. Its `path` field is the file's own location, whatever the
   * file says (a field inside a file never decides where keyz writes).
   */
  readKeySync(path: string, listed = false): ReadResult<KeySidecar> {
    const r = located(() => this.readSync(paths.key(path), KeyRead, listed));
    return r.ok ? { ok: true, value: { ...r.value, path } } : r;
  }

  /**
   * Write a key sidecar. It records the sha256 of the entry's .gpg file as it is now, whoever
   * writes it (sync, edit, the browser), so a `pass mv` can be followed (moves.ts).
   */
  async writeKey(k: KeySidecar): Promise<void> {
    const sha = fileSha256Hex(entryFile(this.storeDir, k.path));
    await writeAtomic(
      this.storeDir,
      paths.key(k.path),
      stableJson(sha ? { ...k, gpg_sha256: sha } : k),
    );
  }

  async readAccount(id: string): Promise<ReadResult<AccountSidecar>> {
    await Promise.resolve();
    return this.readAccountSync(id);
  }

  /** An account sidecar by its id; its `account` field is the id it was read by. */
  readAccountSync(id: string, listed = false): ReadResult<AccountSidecar> {
    const r = located(() => this.readSync(paths.account(id), AccountRead, listed));
    return r.ok ? { ok: true, value: { ...r.value, account: id } } : r;
  }

  async writeAccount(a: AccountSidecar): Promise<void> {
    await writeAtomic(this.storeDir, paths.account(a.account), stableJson(a));
  }

  async appendHistory(path: string, line: HistoryLine): Promise<void> {
    await appendLine(this.storeDir, paths.history(path), JSON.stringify(HistoryLine.parse(line)));
  }

  /** Every valid history line of a key, oldest first; broken lines are skipped. */
  async readHistory(path: string): Promise<HistoryLine[]> {
    await Promise.resolve();
    const text = readKeyzText(this.storeDir, paths.history(path));
    if (text === undefined) return [];
    const out: HistoryLine[] = [];
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const r = HistoryLine.safeParse(JSON.parse(line));
        if (r.success) out.push(r.data);
      } catch { /* a torn or hand-broken line: skip it */ }
    }
    return out.sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Move a broken sidecar aside so it can be rebuilt; returns where it went. */
  quarantine(rel: string): Promise<string> {
    return quarantine(this.storeDir, rel);
  }
}

/** A read whose location is refused (a name from data that is no pass path) reads as broken. */
function located<T>(read: () => ReadResult<T>): ReadResult<T> {
  try {
    return read();
  } catch (e) {
    if (e instanceof StoreFileError) return { ok: false, missing: false, error: e };
    throw e;
  }
}

function credentialProblem(credential: string): string | undefined {
  const problem = passPathProblem(credential);
  return problem && `credential ${JSON.stringify(credential)}: ${problem}`;
}

export type { KeyzError, ReadResult };
