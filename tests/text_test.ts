// Terminal text: data can never move the cursor, set the title or forge a line (trust rule 4).
import { assertEquals } from "./support/assert.ts";
import { escapeTerminal } from "../src/util/text.ts";

Deno.test("escapeTerminal: C0, C1, DEL and bidi controls become visible escapes", () => {
  assertEquals(escapeTerminal("plain/path-1 ü 漢字 🚀"), "plain/path-1 ü 漢字 🚀");
  assertEquals(escapeTerminal("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  assertEquals(escapeTerminal("\x1b]52;c;aGk=\x07"), "\\x1b]52;c;aGk=\\x07");
  assertEquals(escapeTerminal("\x1b[2J\x7f\x9b31m"), "\\x1b[2J\\x7f\\x9b31m");
  assertEquals(escapeTerminal("evil\u202etxt.exe\u2066\u200f"), "evil\\u202etxt.exe\\u2066\\u200f");
  // Nothing escaped leaves no control character behind.
  for (let c = 0; c < 0x2070; c++) {
    const out = escapeTerminal(`x${String.fromCharCode(c)}y`);
    // deno-lint-ignore no-control-regex
    assertEquals(/[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]/.test(out), false);
  }
});
