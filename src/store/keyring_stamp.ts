/**
 * Whether the keys gpg-agent holds may have changed, without reading them: a stamp of the
 * GNUPGHOME files that decide it. Kept apart from recipients.ts (which brings node:crypto) so
 * the snapshot cache can check it on the fast path.
 */
import { gnupgHome, passGpgOpts } from "../env.ts";

/** What keyringStamp looks at (see there). */
export const STAMPED = [
  "pubring.kbx",
  "pubring.gpg",
  "private-keys-v1.d",
  "public-keys.d",
  "gpg.conf",
  "common.conf",
];

/**
 * Files whose change can change the answer: the public keyring, the secret key folder (adding
 * or deleting a key file moves its mtime) and the config files naming other keyrings. A string
 * of their mtimes, sizes and inodes, for the snapshot cache; no file is read.
 */
export function keyringStamp(gnupgHome: string): string {
  return stampOf(gnupgHome, homeNames(gnupgHome) ?? new Set());
}

/**
 * The names in GNUPGHOME, or undefined if it cannot be listed. Looking a name up here instead
 * of stat-ing a file that may be missing saves a thrown NotFound: milliseconds each, cold.
 */
export function homeNames(gnupgHome: string): Set<string> | undefined {
  try {
    return new Set(Array.from(Deno.readDirSync(gnupgHome), (e) => e.name));
  } catch {
    return undefined;
  }
}

export function stampOf(gnupgHome: string, names: Set<string>): string {
  return STAMPED.map((name) => {
    if (!names.has(name)) return `${name}:-`;
    try {
      const s = Deno.statSync(`${gnupgHome}/${name}`);
      return `${name}:${s.mtime?.getTime() ?? 0}:${s.size}:${s.ino ?? 0}`;
    } catch {
      return `${name}:?`;
    }
  }).join(" ");
}

/** gpg options that make it read keys from elsewhere than GNUPGHOME's default keyring. */
const OTHER_KEYS_OPTION =
  /(?:^|\s)--(?:homedir|keyring|primary-keyring|no-default-keyring|use-keyboxd)\b/;

/**
 * The GNUPGHOME whose keys `pass` decrypts with: `env.GNUPGHOME` (the environment keyz gives
 * pass, e.g. the demo's), else $GNUPGHOME, else ~/.gnupg. Undefined when
 * PASSWORD_STORE_GPG_OPTS points gpg at another home or keyring: then keyz cannot tell.
 */
export function passGnupgHome(env: Record<string, string> = {}): string | undefined {
  const opts = env.PASSWORD_STORE_GPG_OPTS ?? passGpgOpts();
  if (opts !== undefined && OTHER_KEYS_OPTION.test(opts)) return undefined;
  return env.GNUPGHOME || gnupgHome();
}
