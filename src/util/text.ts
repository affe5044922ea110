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
