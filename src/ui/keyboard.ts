/**
 * Terminal input → key events. Pure, so it is unit-tested: the runner hands it what it read
 * (after any unfinished tail of the last read) and keeps the new unfinished tail. A read that
 * ends inside an escape sequence (a lone ESC, `ESC [`, or a bracketed paste without its end)
 * is not guessed at: it waits for the next read, or for a short timeout, after which
 * `decodeKeys(rest, true)` says what it was (a lone ESC is then the Escape key).
 */
import { TERM } from "../util/ansi.ts";

export type KeyName =
  | "up"
  | "down"
  | "left"
  | "right"
  | "home"
  | "end"
  | "pageup"
  | "pagedown"
  | "insert"
  | "delete"
  | "enter"
  | "escape"
  | "backspace"
  | "tab"
  /** A character; with `ctrl`, a control key such as Ctrl-C (ch "c"). */
  | "char"
  /** Text pasted while bracketed paste is on (`text`), never read as keys. */
  | "paste";

export interface Key {
  name: KeyName;
  /** The character, for name "char". */
  ch?: string;
  /** The pasted text, exactly as it arrived, for name "paste". */
  text?: string;
  ctrl?: boolean;
  /** Alt (Option), sent as ESC before the key or as a modifier parameter. */
  meta?: boolean;
  /** Shift on a named key (Shift-Tab, Shift-Up); a shifted character is just that character. */
  shift?: boolean;
}

export interface Decoded {
  keys: Key[];
  /** An unfinished sequence at the end of the input, to put before the next read. */
  rest: string;
  /** What `rest` waits for: the rest of a key's sequence (briefly), or the end of a paste. */
  waiting?: "sequence" | "paste";
}

/** Turn bracketed paste on (on entering the browser) and off (on every way out). */
const PASTE_START = TERM.pasteStart;
const PASTE_END = TERM.pasteEnd;

const CSI_LETTER: Record<string, KeyName> = {
  A: "up",
  B: "down",
  C: "right",
  D: "left",
  H: "home",
  F: "end",
};

const CSI_TILDE: Record<string, KeyName> = {
  "1": "home",
  "2": "insert",
  "3": "delete",
  "4": "end",
  "5": "pageup",
  "6": "pagedown",
  "7": "home",
  "8": "end",
};

/** Keys from the code points of CSI u (`ESC [ code ; mods u`) that have names. */
const CSI_U: Record<number, KeyName> = { 9: "tab", 13: "enter", 27: "escape", 127: "backspace" };

/**
 * Decode terminal input into keys. `final`: nothing more is coming soon, so an unfinished
 * sequence is taken as it stands (a lone ESC is Escape, an unterminated paste is pasted).
 */
export function decodeKeys(input: string, final = false): Decoded {
  const keys: Key[] = [];
  let i = 0;
  while (i < input.length) {
    if (input[i] !== "\x1b") {
      const cp = input.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      const key = plainKey(ch);
      if (key) keys.push(key);
      i += ch.length;
      continue;
    }
    if (input.startsWith(PASTE_START, i)) {
      const end = input.indexOf(PASTE_END, i + PASTE_START.length);
      if (end < 0 && !final) return { keys, rest: input.slice(i), waiting: "paste" };
      const stop = end < 0 ? input.length : end;
      keys.push({ name: "paste", text: input.slice(i + PASTE_START.length, stop) });
      i = end < 0 ? input.length : end + PASTE_END.length;
      continue;
    }
    const seq = escapeSequence(input, i);
    if (seq === "unfinished") {
      if (!final) return { keys, rest: input.slice(i), waiting: "sequence" };
      // Nothing followed in time: the user pressed Escape (then whatever came with it).
      keys.push({ name: "escape" });
      i++;
      continue;
    }
    if (seq.key) keys.push(seq.key);
    i += seq.length;
  }
  return { keys, rest: "" };
}

