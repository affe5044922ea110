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

/** Turn anything thrown into a KeyzError for the top-level handler. */
export function asKeyzError(e: unknown): KeyzError {
  if (e instanceof KeyzError) return e;
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
