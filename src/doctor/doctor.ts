/**
 * `keyz doctor`: look at everything keyz depends on and say what to do about each problem;
 * with `fix`, repair what is safe (conflicted or broken sidecars, a stale keyz lock, the
 * .keyz git attributes). keyz may only spawn `pass` and `git`, so gpg is judged from the
 * outside: `pass` runs, GNUPGHOME holds secret keys, the store has a .gpg-id.
 */
import { baseUrlOverride, childEnv, home } from "../env.ts";
import { KeyzError } from "../errors.ts";
import {
  clearStaleIndexLock,
  fileVersions,
  gitHealth,
  isGitRepo,
  repairConflicts,
  stageKeyzFiles,
  unmergedKeyzPaths,
} from "../git/git.ts";
import { loadProviders } from "../providers/load.ts";
import { formatProblem } from "../providers/lookup.ts";
import { untrustedProviders } from "../providers/trust.ts";
import {
  isKeyzFolder,
  KEYZ_DIR,
  KEYZ_GIT_FILES,
  keyzLinks,
  quarantine,
  readKeyzText,
  writeAtomic,
} from "../sidecars/files.ts";
import { StoreFileError } from "../errors.ts";
import type { SidecarKind } from "../sidecars/migrate.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { paths, Sidecars } from "../sidecars/sidecars.ts";
import { baseStateOf, viewEntry, type ViewSources } from "../view/entries.ts";
import { fileSources } from "../view/file_sources.ts";
import { isKeyState } from "../view/judge.ts";
import { PassCliStore } from "../store/pass_cli.ts";
import { countSecretKeys } from "../store/recipients.ts";
import { hostsOf } from "../providers/load.ts";
import { probeHost, reachabilityCheck } from "./reachability.ts";
import { credentialOf } from "../view/entries.ts";
import { runProcess } from "../util/process.ts";
import { acquireLock, lockHolder, type StoreLock } from "../sidecars/lock.ts";
import { findOrphans, movesOf } from "../sidecars/moves.ts";
import { type Check, judgeSidecar, mappingChecks } from "./checks.ts";

export interface DoctorOptions {
  storeDir: string;
  configDir: string;
  fix: boolean;
  /** Skip the network check (no connection to any provider host). */
  offline?: boolean;
}

