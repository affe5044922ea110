/**
 * The only module that reads the process environment. Under the permission set's
 * --ignore-env, variables outside deno.json's allow-list read as unset.
 */

function get(name: string): string | undefined {
  const v = Deno.env.get(name);
  return v === undefined || v === "" ? undefined : v;
}

export function home(): string {
  return get("HOME") ?? "/";
}

/** `$PASSWORD_STORE_DIR`, default `~/.password-store`, without a trailing slash. */
export function storeDir(): string {
  const dir = get("PASSWORD_STORE_DIR") ?? `${home()}/.password-store`;
  return dir.length > 1 ? dir.replace(/\/+$/, "") : dir;
}

/** `$GNUPGHOME`, default `~/.gnupg`: where the gpg that pass runs keeps its keys. */
export function gnupgHome(): string {
  return get("GNUPGHOME") ?? `${home()}/.gnupg`;
}

/** `$PASSWORD_STORE_GPG_OPTS`: options pass adds to every gpg it runs. */
export function passGpgOpts(): string | undefined {
  return get("PASSWORD_STORE_GPG_OPTS");
}

/** `$XDG_CONFIG_HOME/keyz`, default `~/.config/keyz`. */
export function configDir(): string {
  return `${get("XDG_CONFIG_HOME") ?? `${home()}/.config`}/keyz`;
}

/** `$XDG_CACHE_HOME/keyz`, default `~/.cache/keyz` (derived data only: safe to delete). */
export function cacheDir(): string {
  return `${get("XDG_CACHE_HOME") ?? `${home()}/.cache`}/keyz`;
}

/** `KEYZ_NO_CACHE=1`: read every sidecar afresh instead of through the snapshot cache. */
export function noCache(): boolean {
  return get("KEYZ_NO_CACHE") !== undefined;
}

/** Seconds a copied key stays on the clipboard (pass's own variable). */
export function clipTimeSeconds(): number {
  const n = Number(get("PASSWORD_STORE_CLIP_TIME") ?? "45");
  return Number.isInteger(n) && n > 0 ? n : 45;
}

export function noColor(): boolean {
  return get("NO_COLOR") !== undefined || Deno.noColor;
}

/** `TERM=dumb` (Emacs shells, some CI logs): no colour, no cursor movement, no progress line. */
export function dumbTerminal(): boolean {
  return get("TERM") === "dumb";
}

/** `KEYZ_BASE_URL_<ID>`: a test-only replacement base URL for one provider. */
export function baseUrlOverride(providerId: string): string | undefined {
  return get(`KEYZ_BASE_URL_${providerId.toUpperCase().replaceAll("-", "_")}`);
}

/** Extra delay scale for retries (tests set 0 to keep backoff instant). */
export function retryBaseMs(): number {
  const v = get("KEYZ_RETRY_BASE_MS");
  const n = v === undefined ? 500 : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : 500;
}

/**
 * `KEYZ_MINUTE_MS`, tests only: how long a minute is for `sync --stale` and the browser's
 * autosync (refresh intervals, the backoff and its cap, autosync's checks), so a test can watch
 * hours of backoff in seconds. Default 60000; the display (`ls`, badges) keeps real minutes.
 */
export function minuteMs(): number {
  const v = get("KEYZ_MINUTE_MS");
  const n = v === undefined ? 60_000 : Number(v);
  return Number.isFinite(n) && n >= 10 && n <= 60_000 ? n : 60_000;
}

/**
 * `KEYZ_ESC_DELAY_MS`: how long the browser waits after a lone ESC for the rest of a key's
 * sequence before taking it as the Escape key (default 50; raise it on a slow link, like
 * ncurses' ESCDELAY).
 */
export function escDelayMs(): number {
  const v = get("KEYZ_ESC_DELAY_MS");
  const n = v === undefined ? 50 : Number(v);
  return Number.isFinite(n) && n >= 0 && n <= 10_000 ? n : 50;
}

/**
 * The environment handed to `pass` and `git`: exactly the allow-listed variables that are
 * set (never LD_* or anything else from the user's shell), plus overrides.
 */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  if (!baseChildEnv) {
    baseChildEnv = Deno.env.toObject();
    for (const k of Object.keys(baseChildEnv)) if (k.startsWith("KEYZ_")) delete baseChildEnv[k];
  }
  return { ...baseChildEnv, ...extra };
}
let baseChildEnv: Record<string, string> | undefined;
