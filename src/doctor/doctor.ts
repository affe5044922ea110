/**
 * `keyz doctor`: look at everything keyz depends on and say what to do about each problem;
 * with `fix`, repair what is safe (conflicted or broken sidecars, a stale keyz lock, the
 * .keyz git attributes). keyz may only spawn `pass` and `git`, so gpg is judged from the
 * outside: `pass` runs, GNUPGHOME holds secret keys, the store has a .gpg-id.
 */
import { childEnv, home } from "../env.ts";
import { KeyzError } from "../errors.ts";
import {
  ensureGitattributes,
  gitHealth,
  isGitRepo,
  repairConflicts,
  stageKeyzFiles,
  unmergedKeyzPaths,
} from "../git/git.ts";
import { formatProblem, loadProviders } from "../providers/load.ts";
import { untrustedProviders } from "../providers/trust.ts";
import { KEYZ_DIR, writeAtomic } from "../sidecars/files.ts";
import type { SidecarKind } from "../sidecars/migrate.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { paths, Sidecars } from "../sidecars/sidecars.ts";
import { baseStateOf, viewEntry, type ViewSources } from "../view/entries.ts";
import { fileSources } from "../view/file_sources.ts";
import { isKeyState } from "../view/judge.ts";
import { PassCliStore } from "../store/pass_cli.ts";
import { runProcess } from "../util/process.ts";
import { lockHolder } from "../sidecars/lock.ts";
import { findOrphans, movesOf } from "../sidecars/moves.ts";
import { type Check, judgeSidecar, mappingChecks } from "./checks.ts";

export interface DoctorOptions {
  storeDir: string;
  configDir: string;
  fix: boolean;
}

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

async function checkPass(): Promise<Check> {
  try {
    const r = await runProcess("pass", ["version"], { env: childEnv() });
    if (r.code === 0) {
      const v = /v\d+(\.\d+)+/.exec(r.stdout)?.[0] ?? "";
      return { id: "pass", status: "ok", message: `pass ${v} runs`.replace("  ", " ") };
    }
    return {
      id: "pass",
      status: "fail",
      message: `pass version exited ${r.code}`,
      hint: "check your pass installation",
    };
  } catch (e) {
    return {
      id: "pass",
      status: "fail",
      message: e instanceof KeyzError ? e.message : String(e),
      hint: "install pass (https://www.passwordstore.org), e.g. apt-get install pass",
    };
  }
}

async function checkGpg(storeDir: string): Promise<Check[]> {
  const out: Check[] = [];
  const gnupg = childEnv().GNUPGHOME ?? `${home()}/.gnupg`;
  let secretKeys = 0;
  try {
    for await (const e of Deno.readDir(`${gnupg}/private-keys-v1.d`)) if (e.isFile) secretKeys++;
  } catch { /* no folder: no keys */ }
  out.push(
    secretKeys > 0
      ? {
        id: "gpg",
        status: "ok",
        message: `${gnupg} holds ${secretKeys} secret key${secretKeys === 1 ? "" : "s"}`,
      }
      : {
        id: "gpg",
        status: "warn",
        message: `no gpg secret keys in ${gnupg}`,
        hint:
          "keyz decrypts through pass, which needs your gpg secret key: set GNUPGHOME or import the key (keyz cannot run gpg itself; try `pass show <entry>`)",
      },
  );
  const gpgId = await Deno.readTextFile(`${storeDir}/.gpg-id`).catch(() => undefined);
  const ids = (gpgId ?? "").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  out.push(
    ids.length
      ? { id: "gpg-id", status: "ok", message: `the store is encrypted for ${ids.join(", ")}` }
      : {
        id: "gpg-id",
        status: "fail",
        message: `${storeDir}/.gpg-id is ${gpgId === undefined ? "missing" : "empty"}`,
        hint: "run `pass init <gpg-id>`",
        file: ".gpg-id",
      },
  );
  return out;
}