/** A `.keyz` file's text; undefined when absent or not readable without following a link. */
function keyzText(storeDir: string, rel: string): string | undefined {
  try {
    return readKeyzText(storeDir, rel);
  } catch {
    return undefined;
  }
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
  let keyFiles = 0;
  try {
    for await (const e of Deno.readDir(`${gnupg}/private-keys-v1.d`)) if (e.isFile) keyFiles++;
  } catch { /* no folder: no keys */ }
  // A key file per key and per subkey: count keys as gpg --list-secret-keys does, when the
  // keyring can be read; else say what was seen.
  const counted = keyFiles > 0 ? countSecretKeys(gnupg) : undefined;
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  out.push(
    keyFiles > 0
      ? {
        id: "gpg",
        status: "ok",
        message: counted && counted.keys > 0
          ? `${gnupg} holds ${plural(counted.keys, "secret key")}` +
            (counted.subkeys ? ` (with ${plural(counted.subkeys, "subkey")})` : "")
          : `${gnupg} holds secret key material (${plural(keyFiles, "key file")})`,
      }
      : {
        id: "gpg",
        status: "warn",
        message: `no gpg secret keys in ${gnupg}`,
        hint:
          "keyz decrypts through pass, which needs your gpg secret key: set GNUPGHOME or import the key (keyz cannot run gpg itself; try `pass show <entry>`)",
      },
  );
  // A pushed link would make doctor print another file's first lines: never followed.
  const linked = await Deno.lstat(`${storeDir}/.gpg-id`).then((s) => s.isSymlink, () => false);
  const gpgId = linked
    ? undefined
    : await Deno.readTextFile(`${storeDir}/.gpg-id`).catch(() => undefined);
  const ids = (gpgId ?? "").split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  out.push(
    ids.length
      ? { id: "gpg-id", status: "ok", message: `the store is encrypted for ${ids.join(", ")}` }
      : {
        id: "gpg-id",
        status: "fail",
        message: `${storeDir}/.gpg-id is ${
          linked ? "a symbolic link" : gpgId === undefined ? "missing" : "empty"
        }`,
        hint: linked
          ? "replace the link by the file (`pass init <gpg-id>`)"
          : "run `pass init <gpg-id>`",
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
    const c: Check = {
      id: "git",
      status: "warn",
      message: `${storeDir}/.git/index.lock exists: git (and keyz's commits) will fail`,
      hint:
        "run `keyz doctor --fix`: it removes the file when no git is running (keyz sync does too)",
      file: ".git/index.lock",
    };
    const removed = fix ? await clearStaleIndexLock(storeDir) : undefined;
    if (removed) {
      c.fixed = true;
      c.message = removed;
    } else if (fix) c.hint = "a git process still works in the repository: let it finish";
    out.push(c);
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
  return out;
}

/**
 * keyz's `.gitattributes` and `.gitignore` (written when a writer takes the lock, so
 * `--fix` repairs them by taking it).
 */
function checkGitFiles(storeDir: string): Check[] {
  const attrs = `${KEYZ_DIR}/.gitattributes`;
  if (!isKeyzFolder(storeDir, `${KEYZ_DIR}/history`)) return [];
  if (keyzText(storeDir, attrs) === KEYZ_GIT_FILES[attrs]) return [];
  return [{
    id: "git-attributes",
    status: "warn",
    message: `${attrs} does not merge history files line by line`,
    hint: "run `keyz doctor --fix` or `keyz sync`",
  }];
}

async function checkLock(storeDir: string): Promise<Check[]> {
  const text = keyzText(storeDir, `${KEYZ_DIR}/lock`);
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
  return [c];
}

/**
 * Links inside `.keyz` (anyone who pushes the store can commit one): keyz never follows them;
 * `--fix` moves each aside (the link itself is renamed, in its own folder).
 */
async function checkLinks(storeDir: string, fix: boolean): Promise<Check[]> {
  const out: Check[] = [];
  for (const rel of keyzLinks(storeDir)) {
    const top = rel === KEYZ_DIR;
    const c: Check = {
      id: "symlink",
      status: "fail",
      message: `${rel} is a symbolic link: keyz never reads or writes through it`,
      hint: top
        ? `remove the link (rm ${storeDir}/${KEYZ_DIR}); keyz keeps its files in a real folder`
        : "run `keyz doctor --fix` to move it aside, or remove it",
      file: rel,
    };
    if (fix && !top) {
      c.message += `; moved aside to ${await quarantine(storeDir, rel)}`;
      c.fixed = true;
    }
    out.push(c);
  }
  return out;
}

async function listJson(storeDir: string, rel: string, out: string[]): Promise<void> {
  if (!isKeyzFolder(storeDir, rel)) return; // absent, or a link (reported by checkLinks)
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
  const files: [string, SidecarKind][] = [[paths.map, "map"]];
  const keys: string[] = [];
  const accounts: string[] = [];
  await listJson(storeDir, `${KEYZ_DIR}/keys`, keys);
  await listJson(storeDir, `${KEYZ_DIR}/accounts`, accounts);
  files.push(...keys.sort().map((f): [string, SidecarKind] => [f, "key"]));
  files.push(...accounts.sort().map((f): [string, SidecarKind] => [f, "account"]));
  const out: Check[] = [];
  const sidecars = new Sidecars(storeDir);
  for (const [rel, kind] of files) {
    let text: string | undefined;
    try {
      text = readKeyzText(storeDir, rel);
    } catch (e) {
      if (!(e instanceof StoreFileError)) throw e;
      // A link is reported (and moved aside) by checkLinks; anything else is named here.
      if (e.problem !== "symlink") {
        out.push({ id: "sidecar", status: "fail", message: e.message, hint: e.hint, file: rel });
      }
      continue;
    }
    if (text === undefined) continue;
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
          ? "run `keyz doctor --fix`: it moves the file aside and restores the last good version from git"
          : "run `keyz doctor --fix` to move it aside (the next `keyz sync` rebuilds it)",
        file: rel,
      };
      if (fix) {
        const dest = await sidecars.quarantine(rel);
        c.fixed = true;
        c.message = `${v.message}; moved aside to ${dest}`;
        if (kind === "map") c.message += await restoreMap(storeDir, dest);
      }
      out.push(c);
    }
  }
  return out;
}

