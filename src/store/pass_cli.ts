/** The real store: a directory of .gpg files, decrypted only through `pass show`. */
import type { PassStore } from "./store.ts";
import { parseEntry, type SecretEntry } from "./secret.ts";
import { KeyzError } from "../errors.ts";
import { childEnv } from "../env.ts";
import { runProcess } from "../util/process.ts";

async function walk(root: string, rel: string, out: string[]): Promise<void> {
  const dir = rel ? `${root}/${rel}` : root;
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    const path = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory) await walk(root, path, out);
    else if (e.isFile && e.name.endsWith(".gpg")) out.push(path.slice(0, -4));
    else if (e.isSymlink) {
      const st = await Deno.stat(`${root}/${path}`).catch(() => undefined);
      if (st?.isFile && e.name.endsWith(".gpg")) out.push(path.slice(0, -4));
    }
  }
}

export class PassCliStore implements PassStore {
  readonly root: string;
  constructor(root: string) {
    this.root = root;
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    try {
      await walk(this.root, "", out);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) {
        throw new KeyzError(
          "store",
          `no password store at ${this.root}`,
          "set PASSWORD_STORE_DIR or run `pass init <gpg-id>`",
        );
      }
      throw e;
    }
    return out.sort();
  }

  async exists(path: string): Promise<boolean> {
    try {
      return (await Deno.stat(`${this.root}/${path}.gpg`)).isFile;
    } catch {
      return false;
    }
  }

  async show(path: string): Promise<SecretEntry> {
    const r = await runProcess("pass", ["show", "--", path], {
      env: childEnv({ PASSWORD_STORE_DIR: this.root }),
    });
    if (r.code !== 0) {
      const why = r.stderr.split("\n").find((l) => l.trim() !== "")?.trim() ?? `exit ${r.code}`;
      throw new KeyzError(
        "store",
        `pass show ${path} failed: ${why.slice(0, 200)}`,
        "check that gpg can decrypt the store (gpg-agent, GNUPGHOME)",
      );
    }
    return parseEntry(r.stdout);
  }
}
