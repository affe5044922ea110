/** The real store: a directory of .gpg files, decrypted only through `pass show`. */
import {
  DecryptError,
  entryFile,
  noStoreError,
  type PassStore,
  readStoreFolder,
  sha256Hex,
} from "./store.ts";
import {
  isNoSecretKeyError,
  type Ownership,
  ownershipOf,
  passGnupgHome,
  readSecretKeyring,
  recipientsOfFile,
  type SecretKeyring,
} from "./recipients.ts";
import { parseEntry, type SecretEntry } from "./secret.ts";
import { KeyzError } from "../errors.ts";
import { childEnv } from "../env.ts";
import { runProcess } from "../util/process.ts";

function walk(root: string, rel: string, out: string[]): void {
  const { dirs, entries } = readStoreFolder(rel ? `${root}/${rel}` : root);
  for (const name of entries) out.push(rel ? `${rel}/${name}` : name);
  for (const d of dirs) walk(root, rel ? `${rel}/${d}` : d, out);
}

/**
 * pass runs `export GPG_TTY="${GPG_TTY:-$(tty)}"`; with stdin /dev/null (as keyz runs it)
 * that is "not a tty". Giving that value up front is the same to gpg and saves starting
 * `tty` once per key: 8% of decryption time over 200 keys. A GPG_TTY the user has set is
 * passed on unchanged.
 */
const NOT_A_TTY = "not a tty";

export class PassCliStore implements PassStore {
  readonly root: string;
  /** Extra environment for `pass` (the demo's throwaway GNUPGHOME). */
  readonly #env: Record<string, string>;
  constructor(root: string, env: Record<string, string> = {}) {
    this.root = root;
    this.#env = env;
  }

  async list(): Promise<string[]> {
    const out: string[] = [];
    try {
      await Promise.resolve();
      walk(this.root, "", out);
    } catch (e) {
      throw e instanceof Deno.errors.NotFound ? noStoreError(this.root) : e;
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

  #keyring: SecretKeyring | undefined | null = null;

  /** Told from the entry's recipients and the keys gpg-agent holds; never decrypts. */
  ownership(path: string): Ownership {
    if (this.#keyring === null) {
      const home = passGnupgHome(this.#env);
      this.#keyring = home === undefined ? undefined : readSecretKeyring(home);
    }
    return ownershipOf(recipientsOfFile(entryFile(this.root, path)), this.#keyring);
  }

  async show(path: string): Promise<SecretEntry> {
    // gpg's "No secret key" is matched in English (libgpg-error translates it otherwise).
    const env = childEnv({ ...this.#env, PASSWORD_STORE_DIR: this.root, LANGUAGE: "en" });
    env.GPG_TTY ??= NOT_A_TTY;
    const r = await runProcess("pass", ["show", "--", path], { env });
    if (r.code !== 0) {
      const why = r.stderr.split("\n").find((l) => l.trim() !== "")?.trim() ?? `exit ${r.code}`;
      throw new DecryptError(path, why.slice(0, 200), isNoSecretKeyError(r.stderr));
    }
    return parseEntry(r.stdout);
  }

  async fileSha256(path: string): Promise<string | undefined> {
    try {
      return await sha256Hex(await Deno.readFile(`${this.root}/${path}.gpg`));
    } catch {
      return undefined;
    }
  }

  /**
   * `pass show -c`: pass puts the key on the clipboard (xclip / wl-copy) and clears it after
   * PASSWORD_STORE_CLIP_TIME. The key never passes through keyz. Not runProcess: the clipboard
   * tool pass starts keeps serving in the background with pass's stdout/stderr, so waiting for
   * those pipes to close would hang until the clipboard is cleared; wait for pass itself.
   */
  async copy(path: string): Promise<void> {
    const child = new Deno.Command("pass", {
      args: ["show", "-c", "--", path],
      env: childEnv({ ...this.#env, PASSWORD_STORE_DIR: this.root }),
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const status = await child.status;
    const reader = child.stderr.getReader();
    let stderr = "";
    const dec = new TextDecoder();
    for (;;) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const chunk = await Promise.race([
        reader.read(),
        new Promise<undefined>((res) => timer = setTimeout(() => res(undefined), 50)),
      ]);
      clearTimeout(timer);
      if (!chunk || chunk.done) break;
      stderr += dec.decode(chunk.value);
    }
    await reader.cancel().catch(() => {});
    if (status.code !== 0) {
      const why = stderr.split("\n").find((l) => l.trim() !== "")?.trim() ?? `exit ${status.code}`;
      throw new KeyzError(
        "store",
        `pass show -c ${path} failed: ${why.slice(0, 200)}`,
        "check that gpg can decrypt the store and a clipboard tool (xclip, wl-copy) works",
      );
    }
  }
}