/**
 * After a broken map.json was moved aside: put back the newest committed version that reads
 * (it holds the explicit mappings, which nothing else can rebuild). Says what happened.
 */
async function restoreMap(storeDir: string, movedTo: string): Promise<string> {
  for (const v of await fileVersions(storeDir, paths.map, 50)) {
    const verdict = judgeSidecar("map", v.text, paths.map);
    const text = verdict.state === "ok"
      ? v.text
      : verdict.state === "old"
      ? verdict.upgraded
      : verdict.state === "conflicted"
      ? verdict.repaired
      : undefined;
    if (text === undefined) continue;
    await writeAtomic(storeDir, paths.map, text);
    return `; restored the version of commit ${v.commit.slice(0, 8)} (${v.at})`;
  }
  return `; no good version in git: map keys again with \`keyz map\` (the old file stays at ${movedTo})`;
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
  // Repairs write, so --fix takes the store lock like every writer. Taking it already
  // replaces a stale lock file and writes keyz's git files: those checks run before it.
  let lock: StoreLock | undefined;
  if (fix) {
    const before = [...await checkLock(storeDir), ...checkGitFiles(storeDir)];
    const moved: string[] = [];
    lock = await acquireLock(storeDir, "doctor --fix", { warn: (l) => moved.push(l) });
    for (const c of before) c.fixed = true;
    checks.push(...before);
    for (const m of moved) checks.push({ id: "symlink", status: "fail", message: m, fixed: true });
  }
  try {
    checks.push(...await checkGpg(storeDir));
    checks.push(...await checkGit(storeDir, fix));
    if (!fix) checks.push(...await checkLock(storeDir), ...checkGitFiles(storeDir));
    checks.push(...await checkLinks(storeDir, fix));
    checks.push(...await checkSidecars(storeDir, fix));
    checks.push(...orphanChecks(storeDir));
    checks.push(...await laterChecks(opts, entries));
  } finally {
    await lock?.release();
  }
  return checks;
}

/** Manifests, trust, mappings and credentials: checks that only read. */
async function laterChecks(opts: DoctorOptions, entries: Set<string>): Promise<Check[]> {
  const { storeDir } = opts;
  const checks: Check[] = [];

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
    const read = await new Sidecars(storeDir).readMapChecked();
    map = read.map;
    for (const skipped of read.skipped) {
      checks.push({
        id: "mapping",
        status: "warn",
        message: skipped,
        hint: "edit .keyz/map.json: a mapping's path and credential must be pass paths",
        file: paths.map,
      });
    }
  } catch { /* reported by checkSidecars */ }
  checks.push(...mappingChecks(map, entries, providers));
  let sources: ViewSources | undefined;
  try {
    sources = await fileSources(
      new Sidecars(storeDir),
      new PassCliStore(storeDir),
      providers,
      opts.configDir,
    );
  } catch { /* a broken map or config: reported above */ }
  if (sources) checks.push(...credentialChecks(sources, [...entries]));
  if (sources) checks.push(...await networkChecks(sources, [...entries], !!opts.offline));
  return checks;
}

