/**
 * Versioning of keyz's own files in the store's git repository. Every command is limited to
 * `.keyz/` by explicit pathspec, so the user's other staged or dirty files are untouched, no
 * .gpg file is ever staged, and no diff (with pass's gpg textconv) is ever produced.
 */
import { KeyzError } from "../errors.ts";
import { childEnv } from "../env.ts";
import { runProcess } from "../util/process.ts";
import { KEYZ_DIR } from "../sidecars/files.ts";

export const GIT_MODES = ["commit", "stage", "none"] as const;
export type GitMode = typeof GIT_MODES[number];

/** The only pathspec keyz ever hands to git. */
const PATHSPEC = [`:(top,literal)${KEYZ_DIR}`];

async function git(storeDir: string, args: string[]) {
  return await runProcess("git", ["-C", storeDir, "-c", "core.quotepath=off", ...args], {
    env: childEnv({ GIT_TERMINAL_PROMPT: "0", GIT_OPTIONAL_LOCKS: "0" }),
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

/** Make sure history files merge line by line between machines. */
export async function ensureGitattributes(storeDir: string): Promise<boolean> {
  const file = `${storeDir}/${KEYZ_DIR}/.gitattributes`;
  const want = "history/** merge=union\n";
  const have = await Deno.readTextFile(file).catch(() => "");
  if (have === want) return false;
  await Deno.mkdir(`${storeDir}/${KEYZ_DIR}`, { recursive: true });
  await Deno.writeTextFile(file, want);
  return true;
}

/**
 * Record keyz's changes: stage `.keyz/` (mode stage) and commit exactly those paths
 * (mode commit). Returns whether a commit was made.
 */
export async function recordChanges(
  storeDir: string,
  mode: GitMode,
  message: string,
): Promise<boolean> {
  if (mode === "none" || !(await isGitRepo(storeDir))) return false;
  await ensureGitattributes(storeDir);
  const add = await git(storeDir, ["add", "-A", "--", ...PATHSPEC]);
  if (add.code !== 0) throw gitError("add", add.stderr);
  if (mode === "stage") return false;
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
  const commit = await git(storeDir, [
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
  if (commit.code !== 0) throw gitError("commit", commit.stderr || commit.stdout);
  return true;
}
