/** Text safe for one line of output: control characters become spaces, length is capped. */
export function oneLine(text: string, max = 200): string {
  let out = "";
  let space = false;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    const control = c < 0x20 || c === 0x7f;
    if (control) {
      if (!space) out += " ";
      space = true;
    } else {
      out += ch;
      space = false;
    }
  }
  return out.trim().slice(0, max);
}

export function hasControlChars(text: string): boolean {
  return [...text].some((ch) => {
    const c = ch.codePointAt(0)!;
    return c < 0x20 || c === 0x7f;
  });
}

/**
 * Bidirectional-text controls: they reorder what follows on the line, so a name can display
 * as something else (trust rule 4). U+202A-U+202E, U+2066-U+2069, and the marks U+200E/U+200F.
 */
function isBidiControl(c: number): boolean {
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c === 0x200e ||
    c === 0x200f;
}

/**
 * Text from data (names, labels, notes, errors) made safe for a terminal: C0 and C1 controls,
 * DEL and bidi controls become visible escapes (`\n`, `\t`, `\r`, `\xNN`, `\uNNNN`), so data
 * can neither move the cursor, set the title or clipboard, nor forge a line of output. Apply
 * it where data becomes display text; JSON output stays exact JSON.
 */
export function escapeTerminal(text: string): string {
  let out: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const control = c < 0x20 || (c >= 0x7f && c <= 0x9f);
    if (!control && !isBidiControl(c)) {
      if (out !== undefined) out += text[i];
      continue;
    }
    out ??= text.slice(0, i);
    if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else if (control) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return out ?? text;
}
