// Terminal input decoding (src/ui/keyboard.ts): sequences split across reads, modifiers,
// bracketed paste, and what a lone ESC is once nothing follows.
import { assertEquals } from "./support/assert.ts";
import { decodeKeys, type Key, keyId } from "../src/ui/keyboard.ts";

/** Feed reads one by one as the runner does (keeping the unfinished rest), then time out. */
function reads(...chunks: string[]): { keys: string[]; waited: (string | undefined)[] } {
  const keys: string[] = [];
  const waited: (string | undefined)[] = [];
  let pending = "";
  for (const chunk of chunks) {
    const d = decodeKeys(pending + chunk);
    keys.push(...d.keys.map(show));
    pending = d.rest;
    waited.push(d.waiting);
  }
  keys.push(...decodeKeys(pending, true).keys.map(show));
  return { keys, waited };
}
const show = (k: Key) => k.name === "paste" ? `paste:${JSON.stringify(k.text)}` : keyId(k);

Deno.test("keys: arrows, SS3, vim letters, Enter, Backspace, Tab, Ctrl letters", () => {
  assertEquals(reads("\x1b[A\x1b[B\x1bOC\x1b[D").keys, ["up", "down", "right", "left"]);
  assertEquals(reads("jk\r\n\x7f\b\t").keys, [
    "j",
    "k",
    "enter",
    "enter",
    "backspace",
    "backspace",
    "tab",
  ]);
  assertEquals(reads("\x03\x15\x17\x01\x1c\x1f").keys, [
    "ctrl+c",
    "ctrl+u",
    "ctrl+w",
    "ctrl+a",
    "ctrl+\\",
    "ctrl+_",
  ]);
  assertEquals(reads("\x1b[H\x1b[F\x1b[1~\x1b[4~\x1b[5~\x1b[6~\x1b[3~\x1b[2~").keys, [
    "home",
    "end",
    "home",
    "end",
    "pageup",
    "pagedown",
    "delete",
    "insert",
  ]);
  assertEquals(reads("é中🚀 G").keys, ["é", "中", "🚀", " ", "G"]);
  assertEquals(reads("a\u009bb").keys, ["a", "b"], "C1 controls are never keys");
  assertEquals(reads("\x1b[15~\x1b[I\x1b[?1;2cq").keys, ["q"], "unused sequences skipped whole");
});

Deno.test("keys: a sequence split across reads is one key; a lone ESC waits, then is Escape", () => {
  assertEquals(reads("\x1b", "[A").keys, ["up"]);
  assertEquals(reads("\x1b", "[A").waited, ["sequence", undefined]);
  assertEquals(reads("j\x1b", "[", "1;5", "B").keys, ["j", "ctrl+down"]);
  assertEquals(reads("\x1bO", "A").keys, ["up"]);
  assertEquals(reads("\x1b[5", "~").keys, ["pageup"]);
  // Nothing followed: Escape, and what was typed after it stays what it was.
  assertEquals(reads("\x1b").keys, ["escape"]);
  assertEquals(reads("\x1b").waited, ["sequence"]);
  assertEquals(decodeKeys("\x1b[", true).keys.map(show), ["escape", "["]);
  assertEquals(reads("\x1b\x1b").keys, ["escape", "escape"]);
  assertEquals(reads("\x1b\x1b[A").keys, ["escape", "up"]);
});

Deno.test("keys: modifiers are kept (Shift-Tab, Ctrl and Shift arrows, Alt letters)", () => {
  assertEquals(reads("\x1b[Z").keys, ["shift+tab"]);
  assertEquals(reads("\x1b[1;5A\x1b[1;2B\x1b[1;3C\x1b[1;6D").keys, [
    "ctrl+up",
    "shift+down",
    "meta+right",
    "ctrl+shift+left",
  ]);
  assertEquals(reads("\x1b[5;5~\x1b[3;2~").keys, ["ctrl+pageup", "shift+delete"]);
  assertEquals(reads("\x1bx\x1bX\x1b\x7f\x1b\r").keys, [
    "meta+x",
    "meta+X",
    "meta+backspace",
    "meta+enter",
  ]);
  // CSI u (kitty, xterm modifyOtherKeys): a character or named key with its modifiers.
  assertEquals(reads("\x1b[99;5u\x1b[9;2u\x1b[13u\x1b[65;2u").keys, [
    "ctrl+c",
    "shift+tab",
    "enter",
    "A",
  ]);
});

Deno.test("keys: bracketed paste is one event, across reads, never read as keys", () => {
  assertEquals(reads("\x1b[200~sk-or-v1-ab\r\ncd\x1b[A\x1b[201~q").keys, [
    'paste:"sk-or-v1-ab\\r\\ncd\\u001b[A"',
    "q",
  ]);
  const split = reads("\x1b[200~hel", "lo wor", "ld\x1b[2", "01~", "j");
  assertEquals(split.keys, ['paste:"hello world"', "j"]);
  assertEquals(split.waited, ["paste", "paste", "paste", undefined, undefined]);
  assertEquals(reads("\x1b[20", "0~x\x1b[201~").keys, ['paste:"x"']);
  // A paste whose end never comes is taken as it stands when the wait is over.
  assertEquals(reads("\x1b[200~abc").keys, ['paste:"abc"']);
  assertEquals(reads("\x1b[200~\x1b[201~").keys, ['paste:""']);
});
