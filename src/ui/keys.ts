/** Terminal input bytes → key events (pure, so the decoder is unit-tested). */

export type KeyName =
  | "up"
  | "down"
  | "left"
  | "right"
  | "home"
  | "end"
  | "pageup"
  | "pagedown"
  | "enter"
  | "escape"
  | "backspace"
  | "delete"
  | "tab"
  | "ctrl-c"
  | "ctrl-u"
  | "ctrl-w"
  | "char";

export interface Key {
  name: KeyName;
  /** The typed character for name "char". */
  ch?: string;
}

const SEQUENCES: Record<string, KeyName> = {
  "\x1b[A": "up",
  "\x1b[B": "down",
  "\x1b[C": "right",
  "\x1b[D": "left",
  "\x1bOA": "up",
  "\x1bOB": "down",
  "\x1bOC": "right",
  "\x1bOD": "left",
  "\x1b[H": "home",
  "\x1b[F": "end",
  "\x1bOH": "home",
  "\x1bOF": "end",
  "\x1b[1~": "home",
  "\x1b[4~": "end",
  "\x1b[7~": "home",
  "\x1b[8~": "end",
  "\x1b[5~": "pageup",
  "\x1b[6~": "pagedown",
  "\x1b[3~": "delete",
  "\x1b[Z": "tab",
};

/** Decode one chunk read from a raw-mode terminal into keys. */
export function decodeKeys(text: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === "\x1b") {
      // A CSI/SS3 sequence: ESC [ params final, or ESC O x. A lone ESC is the Escape key.
      // deno-lint-ignore no-control-regex
      const m = /^\x1b(\[[0-9;?]*[ -/]*[@-~]|O[A-Za-z])/.exec(text.slice(i));
      if (m) {
        // Modified keys (Ctrl/Shift + arrow: ESC[1;5A, ESC[5;2~) act as the plain key.
        const plain = "\x1b" + m[0].slice(1).replace(/^\[1;[0-9]+([A-Z])$/, "[$1")
          .replace(/^\[([0-9]+);[0-9]+~$/, "[$1~");
        const name = SEQUENCES[m[0]] ?? SEQUENCES[plain];
        if (name) keys.push({ name });
        i += m[0].length;
        continue;
      }
      keys.push({ name: "escape" });
      i++;
      continue;
    }
    i++;
    switch (c) {
      case "\r":
      case "\n":
        keys.push({ name: "enter" });
        break;
      case "\x7f":
      case "\b":
        keys.push({ name: "backspace" });
        break;
      case "\t":
        keys.push({ name: "tab" });
        break;
      case "\x03":
        keys.push({ name: "ctrl-c" });
        break;
      case "\x15":
        keys.push({ name: "ctrl-u" });
        break;
      case "\x17":
        keys.push({ name: "ctrl-w" });
        break;
      default: {
        const code = c.codePointAt(0)!;
        if (code < 0x20) break; // other control keys: ignored
        // Keep surrogate pairs together.
        if (code >= 0xd800 && code <= 0xdbff && i < text.length) {
          keys.push({ name: "char", ch: c + text[i] });
          i++;
        } else keys.push({ name: "char", ch: c });
      }
    }
  }
  return keys;
}
