/**
 * Every escape sequence keyz writes, in one place: SGR colours for the CLI and the browser, and
 * the few terminal controls the browser and the progress line use. Written out rather than
 * imported from picocolors: any CommonJS npm module starts Deno's Node compatibility layer,
 * about 20 ms of every run, and `keyz ls` and `keyz browse` must start faster than that allows.
 * Data never goes through here unescaped (src/util/text.ts escapeTerminal).
 */

/** SGR parameters by name. */
export const SGR_CODE = {
  reset: "0",
  bold: "1",
  dim: "2",
  inverse: "7",
  red: "31",
  green: "32",
  yellow: "33",
  blue: "34",
  magenta: "35",
  cyan: "36",
} as const;
export type SgrName = Exclude<keyof typeof SGR_CODE, "reset">;

/** One SGR sequence setting every code given (`sgr()` resets). */
export function sgr(...names: (SgrName | "reset")[]): string {
  return `\x1b[${(names.length ? names : ["reset" as const]).map((n) => SGR_CODE[n]).join(";")}m`;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

/** Colour one piece of CLI text (closing only what it opened). */
export const ansi = {
  red: wrap(31, 39),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  cyan: wrap(36, 39),
  bold: wrap(1, 22),
  dim: wrap(2, 22),
};

/** Terminal controls (ECMA-48 and xterm private modes). */
export const TERM = {
  home: "\x1b[H",
  clearScreen: "\x1b[2J",
  clearLine: "\r\x1b[2K",
  altScreenOn: "\x1b[?1049h",
  altScreenOff: "\x1b[?1049l",
  cursorHide: "\x1b[?25l",
  cursorShow: "\x1b[?25h",
  wrapOff: "\x1b[?7l",
  wrapOn: "\x1b[?7h",
  pasteOn: "\x1b[?2004h",
  pasteOff: "\x1b[?2004l",
  pasteStart: "\x1b[200~",
  pasteEnd: "\x1b[201~",
} as const;
