/**
 * Terminal cells a string takes: the one measure for the browser's frames and every CLI table.
 * Wide and fullwidth characters (CJK, Hangul, emoji such as 🚀 ✅ ⌛) take two cells, per
 * Unicode's East Asian Width as the npm package get-east-asian-width classifies them
 * (ambiguous ones count as narrow, as terminals draw them by default); combining marks,
 * zero-width joiners, variation selectors and controls take none; everything else one.
 *
 * The wide code points come from a table generated from the package (wide_ranges.ts, by
 * scripts/gen_cells.ts, checked against it by tests/cells_test.ts): importing the package when
 * keyz runs would cost every start of `ls` and the browser Deno's npm set-up (~12 ms of CPU).
 */
import { WIDE } from "./wide_ranges.ts";

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cc}\p{Default_Ignorable_Code_Point}]$/u;

function isWide(c: number): boolean {
  let lo = 0, hi = WIDE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < WIDE[mid][0]) hi = mid - 1;
    else if (c > WIDE[mid][1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Cells of one code point (a string of one character). */
export function charCells(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c < 0x7f) return c < 0x20 ? 0 : 1;
  if (ZERO_WIDTH.test(ch)) return 0;
  return c >= WIDE[0][0] && isWide(c) ? 2 : 1;
}

/** Printable ASCII only: one cell per character. */
const PLAIN = /^[\x20-\x7e]*$/;

/** Cells of a string: the sum over its code points (plain ASCII is its length). */
export function cells(s: string): number {
  // The regex engine checks the common case natively; a character loop runs interpreted until
  // the JIT warms up, which was a third of `keyz ls` on 10,000 keys.
  if (PLAIN.test(s)) return s.length;
  let w = 0;
  for (const ch of s) w += charCells(ch);
  return w;
}
