/**
 * Whose entry is this? Tells, without decrypting and without running gpg, whether a pass entry
 * is encrypted for a secret key the user holds, so that entries a team store encrypts only for
 * teammates (pass's per-folder `.gpg-id`) are "not yours" instead of failed decryptions.
 *
 * - The recipients of an entry are the key ids in the session key packets at the start of its
 *   `.gpg` file (openpgp.ts).
 * - The keys we hold: every key and subkey of the public keyring (`pubring.kbx`, or a legacy
 *   `pubring.gpg`) whose keygrip (keygrip.ts) names a file in `private-keys-v1.d`, where
 *   gpg-agent keeps secret keys (or card stubs). Secret key files are listed, never opened.
 *
 * Whenever keyz cannot be sure, the answer is "unknown" and keyz decrypts as before; a failure
 * that isNoSecretKeyError recognises is then "not yours" too. "not_yours" is only said when
 * every recipient is a key id keyz read and computed a keygrip for, or is absent from a keyring
 * it read completely (then gpg cannot decrypt it either).
 */
import { ANYONE, keyringKeys, messageRecipients, type PublicKey } from "./openpgp.ts";
import { homeNames, keyringStamp, passGnupgHome, stampOf } from "./keyring_stamp.ts";

export { keyringStamp, passGnupgHome };

export { ANYONE } from "./openpgp.ts";

export interface SecretKeyring {
  /**
   * Key ids (16 upper-case hex digits) and fingerprints (40) of every key and subkey whose
   * secret gpg-agent holds.
   */
  readonly secret: ReadonlySet<string>;
  /** Key ids of public keys whose keygrip keyz cannot compute: whether we hold them is unknown. */
  readonly undecided: ReadonlySet<string>;
  /** Key ids of every key read from the public keyring. */
  readonly known: ReadonlySet<string>;
  /** False when part of the public keyring could not be read (a key may be missing from `known`). */
  readonly complete: boolean;
  /** keyringStamp() of the GNUPGHOME, taken before it was read. */
  readonly stamp: string;
}

export type Ownership = "yours" | "not_yours" | "unknown";

/** The public keyring is read whole; a larger one is not read (then: "cannot tell"). */
const MAX_PUBRING_BYTES = 256 * 1024 * 1024;
/** Config files are read for a few option names only. */
const MAX_CONF_BYTES = 256 * 1024;
/** Enough for the session key packets of ~100 RSA-4096 recipients, or armored ~70. */
const HEAD_BYTES = 64 * 1024;

/**
 * The keys whose secret we hold, from a GNUPGHOME, or undefined when keyz cannot tell: no
 * secret key files at all (e.g. a forwarded gpg-agent holds them elsewhere), no public keyring,
 * gpg 2.4's keyboxd (`use-keyboxd`: keys in a SQLite database), or other keyrings named in
 * gpg.conf. Never throws.
 */
export function readSecretKeyring(gnupgHome: string): SecretKeyring | undefined {
  try {
    const names = homeNames(gnupgHome);
    if (!names) return undefined;
    const stamp = stampOf(gnupgHome, names);
    if (otherKeyrings(gnupgHome, names)) return undefined;
    const grips = names.has("private-keys-v1.d") ? secretKeygrips(gnupgHome) : undefined;
    if (!grips || grips.size === 0) return undefined;
    const pubring = readPubring(gnupgHome, names);
    if (!pubring) return undefined;
    const { keys, complete } = isKeybox(pubring) ? keyboxKeys(pubring) : keyringKeys(pubring);
    const secret = new Set<string>(), undecided = new Set<string>(), known = new Set<string>();
    for (const k of keys) {
      known.add(k.keyId);
      if (k.keygrip === undefined) undecided.add(k.keyId);
      else if (grips.has(k.keygrip)) {
        secret.add(k.keyId);
        secret.add(k.fingerprint);
      }
    }
    return { secret, undecided, known, complete, stamp };
  } catch {
    return undefined;
  }
}

/**
 * How many keys `gpg --list-secret-keys` would list (`sec`): primary keys of which we hold the
 * secret of the key or of one of its subkeys; subkeys are not keys of their own. Undefined when
 * keyz cannot read the keyrings (the same cases as readSecretKeyring). Never throws.
 */