async function checkGit(storeDir: string, fix: boolean): Promise<Check[]> {
  if (!(await isGitRepo(storeDir))) {
    return [{
      id: "git",
      status: "info",
      message: "the store is not a git repository: metadata history is kept in .keyz/history only",
      hint: "run `pass git init` to version keys and metadata",
    }];
  }
  const h = await gitHealth(storeDir);
  if (!h.version) {
    return [{
      id: "git",
      status: "fail",
      message: "the store is a git repository but git does not run",
      hint: "install git",
    }];
  }
  const out: Check[] = [{
    id: "git",
    status: "ok",
    message: `${h.version}${h.signing ? ", commits are signed" : ""}`,
  }];
  const env = childEnv();
  if (!h.identity && !env.GIT_AUTHOR_EMAIL) {
    out.push({
      id: "git",
      status: "warn",
      message: "git has no user.email for the store: keyz cannot commit",
      hint: `git -C ${storeDir} config user.email you@example.com`,
    });
  }
  if (h.indexLock) {
    out.push({
      id: "git",
      status: "warn",
      message: `${storeDir}/.git/index.lock exists: git (and keyz's commits) will fail`,
      hint: "if no git is running, remove .git/index.lock",
      file: ".git/index.lock",
    });
  }
  const unmerged = await unmergedKeyzPaths(storeDir);
  if (unmerged.length) {
    const c: Check = {
      id: "git-conflict",
      status: "warn",
      message: `conflicted keyz files after a merge: ${unmerged.join(", ")}`,
      hint: "run `keyz doctor --fix` (keeps the newest snapshot), then `git commit`",
    };
    if (fix) {
      const r = await repairConflicts(storeDir);
      await stageKeyzFiles(storeDir, r.repaired);
      if (r.failed.length === 0) {
        c.fixed = true;
        c.message = `repaired and staged conflicted keyz files: ${r.repaired.join(", ")}`;
        c.hint = h.merging ? "finish the merge with `git commit`" : undefined;
      } else c.message = `cannot repair conflicted files: ${r.failed.join(", ")}`;
    }
    out.push(c);
  } else if (h.merging) {
    out.push({
      id: "git",
      status: "info",
      message: "a merge is in progress in the store",
      hint: "finish it with `git commit` (keyz only commits outside a merge)",
    });
  }
  const attrs = await Deno.readTextFile(`${storeDir}/${KEYZ_DIR}/.gitattributes`).catch(() => "");
  const hasHistory = await exists(`${storeDir}/${KEYZ_DIR}/history`);
  if (hasHistory && !attrs.includes("history/** merge=union")) {
    const c: Check = {
      id: "git-attributes",
      status: "warn",
      message: `${KEYZ_DIR}/.gitattributes does not merge history files line by line`,
      hint: "run `keyz doctor --fix` or `keyz sync`",
    };
    if (fix) {
      await ensureGitattributes(storeDir);
      c.fixed = true;
    }
    out.push(c);
  }
  return out;
}

async function checkLock(storeDir: string, fix: boolean): Promise<Check[]> {
  const file = `${storeDir}/${KEYZ_DIR}/lock`;
  const text = await Deno.readTextFile(file).catch(() => undefined);
  if (text === undefined) return [];
  const [pidText, at] = text.trim().split(" ");
  const pid = Number(pidText);
  // The lock is an OS file lock: held means a live keyz; a file nobody holds is left over.
  if ((await lockHolder(storeDir)) !== undefined) {
    return [{
      id: "lock",
      status: "info",
      message: `keyz process ${pid} holds the store lock since ${at}`,
      file: `${KEYZ_DIR}/lock`,
    }];
  }
  const c: Check = {
    id: "lock",
    status: "warn",
    message: `stale keyz lock file (process ${pidText} is gone)`,
    hint: "run `keyz doctor --fix` or remove .keyz/lock",
    file: `${KEYZ_DIR}/lock`,
  };
  if (fix) {
    await Deno.remove(file).catch(() => {});
    c.fixed = true;
  }
  return [c];
}

