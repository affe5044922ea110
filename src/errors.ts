import { escapeTerminal } from "./util/text.ts";

/**
 * One error class for everything keyz reports to a user. Each failure class has a stable
 * exit code (never renumbered; documented in README.md "Exit codes").
 */

export const ExitCode = {
  ok: 0,
  /** At least one key failed to sync, or `keyz check` found something that needs attention. */
  attention: 1,
  /** Bad arguments, bad configuration, bad manifest, unknown path. */
  usage: 2,
  /** `pass` or `gpg` failed (cannot decrypt, store missing). */
  store: 3,
  /** git failed; the sidecar files are still written. */
  git: 4,
  /** Another keyz holds the store lock. */
  locked: 5,
  /** The program needs a terminal and has none. */
  noTerminal: 6,
  /** Interrupted by Ctrl-C. */
  interrupted: 130,
} as const;
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

export type KeyzErrorCode =
  | "usage"
  | "config"
  | "manifest"
  | "path"
  | "store"
  | "git"
  | "locked"
  | "no_terminal"
  | "sidecar"
  | "interrupted";

const exitFor: Record<KeyzErrorCode, ExitCode> = {
  usage: ExitCode.usage,
  config: ExitCode.usage,
  manifest: ExitCode.usage,
  path: ExitCode.usage,
  sidecar: ExitCode.usage,
  store: ExitCode.store,
  git: ExitCode.git,
  locked: ExitCode.locked,
  no_terminal: ExitCode.noTerminal,
  interrupted: ExitCode.interrupted,
};

/**
 * A failure the user can act on. `what` says what happened, `hint` what to do; printed once
 * as `keyz: <what> (<hint>)`.
 */