export function countSecretKeys(
  gnupgHome: string,
): { keys: number; subkeys: number } | undefined {
  try {
    const names = homeNames(gnupgHome);
    if (!names || otherKeyrings(gnupgHome, names)) return undefined;
    const grips = names.has("private-keys-v1.d") ? secretKeygrips(gnupgHome) : undefined;
    if (!grips) return undefined;
    const pubring = readPubring(gnupgHome, names);
    if (!pubring) return grips.size === 0 ? { keys: 0, subkeys: 0 } : undefined;
    const { keys } = isKeybox(pubring) ? keyboxKeys(pubring) : keyringKeys(pubring);
    const held = new Set<string>();
    let primary = "", subkeys = 0;
    for (const k of keys) {
      if (k.primary) primary = k.fingerprint;
      const secret = k.keygrip !== undefined && grips.has(k.keygrip);
      if (!secret || !primary) continue;
      held.add(primary);
      if (!k.primary) subkeys++;
    }
    return { keys: held.size, subkeys };
  } catch {
    return undefined;
  }
}

/** A regular file's first `max` bytes (opening a FIFO would block), or undefined. */
function readHead(file: string, max: number): Uint8Array | undefined {
  try {
    if (!Deno.statSync(file).isFile) return undefined;
    const f = Deno.openSync(file, { read: true });
    try {
      const buf = new Uint8Array(Math.min(max, f.statSync().size));
      return buf.subarray(0, readFully(f, buf));
    } finally {
      f.close();
    }
  } catch {
    return undefined;
  }
}

/** Options that make gpg use keys other than the default keyring's. */
const OTHER_KEYRING_OPTION =
  /^[ \t]*(?:--)?(?:use-keyboxd|keyring|primary-keyring|no-default-keyring)(?:[ \t=]|$)/m;

function otherKeyrings(gnupgHome: string, names: Set<string>): boolean {
  for (const name of ["gpg.conf", "common.conf"]) {
    if (!names.has(name)) continue;
    const text = readHead(`${gnupgHome}/${name}`, MAX_CONF_BYTES);
    if (text && OTHER_KEYRING_OPTION.test(new TextDecoder().decode(text))) return true;
  }
  return false;
}

/** Keygrips (upper-case) of the files in private-keys-v1.d, or undefined if it is unreadable. */
function secretKeygrips(gnupgHome: string): Set<string> | undefined {
  const grips = new Set<string>();
  try {
    for (const e of Deno.readDirSync(`${gnupgHome}/private-keys-v1.d`)) {
      if (/^[0-9A-Fa-f]{40}\.key$/.test(e.name)) grips.add(e.name.slice(0, 40).toUpperCase());
    }
  } catch {
    return undefined;
  }
  return grips;
}

/**
 * pubring.kbx, else the legacy pubring.gpg (gpg's own order), or undefined if there is none or
 * it cannot be read whole.
 */
function readPubring(gnupgHome: string, names: Set<string>): Uint8Array | undefined {
  const name = ["pubring.kbx", "pubring.gpg"].find((n) => names.has(n));
  if (!name) return undefined;
  const file = `${gnupgHome}/${name}`;
  try {
    const size = Deno.statSync(file).size;
    if (size > MAX_PUBRING_BYTES) return undefined;
    const buf = readHead(file, size);
    return buf && buf.length === size ? buf : undefined;
  } catch {
    return undefined;
  }
}

function readFully(f: Deno.FsFile, buf: Uint8Array): number {
  let n = 0;
  while (n < buf.length) {
    const got = f.readSync(buf.subarray(n));
    if (got === null || got === 0) break;
    n += got;
  }
  return n;
}

function u32(buf: Uint8Array, pos: number): number {
  return buf[pos] * 0x1000000 + (buf[pos + 1] << 16) + (buf[pos + 2] << 8) + buf[pos + 3];
}

const KBX_MAGIC = [0x4b, 0x42, 0x58, 0x66]; // "KBXf"

/** A keybox starts with its header blob: length, type 1, version, flags, "KBXf". */
function isKeybox(buf: Uint8Array): boolean {
  return buf.length >= 12 && buf[4] === 1 && KBX_MAGIC.every((b, i) => buf[8 + i] === b);
}

/**
 * The keys of a keybox file (gnupg kbx/keybox-blob.c): a sequence of blobs, each starting with
 * its u32 length and type; an OpenPGP blob (type 2) holds the offset and length of its keyblock,
 * the key's packets as gpg exported them.
 */
