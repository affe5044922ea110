/**
 * How deep a JSONC text nests, found without a parser (trust rule 5): jsonc-parser and zod
 * recurse once per level, so 20 KB of `[` from a shared store would overflow the call stack of
 * every command. This scan is a loop; files nested deeper than a limit are skipped before any
 * parser sees them.
 */

/**
 * The offset of the first `{` or `[` that opens level `max + 1`, or undefined when the text
 * nests at most `max` levels. Brackets inside strings and comments do not count.
 */
export function depthExceededAt(text: string, max: number): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22 || d === 0x0a) break;
      }
    } else if (c === 0x2f /* / */ && text.charCodeAt(i + 1) === 0x2f) {
      const end = text.indexOf("\n", i);
      i = end < 0 ? text.length : end;
    } else if (c === 0x2f && text.charCodeAt(i + 1) === 0x2a /* * */) {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > max) return i;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}