/**
 * One line per host that the store's keys go to (trusted providers with keys): reachable,
 * refused, not resolving or silent. Nothing is sent. Hosts replaced for tests are not tried.
 */
async function networkChecks(
  src: ViewSources,
  entries: string[],
  offline: boolean,
): Promise<Check[]> {
  const used = new Set<string>();
  for (const path of entries) {
    const v = viewEntry(src, path);
    if (v.recognition.kind === "key" && v.provider && !v.untrusted && isKeyState(baseStateOf(v))) {
      used.add(v.recognition.provider);
    }
  }
  if (used.size === 0) return [];
  if (offline) {
    return [{
      id: "network",
      status: "info",
      message: "provider hosts not tried (--offline)",
      hint: "keyz doctor without --offline tries them (nothing is sent)",
    }];
  }
  const byHost = new Map<string, string[]>();
  const out: Check[] = [];
  for (const id of [...used].sort()) {
    if (baseUrlOverride(id)) {
      const variable = `KEYZ_BASE_URL_${id.toUpperCase().replaceAll("-", "_")}`;
      out.push({
        id: "network",
        status: "info",
        message: `${id}: not tried (${variable} points it at a test server)`,
        hint: `unset ${variable} to use the real host`,
      });
      continue;
    }
    for (const host of hostsOf(src.providers.providers.get(id)!.manifest)) {
      byHost.set(host, [...byHost.get(host) ?? [], id]);
    }
  }
  const probes = await Promise.all([...byHost.keys()].sort().map((h) => probeHost(h)));
  return [...out, ...probes.map((p) => reachabilityCheck(p, byHost.get(p.host)!))];
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
 * linked. An entry that is itself such a credential is not told to get one: one that another
 * key uses as its credential, one that synced without one (it was its own), or one whose name
 * says admin or management. The hint names such an entry of the same provider when there is one.
 * Without decrypting keyz cannot be sure, so this is a warning only when the last sync said the
 * credential is missing.
 */
function credentialChecks(src: ViewSources, entries: string[]): Check[] {
  const out: Check[] = [];
  const views = entries.sort().map((p) => viewEntry(src, p));
  const keys = views.filter((v) => v.recognition.kind === "key" && isKeyState(baseStateOf(v)));
  const others = views.length - keys.length;
  const inUse = new Set(keys.flatMap((v) => {
    const c = v.recognition.kind === "key" ? credentialOf(v.recognition) : undefined;
    return c ? [c] : [];
  }));
  const providerOf = (v: (typeof keys)[number]) =>
    v.recognition.kind === "key" ? v.recognition.provider : "";
  const linked = (v: (typeof keys)[number]) =>
    v.recognition.kind === "key" && !!credentialOf(v.recognition);
  // Synced with no credential linked, and the provider requires one: it was its own.
  const wasOwn = (v: (typeof keys)[number]) =>
    !linked(v) && !!v.account?.fetched_at && !v.attempt?.error;
  const namedAdmin = (path: string) =>
    path.split("/").some((s) => /admin|management|mgmt/i.test(s));
  const isCredential = (v: (typeof keys)[number]) =>
    inUse.has(v.path) || wasOwn(v) || (namedAdmin(v.path) && v.attempt?.error?.kind !== "config");
  for (const v of keys) {
    const provider = providerOf(v);
    const need = v.provider?.manifest.credential;
    if (!need?.required || linked(v) || isCredential(v)) continue;
    const missing = v.attempt?.error?.kind === "config";
    const candidate = keys.find((c) => c !== v && providerOf(c) === provider && isCredential(c));
    out.push({
      id: "credential",
      status: missing ? "warn" : "info",
      message: missing
        ? `${v.path} has no ${need.description}`
        : `${v.path} needs ${need.description}, unless it is one itself`,
      hint: `keyz map ${v.path} ${provider} --credential ${candidate?.path ?? "<pass-path>"}`,
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
