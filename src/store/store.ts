/**
 * The pass store behind a small interface: a real one (files + `pass show`) and an in-memory
 * one for unit tests. Listing never decrypts; keyz never writes a .gpg file.
 */
import type { SecretEntry } from "./secret.ts";
import { parseEntry } from "./secret.ts";
import { KeyzError } from "../errors.ts";
import type { Ownership } from "./recipients.ts";

/** The one wording for a missing store, wherever keyz finds it missing. */
export function noStoreError(dir: string): KeyzError {
  let isFile = false;
  try {
    isFile = !Deno.statSync(dir).isDirectory;
  } catch { /* missing */ }
  return new KeyzError(
    "store",
    isFile ? `${dir} is a file, not a password store folder` : `no password store at ${dir}`,
    "set PASSWORD_STORE_DIR or create one with `pass init <gpg-id>`",
  );
}

/** The file of an entry: `<root>/<path>.gpg` (a path from listing or normalizePassPath). */
export function entryFile(root: string, path: string): string {
  return `${root}/${path}.gpg`;
}

/**
 * One folder of a store, without decrypting: its sub-folders and its entries (`*.gpg` files, or
 * links to files, named without the extension). Dot-folders and dot-files are not part of it.
 */
export function readStoreFolder(abs: string): { dirs: string[]; entries: string[] } {
  const dirs: string[] = [], entries: string[] = [];
  for (const e of Deno.readDirSync(abs)) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory) dirs.push(e.name);
    else if (
      e.name.endsWith(".gpg") && (e.isFile || (e.isSymlink && isFile(`${abs}/${e.name}`)))
    ) entries.push(e.name.slice(0, -4));
  }
  return { dirs, entries };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

export interface PassStore {
  /** Absolute store directory. */
  readonly root: string;
  /** Every entry path (without .gpg), sorted; dot-directories are skipped. */
  list(): Promise<string[]>;
  /** Whether an entry exists, without decrypting it. */
  exists(path: string): Promise<boolean>;
  /** Decrypt one entry through `pass show`; a DecryptError when pass cannot. */
  show(path: string): Promise<SecretEntry>;
  /** sha256 (hex) of the entry's encrypted file, or undefined when it cannot be read. */
  fileSha256(path: string): Promise<string | undefined>;
  /** Whether entries are encrypted for a key we hold, told without decrypting (recipients.ts). */
  ownership(path: string): Ownership;
}

/**
 * `pass show` failed. `notYours`: gpg holds no secret key for any recipient of the entry (a
 * teammate's entry in a shared store): not a failure of keyz or of the key.
 */
export class DecryptError extends KeyzError {
  readonly notYours: boolean;
  constructor(path: string, why: string, notYours: boolean) {
    super(
      "store",
      `pass show ${path} failed: ${why}`,
      notYours
        ? "the entry is encrypted for someone else's key"
        : "check that gpg can decrypt the store (gpg-agent, GNUPGHOME)",
    );
    this.notYours = notYours;
  }
}

/**
 * How many `pass show` run at once (sync, discover): decryption is CPU work, one gpg per entry,
 * and each also waits on gpg-agent, so two per core keep the CPU busy (deno task bench).
 */
export function decryptionWidth(): number {
  return 2 * Math.max(1, navigator.hardwareConcurrency ?? 1);
}

export async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** An in-memory store for unit tests. */
export class MemoryStore implements PassStore {
  readonly root: string;
  readonly #entries: Map<string, string>;
  readonly shown: string[] = [];
  constructor(entries: Record<string, string>, root = "/memory-store") {
    this.#entries = new Map(Object.entries(entries));
    this.root = root;
  }
  list(): Promise<string[]> {
    return Promise.resolve([...this.#entries.keys()].sort());
  }
  exists(path: string): Promise<boolean> {
    return Promise.resolve(this.#entries.has(path));
  }
  show(path: string): Promise<SecretEntry> {
    const text = this.#entries.get(path);
    if (text === undefined) {
      return Promise.reject(new KeyzError("path", `no such entry: ${path}`, "see `keyz ls`"));
    }
    if (text === MemoryStore.NOT_YOURS) {
      return Promise.reject(new DecryptError(path, "decryption failed: No secret key", true));
    }
    this.shown.push(path);
    return Promise.resolve(parseEntry(text));
  }
  /** An entry's content that stands for "encrypted for someone else". */
  static readonly NOT_YOURS = "\0not yours\0";
  ownership(path: string): Ownership {
    return this.#entries.get(path) === MemoryStore.NOT_YOURS ? "not_yours" : "yours";
  }
  fileSha256(path: string): Promise<string | undefined> {
    const text = this.#entries.get(path);
    return text === undefined
      ? Promise.resolve(undefined)
      : sha256Hex(new TextEncoder().encode(text));
  }
}
