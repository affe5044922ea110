/**
 * Versioning of keyz's own files in the store's git repository. Every command is limited to
 * `.keyz/` by explicit pathspec, so the user's other staged or dirty files are untouched, no
 * .gpg file is ever staged, and no diff (with pass's gpg textconv) is ever produced.
 */
import { KeyzError } from "../errors.ts";
import { childEnv } from "../env.ts";
import { runProcess } from "../util/process.ts";
import {
  KEYZ_DIR,
  readKeyzText,
  removeGitIndexLock,
  stableJson,
  writeAtomic,
} from "../sidecars/files.ts";
import { hasConflictMarkers, resolveConflictedJson, splitConflict } from "../sidecars/conflict.ts";

import { GIT_MODES, type GitMode } from "./modes.ts";
export { GIT_MODES, type GitMode };

/** The only pathspec keyz ever hands to git. */
const PATHSPEC = [`:(top,literal)${KEYZ_DIR}`];

async function git(
  storeDir: string,
  args: string[],
  opts: { stdin?: string; env?: Record<string, string> } = {},
) {
  return await runProcess("git", ["-C", storeDir, "-c", "core.quotepath=off", ...args], {
    env: childEnv({ GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0", ...opts.env }),
    stdin: opts.stdin,
  });
}

export async function isGitRepo(storeDir: string): Promise<boolean> {
  try {
    await Deno.stat(`${storeDir}/.git`);
    return true;
  } catch {
    return false;
  }
}

function gitError(what: string, stderr: string): KeyzError {
  const why = stderr.split("\n").find((l) => l.trim())?.trim().slice(0, 200) ?? "";
  return new KeyzError(
    "git",
    `git ${what} failed${why ? `: ${why}` : ""}`,
    "the sidecar files are written; fix the repository and run `keyz sync` again or commit .keyz yourself",
  );
}

export interface GitHealth {
  /** `git --version` output, or undefined when git cannot run. */
  version?: string;
  /** Whether commits can get an author (user.email set for the store). */
  identity: boolean;
  merging: boolean;
  /** `.git/index.lock` exists: another git is running, or one crashed. */
  indexLock: boolean;
  signing: boolean;
}

/** What `keyz doctor` needs to know about the store's repository. */
export async function gitHealth(storeDir: string): Promise<GitHealth> {
  const version = await git(storeDir, ["--version"]).then((r) =>
    r.code === 0 ? r.stdout.trim() : undefined
  )
    .catch(() => undefined);
  const email = await git(storeDir, ["config", "--get", "user.email"]).catch(() => undefined);
  const signCfg = await git(storeDir, ["config", "--bool", "--get", "pass.signcommits"]).catch(
    () => undefined,
  );
  const gpgsign = await git(storeDir, ["config", "--bool", "--get", "commit.gpgsign"]).catch(
    () => undefined,
  );
  return {
    version,
    identity: !!email?.stdout.trim(),
    merging: version ? await mergeInProgress(storeDir) : false,
    indexLock: await Deno.stat(`${storeDir}/.git/index.lock`).then(() => true, () => false),
    signing: signCfg?.stdout.trim() === "true" || gpgsign?.stdout.trim() === "true",
  };
}

/** Whether a merge is under way (e.g. `git pull` stopped on a conflict). */
async function mergeInProgress(storeDir: string): Promise<boolean> {
  const r = await git(storeDir, ["rev-parse", "-q", "--verify", "MERGE_HEAD"]);
  return r.code === 0;
}

/** `.keyz/` files git holds as unmerged (conflicted), relative to the store. */
export async function unmergedKeyzPaths(storeDir: string): Promise<string[]> {
  if (!(await isGitRepo(storeDir))) return [];
  const r = await git(storeDir, ["ls-files", "-u", "-z", "--", ...PATHSPEC]);
  if (r.code !== 0) return [];
  const out = new Set<string>();
  for (const rec of r.stdout.split("\0")) {
    const tab = rec.indexOf("\t");
    if (tab >= 0) out.add(rec.slice(tab + 1));
  }
  return [...out].sort();
}

/**
 * Rewrite the `.keyz/` files git holds as conflicted with their repaired content: JSON sidecars
 * by conflict.ts's rule (newest `fetched_at`), history files as the union of both sides' lines.
 * Returns the files repaired and those that could not be (left untouched).
 */
export async function repairConflicts(
  storeDir: string,
): Promise<{ repaired: string[]; failed: string[] }> {
  const repaired: string[] = [];
  const failed: string[] = [];
  for (const rel of await unmergedKeyzPaths(storeDir)) {
    let text: string | undefined;
    try {
      text = readKeyzText(storeDir, rel); // a link or a bad name: left for a human
    } catch {
      failed.push(rel);
      continue;
    }
    let fixed: string | undefined;
    if (text !== undefined && !hasConflictMarkers(text)) {
      repaired.push(rel); // already rewritten (e.g. by this sync): staging marks it resolved
      continue;
    }
    if (text !== undefined && rel.endsWith(".jsonl")) {
      const sides = splitConflict(text);
      if (sides) {
        const lines = [...sides.ours.split("\n"), ...sides.theirs.split("\n")].filter((l) =>
          l.trim()
        );
        fixed = [...new Set(lines)].join("\n") + "\n";
      }
    } else if (text !== undefined) {
      const value = resolveConflictedJson(text);
      if (value !== undefined) fixed = stableJson(value);
    }
    if (fixed === undefined) {
      failed.push(rel);
      continue;
    }
    await writeAtomic(storeDir, rel, fixed);
    repaired.push(rel);
  }
  return { repaired, failed };
}

/** Stage exact `.keyz/` files (a repaired conflict), nothing else. */
export async function stageKeyzFiles(storeDir: string, rels: string[]): Promise<void> {
  const safe = rels.filter((r) => r.startsWith(`${KEYZ_DIR}/`) && !r.includes(".."));
  if (safe.length === 0 || !(await isGitRepo(storeDir))) return;
  const add = await git(storeDir, ["add", "--", ...safe.map((r) => `:(top,literal)${r}`)]);
  if (add.code !== 0) throw gitError("add", add.stderr);
}

export interface FileVersion {
  commit: string;
  /** Committer date, ISO 8601. */
  at: string;
  text: string;
}

/**
 * Every committed version of one `.keyz/` file, newest first (at most `limit`). Blobs are read
 * with `cat-file --batch`, which never runs a textconv filter.
 */
export async function fileVersions(
  storeDir: string,
  rel: string,
  limit = 500,
): Promise<FileVersion[]> {
  if (!rel.startsWith(`${KEYZ_DIR}/`) || !(await isGitRepo(storeDir))) return [];
  const log = await git(storeDir, [
    "log",
    `--max-count=${limit}`,
    "--format=%H %cI",
    "--no-textconv",
    "--no-ext-diff",
    "--",
    `:(top,literal)${rel}`,
  ]);
  if (log.code !== 0) return [];
  const commits = log.stdout.split("\n").filter(Boolean).map((l) => {
    const [commit, at] = l.split(" ");
    return { commit, at };
  });
  if (commits.length === 0) return [];
  const batch = await git(storeDir, ["cat-file", "--batch"], {
    stdin: commits.map((c) => `${c.commit}:${rel}\n`).join(""),
  });
  if (batch.code !== 0) return [];
  const bytes = new TextEncoder().encode(batch.stdout);
  const dec = new TextDecoder();
  const out: FileVersion[] = [];
  let pos = 0;
  for (const c of commits) {
    const nl = bytes.indexOf(10, pos);
    if (nl < 0) break;
    const header = dec.decode(bytes.subarray(pos, nl)).split(" ");
    pos = nl + 1;
    if (header[1] !== "blob") continue; // "<name> missing": deleted in that commit
    const size = Number(header[2]);
    out.push({ ...c, text: dec.decode(bytes.subarray(pos, pos + size)) });
    pos += size + 1;
  }
  return out;
}

/**
 * Record keyz's changes: stage `.keyz/` (mode stage) and commit exactly those paths
 * (mode commit). Returns whether a commit was made.
 */
export async function recordChanges(
  storeDir: string,
  mode: GitMode,
  message: string,
  opts: { note?: (line: string) => void } = {},
): Promise<boolean> {
  if (mode === "none" || !(await isGitRepo(storeDir))) return false;
  const stale = await clearStaleIndexLock(storeDir);
  if (stale) opts.note?.(stale);
  const { failed } = await repairConflicts(storeDir);
  if (failed.length) {
    throw new KeyzError(
      "git",
      `conflicted files in .keyz that keyz cannot repair: ${failed.join(", ")}`,
      "the sidecar files are written; resolve those files by hand (or delete them), then `git add` them",
    );
  }
  const add = await git(storeDir, ["add", "-A", "--", ...PATHSPEC]);
  if (add.code !== 0) throw await indexLockError(storeDir) ?? gitError("add", add.stderr);
  if (mode === "stage") return false;
  if (await mergeInProgress(storeDir)) {
    // A partial commit is impossible mid-merge; the staged .keyz files go in the merge commit.
    throw new KeyzError(
      "git",
      "a git merge is in progress in the store; keyz staged its .keyz files but did not commit",
      "finish the merge (`keyz doctor --fix` repairs conflicted sidecars, then `git commit`)",
    );
  }
  const staged = await git(storeDir, [
    "diff",
    "--cached",
    "--quiet",
    "--no-ext-diff",
    "--no-textconv",
    "--",
    ...PATHSPEC,
  ]);
  if (staged.code === 0) return false;
  const sign =
    (await git(storeDir, ["config", "--bool", "--get", "pass.signcommits"])).stdout.trim() ===
        "true"
      ? ["-S"]
      : [];
  let commit = await git(storeDir, [
    "commit",
    "--quiet",
    "--no-verify",
    ...sign,
    "-m",
    message,
    "--only",
    "--",
    ...PATHSPEC,
  ]);
  if (commit.code !== 0 && /does not have a commit checked out/.test(commit.stderr)) {
    commit = await commitThroughTempIndex(storeDir, message, sign);
  }
  if (commit.code !== 0) throw gitError("commit", commit.stderr || commit.stdout);
  return true;
}

/**
 * The commit of `.keyz` alone through a temporary index (HEAD plus the `.keyz` changes), for
 * when `commit --only` cannot: it refuses to put a folder where HEAD holds a link, which is
 * what moving a pushed link aside does (see prepareKeyzDir). The real index already holds the
 * same `.keyz` entries (staged above) and keeps the user's other staged changes.
 */
async function commitThroughTempIndex(
  storeDir: string,
  message: string,
  sign: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const index = await Deno.makeTempFile({ prefix: "keyz-index-" });
  try {
    const env = { GIT_INDEX_FILE: index };
    for (const args of [["read-tree", "HEAD"], ["add", "-A", "--", ...PATHSPEC]]) {
      const r = await git(storeDir, args, { env });
      if (r.code !== 0) return r;
    }
    return await git(storeDir, ["commit", "--quiet", "--no-verify", ...sign, "-m", message], {
      env,
    });
  } finally {
    await Deno.remove(index).catch(() => {});
  }
}

/** The error to give when `.git/index.lock` (young, so kept) is what makes git fail. */
async function indexLockError(storeDir: string): Promise<KeyzError | undefined> {
  const file = `${storeDir}/.git/index.lock`;
  if (!(await Deno.lstat(file).then(() => true, () => false))) return undefined;
  return new KeyzError(
    "git",
    `${file} exists: another git is working in the store, or one was killed`,
    "the sidecar files are written; the next keyz run removes the file once it is a minute old (remove it yourself if no git is running), then commits",
  );
}

/** How old an index.lock must be to count as left behind, where no process table can say. */
const INDEX_LOCK_STALE_MS = 60_000;

/**
 * Remove `.git/index.lock` when it was left behind by a git that died (e.g. a SIGKILL during
 * keyz's own commit); every git command fails while it exists. Call only while holding keyz's
 * store lock (then no keyz git is running). It is stale when no git process works in the
 * repository (cwd or arguments inside it, from /proc on Linux); where that cannot be told, when
 * it is older than a minute (a live git holds it for moments, or while its commit editor is
 * open). Deno grants /proc only with --allow-all, so under keyz's own permission set (deno.json)
 * the age decides. Returns a line saying what was done, or undefined.
 */
export async function clearStaleIndexLock(storeDir: string): Promise<string | undefined> {
  const file = `${storeDir}/.git/index.lock`;
  const info = await Deno.lstat(file).catch(() => undefined);
  if (!info) return undefined;
  const busy = await gitWorksIn(storeDir);
  const ageMs = Date.now() - (info.mtime?.getTime() ?? Date.now());
  if (busy === true || (busy === undefined && ageMs < INDEX_LOCK_STALE_MS)) return undefined;
  if (!removeGitIndexLock(storeDir)) return undefined;
  const why = busy === false
    ? "no git process is working in the repository"
    : `it is ${Math.round(ageMs / 1000)} s old`;
  return `removed a stale ${file} (${why})`;
}

/**
 * Whether a git process works in the repository: true/false from /proc on Linux, undefined
 * when that cannot be told (no /proc, or a git process whose working folder is unreadable).
 */
async function gitWorksIn(storeDir: string): Promise<boolean | undefined> {
  if (Deno.build.os !== "linux") return undefined;
  const root = await Deno.realPath(storeDir).catch(() => storeDir);
  const inside = (p: string) => p === root || p.startsWith(`${root}/`);
  let unknown = false;
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir("/proc"));
  } catch {
    return undefined; // no /proc, or not granted (NotCapable)
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    let comm: string;
    try {
      comm = (await Deno.readTextFile(`/proc/${e.name}/comm`)).trim();
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // exited meanwhile
      return undefined;
    }
    if (comm !== "git" && !comm.startsWith("git-")) continue;
    try {
      const cwd = await Deno.readLink(`/proc/${e.name}/cwd`);
      const args = (await Deno.readTextFile(`/proc/${e.name}/cmdline`)).split("\0");
      if (inside(cwd) || args.some((a) => a.includes(root) || a.includes(storeDir))) return true;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // exited meanwhile
      unknown = true; // another user's git: cannot tell
    }
  }
  return unknown ? undefined : false;
}