function keyboxKeys(buf: Uint8Array): { keys: PublicKey[]; complete: boolean } {
  const keys: PublicKey[] = [];
  let complete = true;
  let pos = 0;
  // Every blob is at least 5 bytes long, so this ends.
  while (pos < buf.length) {
    if (pos + 5 > buf.length) return { keys, complete: false };
    const len = u32(buf, pos);
    if (len < 5 || pos + len > buf.length) return { keys, complete: false };
    const type = buf[pos + 4];
    if (type === 2) {
      const blob = buf.subarray(pos, pos + len);
      const version = blob[5];
      if (len < 16 || (version !== 1 && version !== 2)) complete = false;
      else {
        const off = u32(blob, 8), size = u32(blob, 12);
        if (off + size > len) complete = false;
        else {
          const block = keyringKeys(blob.subarray(off, off + size));
          keys.push(...block.keys);
          if (!block.complete) complete = false;
        }
      }
    }
    pos += len;
  }
  return { keys, complete };
}

/**
 * The key ids an entry (its `.gpg` bytes, binary or ASCII-armored; the first few KiB are
 * enough) is encrypted for; a hidden recipient or a passphrase is ANYONE. Undefined when the
 * bytes are not an encrypted message keyz can read. Never throws.
 */
export function recipientsOf(gpgBytes: Uint8Array): string[] | undefined {
  try {
    const binary = isArmored(gpgBytes) ? dearmor(gpgBytes) : gpgBytes;
    return binary ? messageRecipients(binary) : undefined;
  } catch {
    return undefined;
  }
}

const ARMOR_BEGIN = "-----BEGIN PGP MESSAGE-----";

const latin1 = new TextDecoder("latin1");

/** ASCII armor, maybe after blank space; a binary message starts with a byte >= 0x80. */
function isArmored(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes[0] >= 0x80) return false;
  return latin1.decode(bytes.subarray(0, 64)).trimStart().startsWith(ARMOR_BEGIN);
}

/**
 * The binary message inside ASCII armor: after the BEGIN line and its header lines, base64
 * lines up to the checksum (`=XXXX`) or END line. A prefix of a file gives a prefix of the
 * message, which is all recipientsOf needs.
 */
function dearmor(bytes: Uint8Array): Uint8Array | undefined {
  const lines = latin1.decode(bytes).trimStart().split(/\r?\n/);
  let i = 1;
  while (i < lines.length && lines[i].trim() !== "") i++; // armor headers (Version:, Comment:)
  let b64 = "";
  for (i++; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line.startsWith("=") || line.startsWith("-----")) break;
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(line)) return undefined;
    b64 += line;
  }
  b64 = b64.slice(0, b64.length - (b64.length % 4));
  try {
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

const head = new Uint8Array(HEAD_BYTES);

/**
 * recipientsOf for an entry file, reading at most its first HEAD_BYTES. Undefined if it is not
 * a regular file (a symlink to a FIFO must not block) or cannot be read.
 */
export function recipientsOfFile(file: string): string[] | undefined {
  try {
    const s = Deno.statSync(file);
    if (!s.isFile) return undefined;
    const f = Deno.openSync(file, { read: true });
    try {
      // Asking for no more than the size saves the read that would only report the end.
      return recipientsOf(head.subarray(0, readFully(f, head.subarray(0, s.size))));
    } finally {
      f.close();
    }
  } catch {
    return undefined;
  }
}

/**
 * "yours" if any recipient is a key we hold; "not_yours" if we know every recipient and hold
 * none; otherwise "unknown" (keyz then decrypts as before).
 */
export function ownershipOf(
  recipients: readonly string[] | undefined,
  keyring: SecretKeyring | undefined,
): Ownership {
  if (!recipients || recipients.length === 0 || !keyring) return "unknown";
  let unsure = false;
  for (const id of recipients) {
    if (keyring.secret.has(id)) return "yours";
    if (
      id === ANYONE || keyring.undecided.has(id) || (!keyring.complete && !keyring.known.has(id))
    ) unsure = true;
  }
  return unsure ? "unknown" : "not_yours";
}

/**
 * gpg's last word when no secret key fits (libgpg-error GPG_ERR_NO_SECKEY), e.g.
 * `gpg: decryption failed: No secret key`; gpg's own words before the colon may be translated.
 * Only whole lines from gpg count: a user id gpg quotes (a teammate chooses it) cannot match.
 */
const NO_SECRET_KEY_LINE = /^gpg2?: [^"\n]{1,200}: No secret key$/;

/** Whether `pass show` failed because no secret key we hold can decrypt the entry. */
export function isNoSecretKeyError(passStderr: string): boolean {
  return passStderr.slice(0, 64 * 1024).split("\n").some((l) =>
    NO_SECRET_KEY_LINE.test(l.trimEnd())
  );
}
