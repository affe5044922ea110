/**
 * Redaction (trust rule 3): every string keyz stores or prints that came from a response or an
 * error passes through the run's Redactor BEFORE it is shortened, quoted or case-changed.
 *
 * - Case-insensitive: a provider that upper- or lower-cases a key (or a URL parser that
 *   lower-cases a host) does not get it past.
 * - Fragments: any run of MIN_FRAGMENT or more consecutive characters of a secret is replaced
 *   too, so a cut-off key (a 40-character prefix, all but the last character) is caught.
 *
 * Why 12: keys are random from a 62-64 symbol alphabet, so 12 characters carry about 70 bits,
 * far more than anyone can guess; what a provider legitimately shows of a key is shorter (the
 * last 4 characters, "sk-...abcd"). A longer minimum would let a 40-character prefix of a key
 * with a long public prefix slip by in pieces; a shorter one would start redacting ordinary
 * words that happen to occur in a key. Secrets shorter than 12 characters are replaced only
 * whole (and only from 4 characters on, as a shorter one would match everywhere).
 */
export const MIN_FRAGMENT = 12;
const MIN_WHOLE = 4;
export const REDACTED = "[redacted]";

/** ASCII letters folded to lower case, one UTF-16 unit for one (so indices stay aligned). */
function fold(text: string): string {
  let out: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) {
      out ??= text.slice(0, i);
      out += String.fromCharCode(c + 32);
    } else if (out !== undefined) out += text[i];
  }
  return out ?? text;
}

export class Redactor {
  /** Every MIN_FRAGMENT-long window of every long secret, folded. */
  readonly #windows = new Set<string>();
  /** Secrets too short for windows, folded. */
  readonly #short = new Set<string>();
  readonly #secrets: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    for (const s of secrets) this.#add(s);
  }

  #add(secret: string): void {
    const s = fold(secret.trim());
    if (s.length < MIN_WHOLE || this.#secrets.includes(s)) return;
    this.#secrets.push(s);
    if (s.length < MIN_FRAGMENT) this.#short.add(s);
    else {for (let i = 0; i + MIN_FRAGMENT <= s.length; i++) {
        this.#windows.add(s.slice(i, i + MIN_FRAGMENT));
      }}
  }

  /** A redactor that also knows these secrets. */
  with(secrets: Iterable<string>): Redactor {
    const r = new Redactor();
    for (const s of this.#secrets) r.#add(s);
    for (const s of secrets) r.#add(s);
    return r;
  }

  /** A copy of a flat object with every string field redacted (figures, error records). */
  redactStrings<T extends object>(o: T): T {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = typeof v === "string" ? this.redact(v) : v;
    return out as T;
  }

  get empty(): boolean {
    return this.#secrets.length === 0;
  }

  /** The text with every secret, and every long fragment of one, replaced by [redacted]. */
  redact(text: string): string {
    if (this.empty || text.length < MIN_WHOLE) return text;
    const folded = fold(text);
    const ranges: [number, number][] = [];
    if (this.#windows.size > 0) {
      for (let i = 0; i + MIN_FRAGMENT <= folded.length; i++) {
        if (this.#windows.has(folded.slice(i, i + MIN_FRAGMENT))) {
          ranges.push([i, i + MIN_FRAGMENT]);
        }
      }
    }
    for (const s of this.#short) {
      for (let at = folded.indexOf(s); at >= 0; at = folded.indexOf(s, at + 1)) {
        ranges.push([at, at + s.length]);
      }
    }
    if (ranges.length === 0) return text;
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [start, end] of ranges) {
      const last = merged.at(-1);
      if (last && start <= last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    let out = "";
    let pos = 0;
    for (const [start, end] of merged) {
      out += text.slice(pos, start) + REDACTED;
      pos = end;
    }
    return out + text.slice(pos);
  }
}

/** The redactor that knows no secret. */
export const NO_SECRETS: Redactor = new Redactor();
