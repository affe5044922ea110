/**
 * Terminal cells a string takes: the one measure for the browser's frames and every CLI table.
 * Wide and fullwidth characters (CJK, emoji such as 🚀 ✅ ⌛) take two cells, per Unicode's
 * East Asian Width (the npm package get-east-asian-width; ambiguous ones count as narrow, as
 * terminals draw them by default); combining marks, zero-width joiners, variation selectors
 * and controls take none; everything else one.
 */
import { eastAsianWidth } from "get-east-asian-width";

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cc}\p{Default_Ignorable_Code_Point}]$/u;

/** Cells of one code point (a string of one character). */
export function charCells(ch: string): number {
  const c = ch.codePointAt(0)!;
  if (c < 0x7f) return c < 0x20 ? 0 : 1;
  if (ZERO_WIDTH.test(ch)) return 0;
  return eastAsianWidth(c);
}

/** Cells of a string: the sum over its code points (plain ASCII is its length). */
export function cells(s: string): number {
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f) break;
    i++;
  }
  if (i === s.length) return i;
  let w = i;
  for (const ch of s.slice(i)) w += charCells(ch);
  return w;
}
