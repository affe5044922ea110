/** Terminal cell widths: wide (CJK, fullwidth) characters take two cells, controls none. */

function isWide(c: number): boolean {
  return (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
    (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1f64f) ||
    (c >= 0x1f900 && c <= 0x1f9ff) || (c >= 0x20000 && c <= 0x3fffd);
}

export function charWidth(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c < 0x20 || (c >= 0x7f && c < 0xa0)) return 0;
  if (c >= 0x300 && c <= 0x36f) return 0; // combining marks
  return isWide(c) ? 2 : 1;
}

export function width(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

/** Cut to at most `max` cells, ending with "…" when something was cut. */
export function truncate(s: string, max: number): string {
  if (max <= 0) return "";
  if (width(s) <= max) return s;
  let out = "";
  let w = 0;
  for (const ch of s) {
    const cw = charWidth(ch);
    if (w + cw > max - 1) break;
    out += ch;
    w += cw;
  }
  return out + "…";
}

/** Exactly `n` cells: cut or padded with spaces on the right. */
export function fit(s: string, n: number): string {
  const t = truncate(s, n);
  return t + " ".repeat(Math.max(0, n - width(t)));
}

/** Exactly `n` cells, padded on the left. */
export function fitRight(s: string, n: number): string {
  const t = truncate(s, n);
  return " ".repeat(Math.max(0, n - width(t))) + t;
}

/** Replace control characters (a sidecar note may hold anything) so a line stays one line. */
export function clean(s: string): string {
  // deno-lint-ignore no-control-regex
  return s.replace(/[\x00-\x1f\x7f-\x9f]+/g, " ");
}

/**
 * Break text into lines of at most `max` cells at spaces (a longer word is cut), keeping at
 * most `lines` lines; the last one ends with "…" when text was left over.
 */
export function wrap(s: string, max: number, lines: number): string[] {
  if (max <= 0 || lines <= 0) return [];
  const out: string[] = [];
  let current = "";
  const words = s.split(" ").filter((w) => w !== "");
  for (let i = 0; i < words.length; i++) {
    let word = words[i];
    while (width(word) > max) {
      // A word longer than a line: fill what is left of this line, carry the rest over.
      const room = current ? max - width(current) - 1 : max;
      let head = "";
      for (const ch of word) {
        if (width(head) + charWidth(ch) > room) break;
        head += ch;
      }
      if (!head) {
        out.push(current);
        current = "";
        continue;
      }
      out.push(current ? `${current} ${head}` : head);
      current = "";
      word = word.slice(head.length);
    }
    const next = current ? `${current} ${word}` : word;
    if (width(next) <= max) current = next;
    else {
      out.push(current);
      current = word;
    }
  }
  if (current || out.length === 0) out.push(current);
  if (out.length <= lines) return out;
  const kept = out.slice(0, lines);
  kept[lines - 1] = truncate(`${kept[lines - 1]}…`, max);
  return kept;
}
