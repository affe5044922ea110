/**
 * The few OpenPGP packets keyz reads itself (RFC 4880, RFC 9580), never decrypting anything:
 * the recipients named at the start of an encrypted message, and the public keys of a keyring.
 * The bytes are untrusted (a teammate commits the .gpg files): every length is checked against
 * the buffer, every loop advances and is bounded, and nothing here throws on garbage.
 */
import { createHash } from "node:crypto";
import { keygripOf } from "./keygrip.ts";

const TAG_PKESK = 1;
const TAG_SKESK = 3;
const TAG_PUBLIC_KEY = 6;
const TAG_SED = 9;
const TAG_MARKER = 10;
const TAG_PUBLIC_SUBKEY = 14;
const TAG_SEIPD = 18;
const TAG_AEAD = 20;
const TAG_PADDING = 21;

/** The key id gpg writes for a hidden recipient (`--throw-keyids`, `--hidden-recipient`). */
export const ANYONE = "0000000000000000";

/** Session key packets before the encrypted data: a hundred recipients is a large team. */
const MAX_SESSION_PACKETS = 1000;
/** A session key packet for RSA-16384 is about 2 KiB; post-quantum ones stay below 4 KiB. */
const MAX_SESSION_PACKET_BODY = 16 * 1024;

interface Header {
  tag: number;
  /** Where the body (its first chunk, for partial lengths) starts. */
  bodyStart: number;
  /** Length of the body, or of its first chunk when `partial`. */
  length: number;
  partial: boolean;
  /** Old format length type 3: the body runs to the end of the data. */
  indeterminate: boolean;
}

function u32(buf: Uint8Array, pos: number): number {
  return buf[pos] * 0x1000000 + (buf[pos + 1] << 16) + (buf[pos + 2] << 8) + buf[pos + 3];
}

/** A new-format body length at `pos` (RFC 9580 4.2.1), or undefined if it does not fit. */
function newLength(
  buf: Uint8Array,
  pos: number,
): { length: number; partial: boolean; next: number } | undefined {
  if (pos >= buf.length) return undefined;
  const o = buf[pos];
  if (o < 192) return { length: o, partial: false, next: pos + 1 };
  if (o < 224) {
    if (pos + 2 > buf.length) return undefined;
    return { length: ((o - 192) << 8) + buf[pos + 1] + 192, partial: false, next: pos + 2 };
  }
  if (o < 255) return { length: 2 ** (o & 0x1f), partial: true, next: pos + 1 };
  if (pos + 5 > buf.length) return undefined;
  return { length: u32(buf, pos + 1), partial: false, next: pos + 5 };
}

/** The packet header at `pos` (old or new format), or undefined if there is none. */
function headerAt(buf: Uint8Array, pos: number): Header | undefined {
  if (pos >= buf.length) return undefined;
  const ctb = buf[pos];
  if ((ctb & 0x80) === 0) return undefined;
  if (ctb & 0x40) {
    const len = newLength(buf, pos + 1);
    if (!len) return undefined;
    return {
      tag: ctb & 0x3f,
      bodyStart: len.next,
      length: len.length,
      partial: len.partial,
      indeterminate: false,
    };
  }
  const tag = (ctb >> 2) & 0x0f;
  const type = ctb & 3;
  if (type === 3) {
    return {
      tag,
      bodyStart: pos + 1,
      length: buf.length - pos - 1,
      partial: false,
      indeterminate: true,
    };
  }
  const n = 1 << type;
  if (pos + 1 + n > buf.length) return undefined;
  let length = 0;
  for (let i = 0; i < n; i++) length = length * 256 + buf[pos + 1 + i];
  return { tag, bodyStart: pos + 1 + n, length, partial: false, indeterminate: false };
}

interface Packet {
  tag: number;
  body: Uint8Array;
  /** Offset of the next packet. */
  next: number;
}

/**
 * The whole packet at `pos`, partial body lengths joined, or undefined if it is malformed, runs
 * past the data, has an indeterminate length or a body above `maxBody` bytes.
 */
function packetAt(buf: Uint8Array, pos: number, maxBody: number): Packet | undefined {
  const h = headerAt(buf, pos);
  if (!h || h.indeterminate) return undefined;
  if (!h.partial) {
    const end = h.bodyStart + h.length;
    if (h.length > maxBody || end > buf.length) return undefined;
    return { tag: h.tag, body: buf.subarray(h.bodyStart, end), next: end };
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  let at = h.bodyStart;
  let len: { length: number; partial: boolean; next: number } | undefined = {
    length: h.length,
    partial: true,
    next: h.bodyStart,
  };
  // Every chunk is at least one byte and the total is capped, so this ends.
  for (;;) {
    total += len.length;
    if (total > maxBody || at + len.length > buf.length) return undefined;
    chunks.push(buf.subarray(at, at + len.length));
    at += len.length;
    if (!len.partial) break;
    len = newLength(buf, at);
    if (!len) return undefined;
    at = len.next;
  }
  const body = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    body.set(c, o);
    o += c.length;
  }
  return { tag: h.tag, body, next: at };
}

