// Throwaway `pass` stores for tests: a real gpg key, a real `pass`, optionally a real git repo.
//
// The key is generated once per test process (ed25519/cv25519: ~30 ms, against ~2 s for RSA)
// into a template GNUPGHOME, and each store gets its own copy, so its own gpg-agent.
import { join, relative } from "node:path";

export interface StoreOptions {
  /** Run `pass git init` (with user.name/email configured in the repo). Default false. */
  git?: boolean;
  /** Entries to insert: pass path (no `.gpg`) -> multi-line content (first line = key). */
  entries?: Record<string, string>;
}

export interface PassResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestStore {
  /** The temp dir holding everything below (removed by cleanup). */
  dir: string;
  /** PASSWORD_STORE_DIR. */
  storeDir: string;
  /** GNUPGHOME (mode 700). */
  gnupgHome: string;
  /** Fingerprint of the store's key (the content of .gpg-id). */
  fingerprint: string;
  /** Whether the store is a git repository. */
  git: boolean;
  /**
   * The environment a user of this store would have: HOME, PATH, GNUPGHOME,
   * PASSWORD_STORE_DIR, XDG_CONFIG_HOME, LANG, GIT_AUTHOR_*, GIT_COMMITTER_*.
   * Pass it as is to runKeyz (add KEYZ_* etc. with a spread).
   */
  env: Record<string, string>;
  /** `pass insert -m -f <path>` with `content` on stdin, exactly as given. */
  insert(path: string, content: string): Promise<void>;
  /** `pass show <path>`; throws if pass fails. */
  show(path: string): Promise<string>;
  /** Run `pass <args>` with the store's env; never throws on a non-zero exit. */
  pass(args: string[], stdin?: string): Promise<PassResult>;
  /** Run `git -C <storeDir> <args>` with the store's env; never throws. */
  gitRun(args: string[]): Promise<PassResult>;
  /** sha256 (hex) of every .gpg file below storeDir (skipping .git), keyed by relative path. */
  snapshotSecrets(): Promise<Map<string, string>>;
  /** Kill the gpg-agent of this GNUPGHOME and remove `dir`. Idempotent. */
  cleanup(): Promise<void>;
}

export const GIT_NAME = "keyz test";
export const GIT_EMAIL = "keyz@example.invalid";
const UID = `${GIT_NAME} <${GIT_EMAIL}>`;
const DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

