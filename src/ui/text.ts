/** Text fitted to terminal cells (widths from src/util/cells.ts: CJK and emoji take two). */
import { cells as width, charCells as charWidth } from "../util/cells.ts";
import { escapeTerminal } from "../util/text.ts";

export { charWidth, width };

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

/** The last at most `max` cells, starting with "…" when something was cut (an edit field's end). */
export function truncateStart(s: string, max: number): string {
  if (max <= 0) return "";
  if (width(s) <= max) return s;
  const chars = [...s];
  let out = "";
  let w = 0;
  for (let i = chars.length - 1; i >= 0; i--) {
    const cw = charWidth(chars[i]);
    if (w + cw > max - 1) break;
    out = chars[i] + out;
    w += cw;
  }
  return "…" + out;
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

/**
 * Data as display text (a sidecar note or a path may hold anything): controls and bidi
 * overrides shown as visible escapes (escapeTerminal), so a line stays one line of `width`.
 */
export function clean(s: string): string {
  return escapeTerminal(s);
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