/**
 * The key an escape sequence at `at` stands for (undefined: a sequence we do not use, still
 * skipped whole), or "unfinished" when the input ends before the sequence does.
 */
function escapeSequence(
  s: string,
  at: number,
): { key?: Key; length: number } | "unfinished" {
  const next = s[at + 1];
  if (next === undefined) return "unfinished";
  if (next === "[") {
    // CSI: parameters, intermediates, one final byte.
    let j = at + 2;
    while (j < s.length && /[0-9;:<=>?]/.test(s[j])) j++;
    while (j < s.length && /[ -/]/.test(s[j])) j++;
    if (j >= s.length) return "unfinished";
    const final = s[j];
    if (!/[@-~]/.test(final)) return { key: { name: "escape" }, length: 1 };
    return { key: csiKey(s.slice(at + 2, j), final), length: j + 1 - at };
  }
  if (next === "O") {
    // SS3: application-mode cursor keys (ESC O A) and Home/End.
    const final = s[at + 2];
    if (final === undefined) return "unfinished";
    const name = CSI_LETTER[final];
    return { key: name ? { name } : undefined, length: 3 };
  }
  if (next === "\x1b") return { key: { name: "escape" }, length: 1 };
  // ESC then a key: that key with Alt.
  const cp = s.codePointAt(at + 1)!;
  const ch = String.fromCodePoint(cp);
  const key = plainKey(ch);
  return { key: key && { ...key, meta: true }, length: 1 + ch.length };
}

/** A CSI sequence's key, with the modifiers of its second parameter (xterm: 1 + bits). */
function csiKey(params: string, final: string): Key | undefined {
  const [first = "", mods = ""] = params.split(";");
  let key: Key | undefined;
  if (final === "Z") key = { name: "tab", shift: true };
  else if (final === "~") key = CSI_TILDE[first] ? { name: CSI_TILDE[first] } : undefined;
  else if (final === "u") {
    const code = Number(first.split(":")[0]);
    const name = CSI_U[code];
    if (name) key = { name };
    else if (Number.isInteger(code) && code >= 0x20 && code <= 0x10ffff) {
      key = { name: "char", ch: String.fromCodePoint(code) };
    }
  } else if (CSI_LETTER[final]) key = { name: CSI_LETTER[final] };
  if (!key) return undefined;
  const bits = Number(mods.split(":")[0]) - 1;
  if (Number.isInteger(bits) && bits > 0) {
    if (bits & 1 && key.name !== "char") key.shift = true;
    if (bits & 2 || bits & 8) key.meta = true;
    if (bits & 4) key.ctrl = true;
  }
  return key;
}

/** The key of one character read outside an escape sequence (undefined: ignored). */
function plainKey(ch: string): Key | undefined {
  const c = ch.codePointAt(0)!;
  if (c === 0x0d || c === 0x0a) return { name: "enter" };
  if (c === 0x09) return { name: "tab" };
  if (c === 0x7f || c === 0x08) return { name: "backspace" };
  if (c === 0x00) return { name: "char", ch: " ", ctrl: true };
  // Ctrl-A..Ctrl-Z are 0x01-0x1a; Ctrl-\ ] ^ _ are 0x1c-0x1f.
  if (c < 0x20) {
    return { name: "char", ch: String.fromCharCode(c + (c <= 0x1a ? 0x60 : 0x40)), ctrl: true };
  }
  if (c >= 0x80 && c <= 0x9f) return undefined; // C1 controls: never typed
  return { name: "char", ch };
}

/**
 * A key as one string, for key maps: modifiers in a fixed order, then the name or the
 * character ("up", "shift+tab", "ctrl+c", "meta+x", "G", " ", "paste").
 */
export function keyId(key: Key): string {
  const mods = (key.ctrl ? "ctrl+" : "") + (key.meta ? "meta+" : "") + (key.shift ? "shift+" : "");
  return mods + (key.name === "char" ? key.ch ?? "" : key.name);
}