export class KeyzError extends Error {
  readonly code: KeyzErrorCode;
  readonly hint: string | undefined;
  constructor(code: KeyzErrorCode, what: string, hint?: string, options?: ErrorOptions) {
    super(what, options);
    this.name = "KeyzError";
    this.code = code;
    this.hint = hint;
  }
  get exitCode(): ExitCode {
    return exitFor[this.code];
  }
  /** What happened and what to do, without the `keyz: ` prefix (for text inside other text). */
  text(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
  /** The single line printed on stderr. */
  format(): string {
    return `keyz: ${this.text()}`;
  }
}

/** Kinds of per-key fetch failure. They never abort a run; they are recorded per key. */
export const FetchErrorKinds = [
  "auth",
  "forbidden",
  "rate_limited",
  "server",
  "network",
  "timeout",
  "parse",
  "provider",
  "config",
  /** HTTP 410: the provider retired the endpoint. */
  "retired",
] as const;
export type FetchErrorKind = typeof FetchErrorKinds[number];

/** A typed per-key failure: what went wrong talking to a provider, without any secret in it. */
export class FetchError extends Error {
  readonly kind: FetchErrorKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /**
   * The parsed JSON body of an HTTP error answer, for `errorCodes` (e.g. Google's HTTP 400
   * API_KEY_INVALID). Not enumerable: it may echo a key and is never printed or stored.
   */
  declare readonly body: unknown;
  constructor(
    kind: FetchErrorKind,
    message: string,
    opts: { status?: number; retryAfterMs?: number; cause?: unknown; body?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "FetchError";
    this.kind = kind;
    this.status = opts.status;
    this.retryAfterMs = opts.retryAfterMs;
    Object.defineProperty(this, "body", { value: opts.body, enumerable: false });
  }
}

export type SecretRole = "key" | "credential";

/**
 * The decrypted entry is not this provider's key (or credential): its first line does not
 * match the manifest's shape. Not a failure and never sent: the orchestration records the
 * entry's state as `not_a_key`. Carries no part of the secret.
 */
export class NotAKeyError extends Error {
  readonly provider: string;
  readonly role: SecretRole;
  /** The pass path of the entry that did not match, when known. */
  readonly path: string | undefined;
  constructor(provider: string, role: SecretRole, path?: string) {
    super(
      `${path ? `${path}: ` : ""}not a ${provider} ${role === "key" ? "key" : "credential"}` +
        " (its first line does not have the shape the manifest declares); nothing was sent",
    );
    this.name = "NotAKeyError";
    this.provider = provider;
    this.role = role;
    this.path = path;
  }
}

/** What is wrong with one file or folder of the store (an OS error, or a check of keyz's own). */
export type FileProblem =
  | "symlink"
  | "bad_path"
  | "name_too_long"
  | "no_space"
  | "read_only"
  | "permission"
  | "not_a_directory"
  | "is_a_directory"
  | "missing"
  | "io"
  | "other";

const problemText: Record<FileProblem, [what: string, hint: string]> = {
  symlink: [
    "is a symbolic link",
    "keyz never reads or writes through links in .keyz: remove the link, or run `keyz doctor --fix` to move it aside",
  ],
  bad_path: [
    "is not a place keyz writes (the name came from data)",
    "fix the name in the file that holds it",
  ],
  name_too_long: ["has a name longer than 255 bytes", "use a shorter pass entry name"],
  no_space: ["cannot be written: no space left on the device", "free some space, then run again"],
  read_only: [
    "cannot be written: read-only file system",
    "keyz writes below <store>/.keyz: make the store writable",
  ],
  permission: ["cannot be accessed: permission denied", "check the owner and permissions"],
  not_a_directory: [
    "cannot be reached: a file stands where a folder is needed",
    "move that file out of the way",
  ],
  is_a_directory: ["is a folder where a file is expected", "move the folder out of the way"],
  missing: ["does not exist", "check the path"],
  io: ["cannot be read or written: input/output error", "check the disk"],
  other: ["cannot be read or written", "check the file"],
};

/**
 * A file of the store that keyz may not or cannot read or write, naming it (`file`: absolute).
 * Exit code 3 (store/environment). A problem of the whole file system (full, read-only) is
 * `wholeStore`: every other write would fail alike.
 */
export class StoreFileError extends KeyzError {
  readonly file: string;
  readonly problem: FileProblem;
  constructor(file: string, problem: FileProblem, detail?: string, options?: ErrorOptions) {
    const [what, hint] = problemText[problem];
    super("store", `${escapeTerminal(file)} ${detail ?? what}`, hint, options);
    this.name = "StoreFileError";
    this.file = file;
    this.problem = problem;
  }
  get wholeStore(): boolean {
    return this.problem === "no_space" || this.problem === "read_only";
  }
}

/** The problem class of an OS error (Deno's errors carry the errno name in `code`). */
export function osProblem(e: unknown): FileProblem | undefined {
  const code = e instanceof Error ? (e as { code?: unknown }).code : undefined;
  switch (code) {
    case "ENOSPC":
    case "EDQUOT":
      return "no_space";
    case "EROFS":
      return "read_only";
    case "EACCES":
    case "EPERM":
      return "permission";
    case "ENOTDIR":
      return "not_a_directory";
    case "EISDIR":
      return "is_a_directory";
    case "ENOENT":
      return "missing";
    case "ENAMETOOLONG":
      return "name_too_long";
    case "ELOOP":
      return "symlink";
    case "EIO":
      return "io";
    default:
      return undefined;
  }
}

/** An OS error while reading or writing `file`, as a StoreFileError naming it; else `e`. */
export function fileError(file: string, e: unknown): unknown {
  if (e instanceof KeyzError) return e;
  const problem = osProblem(e);
  return problem ? new StoreFileError(file, problem, undefined, { cause: e }) : e;
}

/** The path in a Deno file-system error message (`...: open '/x/y'`), if any. */
function pathInMessage(message: string): string | undefined {
  return /: [a-z_]+ '(.*)'(?: -> '.*')?$/.exec(message)?.[1];
}

/**
 * Whoever reads keyz's output went away (`keyz ls | head -1`): thrown by the output writers
 * (src/cli/output.ts) so that `finally` blocks run; the top level then ends quietly with 0.
 */
export class OutputClosed extends Error {
  constructor(options?: ErrorOptions) {
    super("the reader of keyz's output went away", options);
    this.name = "OutputClosed";
  }
}

/** Turn anything thrown into a KeyzError for the top-level handler. */
export function asKeyzError(e: unknown): KeyzError {
  if (e instanceof KeyzError) return e;
  const problem = osProblem(e);
  if (problem && e instanceof Error) {
    // An ordinary OS failure (full disk, read-only store, a file in the way): not a bug.
    return new StoreFileError(pathInMessage(e.message) ?? "a file", problem, undefined, {
      cause: e,
    });
  }
  if (e instanceof Deno.errors.NotCapable) {
    return new KeyzError(
      "config",
      `permission denied: ${e.message}`,
      "run keyz with the permission set in deno.json (deno task keyz)",
    );
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new KeyzError("usage", `unexpected error: ${msg}`, "please report this as a bug");
}
