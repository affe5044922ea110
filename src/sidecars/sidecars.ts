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
  readJsonSync,
  type ReadResult,
  stableJson,
  writeAtomic,
} from "./files.ts";
import type { KeyzError } from "../errors.ts";
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

  /** The synchronous form (small files; many of them when the snapshot is rebuilt). */
  readSync<T>(rel: string, schema: z.ZodType<T>): ReadResult<T> {
    const r = readJsonSync(this.storeDir, rel, schema);
    if (r.ok || r.missing) return r;
    let text = "";
    try {
      text = Deno.readTextFileSync(`${this.storeDir}/${rel}`);
    } catch { /* unreadable: report the first error */ }
    const repaired = resolveConflictedJson(text);
    if (repaired === undefined) return r;
    return parseJsonText(JSON.stringify(repaired), `${this.storeDir}/${rel}`, schema);
  }

  async readMap(): Promise<Record<string, Mapping>> {
    const r = await this.read(paths.map, MapRead);
    if (r.ok) return r.value.keys;
    if (r.missing) return {};
    throw r.error;
  }

  async writeMap(keys: Record<string, Mapping>): Promise<void> {
    await writeAtomic(
      this.storeDir,
      paths.map,
      stableJson({ schema_version: SCHEMA_VERSION, keys }),
    );
  }

  readKey(path: string): Promise<ReadResult<KeySidecar>> {
    return this.read(paths.key(path), KeyRead);
  }

  readKeySync(path: string): ReadResult<KeySidecar> {
    return this.readSync(paths.key(path), KeyRead);
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

  readAccount(id: string): Promise<ReadResult<AccountSidecar>> {
    return this.read(paths.account(id), AccountRead);
  }

  readAccountSync(id: string): ReadResult<AccountSidecar> {
    return this.readSync(paths.account(id), AccountRead);
  }

  async writeAccount(a: AccountSidecar): Promise<void> {
    await writeAtomic(this.storeDir, paths.account(a.account), stableJson(a));
  }

  async appendHistory(path: string, line: HistoryLine): Promise<void> {
    await appendLine(this.storeDir, paths.history(path), JSON.stringify(HistoryLine.parse(line)));
  }

  /** Every valid history line of a key, oldest first; broken lines are skipped. */
  async readHistory(path: string): Promise<HistoryLine[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(`${this.storeDir}/${paths.history(path)}`);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
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

export type { KeyzError, ReadResult };