async function listJson(storeDir: string, rel: string, out: string[]): Promise<void> {
  try {
    for await (const e of Deno.readDir(`${storeDir}/${rel}`)) {
      const child = `${rel}/${e.name}`;
      if (e.isDirectory) await listJson(storeDir, child, out);
      else if (e.isFile && e.name.endsWith(".json")) out.push(child);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/** Every key, account and map sidecar that does not read as the current format. */
async function checkSidecars(storeDir: string, fix: boolean): Promise<Check[]> {
  const files: [string, SidecarKind][] = [];
  if (await exists(`${storeDir}/${paths.map}`)) files.push([paths.map, "map"]);
  const keys: string[] = [];
  const accounts: string[] = [];
  await listJson(storeDir, `${KEYZ_DIR}/keys`, keys);
  await listJson(storeDir, `${KEYZ_DIR}/accounts`, accounts);
  files.push(...keys.sort().map((f): [string, SidecarKind] => [f, "key"]));
  files.push(...accounts.sort().map((f): [string, SidecarKind] => [f, "account"]));
  const out: Check[] = [];
  const sidecars = new Sidecars(storeDir);
  for (const [rel, kind] of files) {
    const text = await Deno.readTextFile(`${storeDir}/${rel}`);
    const v = judgeSidecar(kind, text, `${storeDir}/${rel}`);
    if (v.state === "ok") continue;
    if (v.state === "old") {
      const c: Check = {
        id: "sidecar",
        status: "info",
        message: `${rel} is in an older format (read and upgraded on the fly)`,
        hint: "`keyz doctor --fix` rewrites it in the current format",
        file: rel,
      };
      if (fix) {
        await writeAtomic(storeDir, rel, v.upgraded);
        c.fixed = true;
      }
      out.push(c);
    } else if (v.state === "conflicted") {
      const c: Check = {
        id: "sidecar",
        status: "warn",
        message: `${rel} has git conflict markers (readers use the newest side)`,
        hint: "run `keyz doctor --fix` to keep the newest snapshot",
        file: rel,
      };
      if (fix) {
        await writeAtomic(storeDir, rel, v.repaired);
        c.fixed = true;
      }
      out.push(c);
    } else {
      const c: Check = {
        id: "sidecar",
        status: "fail",
        message: v.message,
        hint: kind === "map"
          ? "fix the file by hand (it holds your explicit mappings), or move it aside and map again"
          : "run `keyz doctor --fix` to move it aside (the next `keyz sync` rebuilds it)",
        file: rel,
      };
      // map.json cannot be rebuilt from anywhere, so it is never moved aside automatically.
      if (fix && kind !== "map") {
        const dest = await sidecars.quarantine(rel);
        c.fixed = true;
        c.message = `${v.message}; moved aside to ${dest}`;
      }
      out.push(c);
    }
  }
  return out;
}

/** Run every check (and the safe repairs when `fix`), in a stable order. */
export async function runDoctor(opts: DoctorOptions): Promise<Check[]> {
  const { storeDir, fix } = opts;
  const checks: Check[] = [await checkPass()];
  const isStore = await Deno.stat(storeDir).then((s) => s.isDirectory, () => false);
  if (!isStore) {
    checks.push({
      id: "store",
      status: "fail",
      message: `no password store at ${storeDir}`,
      hint: "set PASSWORD_STORE_DIR or create one with `pass init <gpg-id>`",
    });
    return checks;
  }
  const store = new PassCliStore(storeDir);
  const entries = new Set(await store.list());
  checks.push({ id: "store", status: "ok", message: `${storeDir}: ${entries.size} entries` });
  checks.push(...await checkGpg(storeDir));
  checks.push(...await checkGit(storeDir, fix));
  checks.push(...await checkLock(storeDir, fix));
  checks.push(...await checkSidecars(storeDir, fix));
  checks.push(...orphanChecks(storeDir));

  const providers = await loadProviders({ userDir: `${opts.configDir}/providers`, storeDir });
  const byFile = Map.groupBy(providers.problems, (p) => p.file);
  for (const [file, problems] of byFile) {
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : "";
    checks.push({
      id: "manifest",
      status: "warn",
      message: `manifest does not load: ${formatProblem(problems[0])}${more}`,
      hint: `fix the file; see every problem with \`keyz providers check ${file}\``,
      file,
    });
  }
  for (const id of [...await untrustedProviders(providers, opts.configDir)].sort()) {
    const p = providers.providers.get(id)!;
    checks.push({
      id: "trust",
      status: "warn",
      message: `manifest ${p.file} (${id}) is not trusted: its keys are skipped`,
      hint: `read it, then \`keyz providers trust ${id}\``,
      file: p.file,
    });
  }
  let map: Record<string, Mapping> = {};
  try {
    map = await new Sidecars(storeDir).readMap();
  } catch { /* reported by checkSidecars */ }
  checks.push(...mappingChecks(map, entries, providers));
  let sources: ViewSources | undefined;
  try {
    sources = await fileSources(new Sidecars(storeDir), store, providers, opts.configDir);
  } catch { /* a broken map or config: reported above */ }
  if (sources) checks.push(...credentialChecks(sources, [...entries]));
  return checks;
}

/**
 * Key sidecars whose entry is gone (`pass mv`, `pass rm`): those that found their entry by its
 * ciphertext move with the next write; the others are named here, since keyz will not guess.
 */
function orphanChecks(storeDir: string): Check[] {
  const orphans = findOrphans(storeDir);
  const movable = new Map(movesOf(orphans).map((m) => [m.from, m.to]));
  const byHand = "if it was removed, delete its files in .keyz (keys, history); if it was moved, " +
    "`git mv` them to the new path";
  return orphans.map((o): Check => {
    const file = paths.key(o.path);
    const to = movable.get(o.path);
    if (to) {
      return {
        id: "orphan",
        status: "info",
        message:
          `${o.path} moved to ${to} (same ciphertext): the next keyz write moves its sidecars`,
        file,
      };
    }
    if (o.matches.length === 1) {
      return {
        id: "orphan",
        status: "warn",
        message: `${o.path} is gone; ${o.matches[0]} has its ciphertext, and so had another ` +
          "key whose entry is gone: keyz cannot tell whose it is",
        hint: byHand,
        file,
      };
    }
    if (o.matches.length > 1) {
      return {
        id: "orphan",
        status: "warn",
        message: `${o.path} is gone; ${o.matches.length} entries have its ciphertext (${
          o.matches.join(", ")
        }): keyz cannot tell which one it moved to`,
        hint: "`pass rm` the copy that is not the key, or `git mv` its files in .keyz by hand",
        file,
      };
    }
    return {
      id: "orphan",
      status: "warn",
      message: o.gpgSha256
        ? `${o.path} is gone and no entry has its ciphertext (removed, or moved and re-encrypted)`
        : `${o.path} is gone, and its sidecar predates the ciphertext record that follows moves`,
      hint: byHand,
      file,
    };
  });
}

/**
 * Keys whose provider needs a separate credential (admin or management key) and have none
 * linked. Without decrypting, keyz cannot tell whether the key is itself such a credential,
 * so this is a warning only when the last sync said the credential is missing.
 */
function credentialChecks(src: ViewSources, entries: string[]): Check[] {
  const out: Check[] = [];
  let others = 0;
  for (const path of entries.sort()) {
    const v = viewEntry(src, path);
    const r = v.recognition;
    if (r.kind !== "key" || !isKeyState(baseStateOf(v))) {
      others++;
      continue;
    }
    const mapping = {
      provider: r.provider,
      credential: r.how === "explicit" ? r.credential : undefined,
    };
    const need = v.provider?.manifest.credential;
    if (!need?.required || mapping.credential) continue;
    const missing = v.attempt?.error?.kind === "config";
    out.push({
      id: "credential",
      status: missing ? "warn" : "info",
      message: missing
        ? `${path} has no ${need.description}`
        : `${path} needs ${need.description}, unless the key itself is one`,
      hint: `keyz map ${path} ${mapping.provider} --credential <pass-path>`,
    });
  }
  if (others > 0) {
    out.push({
      id: "mapping",
      status: "info",
      message: others === 1
        ? "1 other entry is not a key (see keyz ls --all)"
        : `${others} other entries are not keys (see keyz ls --all)`,
      hint: "keyz map <path> <provider> for a key keyz did not recognise",
    });
  }
  return out;
}
