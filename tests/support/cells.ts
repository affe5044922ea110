/**
 * Terminal cells measured without the code under test (src/util/cells.ts): a hand-written
 * table of every non-ASCII character the browser draws and the tests' data use, as xterm and
 * tmux draw them. A character missing here fails the test instead of being guessed.
 */
const TWO = [..."🚀✅⌛中文团队主要钥匙密钥한국어"];
const ZERO = ["\u0301", "\u200d", "\ufe0f"];
const ONE = [..."›▾▸…│─✗✓↓⧗·↻▏▁▂▃▄▅▆▇█⏎←→↑↓é"];

export function measure(text: string): number {
  let n = 0;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x20 && c < 0x7f) n += 1;
    else if (TWO.includes(ch)) n += 2;
    else if (ZERO.includes(ch)) n += 0;
    else if (ONE.includes(ch)) n += 1;
    else throw new Error(`no known width for U+${c.toString(16)} in ${JSON.stringify(text)}`);
  }
  return n;
}