async function run(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: { stdin?: string; cwd?: string } = {},
): Promise<PassResult> {
  const child = new Deno.Command(cmd, {
    args,
    env,
    clearEnv: true,
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(encoder.encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

async function runOk(
  cmd: string,
  args: string[],
  env: Record<string, string>,
  opts: { stdin?: string; cwd?: string } = {},
): Promise<PassResult> {
  const r = await run(cmd, args, env, opts);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// One key per process.

interface Template {
  home: string;
  fingerprint: string;
}

let template: Promise<Template> | undefined;
const live = new Set<{ dir: string; gnupgHome: string }>();

function killAgentSync(gnupgHome: string): void {
  try {
    new Deno.Command("gpgconf", {
      args: ["--kill", "gpg-agent"],
      env: { GNUPGHOME: gnupgHome, PATH: Deno.env.get("PATH") ?? DEFAULT_PATH },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).outputSync();
  } catch { /* gpgconf missing: nothing to kill */ }
}

// Safety net for tests that forget cleanup(): no stray agents or temp dirs after the run.
globalThis.addEventListener("unload", () => {
  for (const s of live) {
    killAgentSync(s.gnupgHome);
    try {
      Deno.removeSync(s.dir, { recursive: true });
    } catch { /* already gone */ }
  }
  live.clear();
  if (templateHome) {
    try {
      Deno.removeSync(templateHome, { recursive: true });
    } catch { /* already gone */ }
  }
});
let templateHome: string | undefined;

async function makeTemplate(): Promise<Template> {
  const home = await Deno.makeTempDir({ prefix: "keyz-gpgtpl-" });
  templateHome = home;
  await Deno.chmod(home, 0o700);
  const env = { GNUPGHOME: home, PATH: Deno.env.get("PATH") ?? DEFAULT_PATH, LANG: "C.UTF-8" };
  const gen = (algo: string) =>
    run("gpg", [
      "--batch",
      "--pinentry-mode",
      "loopback",
      "--passphrase",
      "",
      "--quick-gen-key",
      UID,
      algo,
      "default",
      "never",
    ], env);
  let r = await gen("future-default"); // ed25519 + cv25519 subkey: fast
  if (r.code !== 0) r = await gen("default"); // RSA 3072: ~2 s
  if (r.code !== 0) throw new Error(`gpg --quick-gen-key failed: ${r.stderr}`);
  const list = await runOk("gpg", ["--batch", "--with-colons", "--list-secret-keys"], env);
  const fpr = list.stdout.split("\n").find((l) => l.startsWith("fpr:"))?.split(":")[9];
  if (!fpr) throw new Error(`no fingerprint in gpg output:\n${list.stdout}`);
  // The agent that generated the key is not needed; each copy starts its own.
  await run("gpgconf", ["--kill", "gpg-agent"], env);
  return { home, fingerprint: fpr };
}

/** Copy a GNUPGHOME without the agent's sockets. */
async function copyGnupgHome(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { mode: 0o700 });
  await Deno.chmod(to, 0o700);
  for await (const e of Deno.readDir(from)) {
    if (e.name.startsWith("S.") || e.name.endsWith(".lock") || e.name.startsWith(".#")) continue;
    const src = join(from, e.name);
    const dst = join(to, e.name);
    if (e.isDirectory) {
      await copyGnupgHome(src, dst);
    } else if (e.isFile) {
      await Deno.copyFile(src, dst);
      await Deno.chmod(dst, 0o600);
    }
  }
}

async function sha256Hex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", data);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function walkGpg(root: string, dir: string, out: Map<string, string>): Promise<void> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) {
      if (e.name === ".git") continue;
      await walkGpg(root, p, out);
    } else if (e.isFile && e.name.endsWith(".gpg")) {
      out.set(relative(root, p), await sha256Hex(await Deno.readFile(p)));
    }
  }
}

/** Create a fresh store (see TestStore). Always `await store.cleanup()` (e.g. in finally). */
export async function makeStore(opts: StoreOptions = {}): Promise<TestStore> {
  template ??= makeTemplate();
  let tpl: Template;
  try {
    tpl = await template;
  } catch (e) {
    template = undefined;
    throw e;
  }

  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "keyz-test-" }));
  const gnupgHome = join(dir, "gnupg");
  const storeDir = join(dir, "store");
  const home = join(dir, "home");
  const configHome = join(home, ".config");
  const record = { dir, gnupgHome };
  live.add(record);

  const env: Record<string, string> = {
    HOME: home,
    PATH: Deno.env.get("PATH") ?? DEFAULT_PATH,
    GNUPGHOME: gnupgHome,
    PASSWORD_STORE_DIR: storeDir,
    XDG_CONFIG_HOME: configHome,
    LANG: "C.UTF-8",
    GIT_AUTHOR_NAME: GIT_NAME,
    GIT_AUTHOR_EMAIL: GIT_EMAIL,
    GIT_COMMITTER_NAME: GIT_NAME,
    GIT_COMMITTER_EMAIL: GIT_EMAIL,
  };

  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await run("gpgconf", ["--kill", "gpg-agent"], env).catch(() => undefined);
    await Deno.remove(dir, { recursive: true }).catch(() => undefined);
    live.delete(record);
  };

  try {
    await copyGnupgHome(tpl.home, gnupgHome);
    await Deno.mkdir(configHome, { recursive: true });
    // A user-level git config inside the temp HOME: pass's own `git init`/commits see it.
    await Deno.writeTextFile(
      join(home, ".gitconfig"),
      `[user]\n\tname = ${GIT_NAME}\n\temail = ${GIT_EMAIL}\n[init]\n\tdefaultBranch = main\n` +
        `[commit]\n\tgpgsign = false\n`,
    );

    await runOk("pass", ["init", tpl.fingerprint], env);
    if (opts.git) {
      await runOk("pass", ["git", "init"], env);
      await runOk("git", ["-C", storeDir, "config", "user.name", GIT_NAME], env);
      await runOk("git", ["-C", storeDir, "config", "user.email", GIT_EMAIL], env);
    }

    const store: TestStore = {
      dir,
      storeDir,
      gnupgHome,
      fingerprint: tpl.fingerprint,
      git: !!opts.git,
      env,
      async insert(path, content) {
        await runOk("pass", ["insert", "-m", "-f", path], env, { stdin: content });
      },
      async show(path) {
        return (await runOk("pass", ["show", path], env)).stdout;
      },
      pass: (args, stdin) => run("pass", args, env, { stdin }),
      gitRun: (args) => run("git", ["-C", storeDir, ...args], env),
      async snapshotSecrets() {
        const out = new Map<string, string>();
        await walkGpg(storeDir, storeDir, out);
        return out;
      },
      cleanup,
    };

    for (const [path, content] of Object.entries(opts.entries ?? {})) {
      await store.insert(path, content);
    }
    return store;
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/**
 * Write many entries at once as .gpg files with one `gpg --multifile --encrypt`, then commit
 * them. `pass insert` per entry, or concurrent gpg processes fighting over the keyring lock,
 * take far longer for hundreds of entries.
 */
export async function writeEntries(
  store: TestStore,
  entries: Record<string, string>,
): Promise<void> {
  const plain: string[] = [];
  for (const [path, secret] of Object.entries(entries)) {
    const file = `${store.storeDir}/${path}`;
    await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(file, `${secret}\n`);
    plain.push(file);
  }
  const out = await new Deno.Command("gpg", {
    args: [
      "--batch",
      "--yes",
      "-q",
      "--trust-model",
      "always",
      "-r",
      store.fingerprint,
      "--multifile",
      "--encrypt",
      ...plain,
    ],
    env: store.env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  await Promise.all(plain.map((f) => Deno.remove(f)));
  if (!out.success) throw new Error(`gpg failed: ${new TextDecoder().decode(out.stderr)}`);
  await store.gitRun(["add", "-A"]);
  await store.gitRun(["commit", "-q", "-m", "test entries"]);
}

// ---------------------------------------------------------------------------------------------
// Team stores: another person's key, and more keys of our own.

/** A teammate of a store: see addTeammate. */
export interface Teammate {
  /** Fingerprint of the teammate's primary key (what a `.gpg-id` names). */
  fingerprint: string;
  /** The store folder whose `.gpg-id` names only the teammate. */
  teamFolder: string;
  /** The store folder whose `.gpg-id` names both the store's key and the teammate. */
  sharedFolder: string;
}

interface MateKey {
  fingerprint: string;
  /** The teammate's public key, armored, as they would hand it over. */
  publicKey: string;
}

let mateKey: Promise<MateKey> | undefined;

/** Generate a key with `gpg --quick-gen-key` in `env`'s GNUPGHOME; its fingerprint. */
async function generateKey(env: Record<string, string>, uid: string, algo: string) {
  await runOk("gpg", [
    "--batch",
    "--pinentry-mode",
    "loopback",
    "--passphrase",
    "",
    "--quick-gen-key",
    uid,
    algo,
    "default",
    "never",
  ], env);
  const list = await runOk("gpg", ["--batch", "--with-colons", "--list-keys", `=${uid}`], env);
  const fpr = list.stdout.split("\n").find((l) => l.startsWith("fpr:"))?.split(":")[9];
  if (!fpr) throw new Error(`no fingerprint in gpg output:\n${list.stdout}`);
  return fpr;
}

/**
 * The teammate's key pair is made once per process in a GNUPGHOME of its own, which is removed
 * right after: no store ever holds the teammate's secret key.
 */
async function makeMateKey(): Promise<MateKey> {
  const home = await Deno.makeTempDir({ prefix: "keyz-gpgmate-" });
  await Deno.chmod(home, 0o700);
  const env = { GNUPGHOME: home, PATH: Deno.env.get("PATH") ?? DEFAULT_PATH, LANG: "C.UTF-8" };
  try {
    const fingerprint = await generateKey(
      env,
      "keyz teammate <mate@example.invalid>",
      "future-default",
    );
    const pub = await runOk("gpg", ["--batch", "--armor", "--export", fingerprint], env);
    return { fingerprint, publicKey: pub.stdout };
  } finally {
    await run("gpgconf", ["--kill", "gpg-agent"], env).catch(() => undefined);
    await Deno.remove(home, { recursive: true }).catch(() => undefined);
  }
}

/**
 * Make `store` a team store, as `pass` users share one: import a teammate's public key into the
 * store's GNUPGHOME, trust it (so `pass` encrypts to it), and `pass init -p` a folder for the
 * teammate only (default `team`) and one for both (default `shared`). Entries inserted below
 * them afterwards are encrypted for those recipients.
 */
export async function addTeammate(
  store: TestStore,
  opts: { teamFolder?: string; sharedFolder?: string } = {},
): Promise<Teammate> {
  mateKey ??= makeMateKey();
  let mate: MateKey;
  try {
    mate = await mateKey;
  } catch (e) {
    mateKey = undefined;
    throw e;
  }
  await runOk("gpg", ["--batch", "--import"], store.env, { stdin: mate.publicKey });
  await runOk("gpg", ["--batch", "--import-ownertrust"], store.env, {
    stdin: `${mate.fingerprint}:6:\n`,
  });
  const teamFolder = opts.teamFolder ?? "team";
  const sharedFolder = opts.sharedFolder ?? "shared";
  await runOk("pass", ["init", "-p", teamFolder, mate.fingerprint], store.env);
  await runOk("pass", ["init", "-p", sharedFolder, store.fingerprint, mate.fingerprint], store.env);
  return { fingerprint: mate.fingerprint, teamFolder, sharedFolder };
}

let ownKeys = 0;

/**
 * One more key pair of the store's own user, generated in the store's GNUPGHOME (e.g. "default":
 * RSA-3072 with an RSA subkey, ~0.3-2 s). Its fingerprint, for `pass init -p <folder> <fpr>`.
 */
export function addOwnKey(store: TestStore, algo: string): Promise<string> {
  const n = ++ownKeys;
  return generateKey(store.env, `keyz own ${n} <own${n}@example.invalid>`, algo);
}