export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += (b < 16 ? "0" : "") + b.toString(16);
  return s.toUpperCase();
}

/**
 * The key id a Public-Key Encrypted Session Key packet names: v3 carries the key id (all zeros
 * for a hidden recipient), v6 the key's version and fingerprint (none for a hidden one). A
 * packet keyz cannot read names ANYONE: someone it cannot identify.
 */
function pkeskRecipient(body: Uint8Array): string {
  if (body[0] === 3 && body.length >= 10) return toHex(body.subarray(1, 9));
  if (body[0] === 6 && body.length >= 2) {
    const n = body[1];
    if (n === 0 || body.length < 2 + n) return ANYONE;
    const fpr = body.subarray(3, 2 + n);
    if (body[2] === 4 && fpr.length === 20) return toHex(fpr.subarray(12));
    if ((body[2] === 5 || body[2] === 6) && fpr.length === 32) return toHex(fpr.subarray(0, 8));
  }
  return ANYONE;
}

/**
 * The key ids an encrypted message is encrypted for, read from the session key packets before
 * its encrypted data (only their headers are needed, so a prefix of the file is enough). A
 * passphrase (SKESK) or a hidden recipient is listed as ANYONE. Undefined when the bytes are
 * not such a message, or end before its encrypted data starts.
 */
export function messageRecipients(buf: Uint8Array): string[] | undefined {
  const ids = new Set<string>();
  let pos = 0;
  for (let n = 0; n < MAX_SESSION_PACKETS; n++) {
    const h = headerAt(buf, pos);
    if (!h) return undefined;
    if (h.tag === TAG_SEIPD || h.tag === TAG_SED || h.tag === TAG_AEAD) {
      return ids.size > 0 ? [...ids] : undefined;
    }
    if (
      h.tag !== TAG_PKESK && h.tag !== TAG_SKESK && h.tag !== TAG_MARKER && h.tag !== TAG_PADDING
    ) {
      return undefined;
    }
    const p = packetAt(buf, pos, MAX_SESSION_PACKET_BODY);
    if (!p) return undefined;
    if (p.tag === TAG_PKESK) ids.add(pkeskRecipient(p.body));
    else if (p.tag === TAG_SKESK) ids.add(ANYONE);
    pos = p.next;
  }
  return undefined;
}

/** A key or subkey of a keyring. */
export interface PublicKey {
  /** 16 upper-case hex digits. */
  keyId: string;
  /** 40 upper-case hex digits. */
  fingerprint: string;
  /**
   * As gpg-agent names the secret key file; undefined for algorithms, curves and key versions
   * whose keygrip keyz does not compute.
   */
  keygrip: string | undefined;
  /** A primary key (gpg's `pub`/`sec`); absent for a subkey (`sub`/`ssb`). */
  primary?: true;
}

/**
 * A v4 public key packet body. v3 keys gpg 2.1 and later ignore; v5 (LibrePGP, gpg 2.5) and v6
 * (RFC 9580) keys give undefined: gpg 2.2 cannot make them, so nothing about them was checked.
 */
export function parsePublicKey(body: Uint8Array): PublicKey | undefined {
  const version = body[0];
  if (version === 4 && body.length >= 6 && body.length <= 0xffff) {
    const fpr = createHash("sha1")
      .update(Uint8Array.of(0x99, body.length >> 8, body.length & 0xff))
      .update(body)
      .digest();
    const fingerprint = toHex(fpr);
    return {
      keyId: fingerprint.slice(24),
      fingerprint,
      keygrip: keygripOf(body[5], body.subarray(6)),
    };
  }
  return undefined;
}

/** The largest packet in a keyring keyz will look at (a public key; photo ids are skipped). */
const MAX_KEY_PACKET_BODY = 64 * 1024;

/**
 * The public keys and subkeys in a sequence of OpenPGP packets: a keybox keyblock or a legacy
 * pubring.gpg. `complete` is false when some packet could not be read, so a key may be missing
 * from `keys` (a v5 or v6 key makes it incomplete). v3 keys are skipped as gpg skips them.
 */
export function keyringKeys(buf: Uint8Array): { keys: PublicKey[]; complete: boolean } {
  const keys: PublicKey[] = [];
  let pos = 0;
  // Every packet has a header of at least two bytes, so this ends.
  while (pos < buf.length) {
    const h = headerAt(buf, pos);
    if (!h || h.partial || h.indeterminate) return { keys, complete: false };
    const end = h.bodyStart + h.length;
    if (end > buf.length) return { keys, complete: false };
    if (h.tag === TAG_PUBLIC_KEY || h.tag === TAG_PUBLIC_SUBKEY) {
      if (h.length > MAX_KEY_PACKET_BODY) return { keys, complete: false };
      const body = buf.subarray(h.bodyStart, end);
      const key = parsePublicKey(body);
      if (key) keys.push(h.tag === TAG_PUBLIC_KEY ? { ...key, primary: true } : key);
      else if (body[0] !== 3) return { keys, complete: false };
    }
    pos = end;
  }
  return { keys, complete: true };
}
