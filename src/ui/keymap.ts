/**
 * The browser's key bindings as data: one table per mode. The same rows dispatch keys
 * (`onKey` in state.ts runs the handler of a row's action), write the help screen and the
 * README's key table, and make the footer, which shows only the rows that apply to the selected
 * row (no "c copy" on a folder). To add a binding: a row here, and a handler for a new action
 * in state.ts (the compiler asks for it; tests/ui_keymap_test.ts checks the rest).
 */
import { type Key, keyId } from "./keyboard.ts";

/** What is selected, as far as bindings care: a key is "key-full" once its details loaded. */
export type Selection = "none" | "folder" | "key" | "key-full";

export interface KeyContext {
  selection: Selection;
  /** A filter is set (in the tree, Esc clears it). */
  filtered: boolean;
}

/** When a binding applies; elsewhere its key does nothing, or says why (`otherwise`). */
export type Applies = "always" | "item" | "folder" | "key" | "key-full" | "filtered";

/** Key ids as `keyId` writes them, or TEXT (any typed character, or a paste), or ANY. */
export const TEXT = "text";
export const ANY = "any";

export interface Binding {
  readonly keys: readonly string[];
  readonly action: string;
  /** The help screen's line; rows in a row with the same text share one line. */
  readonly help: string;
  /** The footer's label, shown while the binding applies. */
  readonly footer?: string;
  /** Default "always". */
  readonly applies?: Applies;
  /** Said when the key is pressed where the binding does not apply. */
  readonly otherwise?: string;
}

const MOVE = "move";
const PAGE = "page up / down";
const JUMP = "top, bottom";
const FOLD = "unfold / fold a folder (← on a key: go to its folder)";
const OPEN = "open / close a folder; on a key, show / hide its details";
const LINE = "edit the text: delete a character, the last word, everything";

/** Editing keys shared by every text field (the filter, edit fields, pickers). */
const lineEditing = [
  { keys: ["backspace"], action: "delete-char", help: LINE },
  { keys: ["ctrl+w", "meta+backspace"], action: "delete-word", help: LINE },
  { keys: ["ctrl+u"], action: "delete-all", help: LINE },
] as const satisfies readonly Binding[];

const tree = [
  { keys: ["up", "k"], action: "up", help: MOVE, footer: "↑↓ move" },
  { keys: ["down", "j"], action: "down", help: MOVE },
  { keys: ["pageup"], action: "page-up", help: PAGE },
  { keys: ["pagedown"], action: "page-down", help: PAGE },
  { keys: ["home", "g"], action: "top", help: JUMP },
  { keys: ["end", "G"], action: "bottom", help: JUMP },
  { keys: ["right", "l"], action: "unfold", help: FOLD, applies: "folder", footer: "←→ fold" },
  { keys: ["left", "h"], action: "fold", help: FOLD, applies: "folder" },
  { keys: ["left", "h"], action: "parent", help: FOLD, applies: "key" },
  { keys: ["enter", " "], action: "open", help: OPEN, applies: "folder", footer: "⏎ open" },
  { keys: ["enter", " "], action: "details", help: OPEN, applies: "key", footer: "⏎ details" },
  { keys: ["tab", "i"], action: "details", help: "show / hide the details pane" },
  {
    keys: ["/"],
    action: "filter",
    help: "filter: type to match path, provider, tags and notes",
    footer: "/ filter",
  },
  {
    keys: ["c", "y"],
    action: "copy",
    help: "copy the key to the clipboard (cleared after the clip time)",
    applies: "key",
    otherwise: "select a key to copy it",
    footer: "c copy",
  },
  {
    keys: ["s"],
    action: "sync",
    help: "sync the selected key, or every key in the selected folder",
    applies: "item",
    footer: "s sync",
  },
  { keys: ["S"], action: "sync-all", help: "sync every key" },
  {
    keys: ["a"],
    action: "autosync",
    help: "autosync on / off for this session (syncs due keys)",
    footer: "a autosync",
  },
  {
    keys: ["e"],
    action: "edit",
    help: "edit notes, tags, expiry date or env var name",
    applies: "key-full",
    otherwise: "select a key to edit its notes, tags, expiry",
    footer: "e edit",
  },
  {
    keys: ["m"],
    action: "map",
    help: "map the key to a provider (and a credential)",
    applies: "key-full",
    otherwise: "select a key to map it to a provider",
    footer: "m map",
  },
  {
    keys: ["o"],
    action: "sort",
    help: "sort by name, balance (lowest first, per currency), state",
    footer: "o sort",
  },
  {
    keys: ["escape"],
    action: "clear",
    help: "clear the filter or a message (never quits)",
    applies: "filtered",
    footer: "Esc clear",
  },
  { keys: ["?"], action: "help", help: "this help", footer: "? help" },
  { keys: ["q"], action: "quit", help: "quit", footer: "q quit" },
] as const satisfies readonly Binding[];

const filter = [
  {
    keys: [TEXT],
    action: "type",
    help: "type to filter (a paste is typed, newlines as spaces)",
    footer: "type to filter",
  },
  ...lineEditing,
  { keys: ["up"], action: "up", help: MOVE, footer: "↑↓ move" },
  { keys: ["down"], action: "down", help: MOVE },
  { keys: ["enter"], action: "done", help: "keep the filter, back to the tree", footer: "⏎ done" },
  { keys: ["escape"], action: "clear", help: "clear the filter", footer: "Esc clear" },
] as const satisfies readonly Binding[];

const help = [
  { keys: [ANY], action: "close", help: "back to the tree", footer: "any key: back" },
] as const satisfies readonly Binding[];

const editPick = [
  { keys: ["n"], action: "notes", help: "edit the notes", footer: "n notes" },
  { keys: ["t"], action: "tags", help: "edit the tags", footer: "t tags" },
  { keys: ["x"], action: "expires_at", help: "edit the expiry date", footer: "x expiry" },
  { keys: ["v"], action: "env", help: "edit the env var name", footer: "v env var" },
  { keys: ["escape"], action: "cancel", help: "back to the tree", footer: "Esc cancel" },
] as const satisfies readonly Binding[];

const edit = [
  { keys: [TEXT], action: "type", help: "type (a paste is typed, newlines as spaces)" },
  ...lineEditing.slice(0, 2),
  { ...lineEditing[2], footer: "Ctrl-U clear" },
  {
    keys: ["enter"],
    action: "save",
    help: "save (empty removes)",
    footer: "⏎ save (empty = remove)",
  },
  { keys: ["escape"], action: "cancel", help: "back without saving", footer: "Esc cancel" },
] as const satisfies readonly Binding[];

const pick = [
  { keys: [TEXT], action: "type", help: "type to filter the choices", footer: "type to filter" },
  ...lineEditing,
  { keys: ["up"], action: "up", help: "choose", footer: "↑↓ choose" },
  { keys: ["down"], action: "down", help: "choose" },
  { keys: ["enter"], action: "select", help: "take the choice", footer: "⏎ select" },
  { keys: ["escape"], action: "cancel", help: "back without mapping", footer: "Esc cancel" },
] as const satisfies readonly Binding[];

/** One table per mode (`Mode["kind"]` in state.ts). */
export const KEYMAP = { tree, filter, help, "edit-pick": editPick, edit, pick } as const;

/** Keys that work in every mode, before the mode's own. */
export const GLOBAL = [
  { keys: ["ctrl+c"], action: "quit-now", help: "quit at once (exit 130)" },
] as const satisfies readonly Binding[];

export type ModeKind = keyof typeof KEYMAP;
export type ActionOf<M extends ModeKind> = (typeof KEYMAP)[M][number]["action"];
export type GlobalAction = (typeof GLOBAL)[number]["action"];

export function applies(b: Binding, ctx: KeyContext): boolean {
  switch (b.applies ?? "always") {
    case "always":
      return true;
    case "item":
      return ctx.selection !== "none";
    case "folder":
      return ctx.selection === "folder";
    case "key":
      return ctx.selection === "key" || ctx.selection === "key-full";
    case "key-full":
      return ctx.selection === "key-full";
    case "filtered":
      return ctx.filtered;
  }
}

/** A key typed into a text field: a character without Ctrl or Alt, or a paste. */
export function isText(key: Key): boolean {
  return key.name === "paste" || (key.name === "char" && !key.ctrl && !key.meta);
}

export interface Found<B extends Binding> {
  binding: B;
  /** False: the key is bound here, but not for what is selected (see `otherwise`). */
  applies: boolean;
}

/**
 * The binding a key triggers in a table: its own rows first (the first that applies), then
 * TEXT for typed text, then ANY. Undefined: the key does nothing here.
 */
export function bindingFor<B extends Binding>(
  table: readonly B[],
  key: Key,
  ctx: KeyContext,
): Found<B> | undefined {
  const id = keyId(key);
  for (const wanted of [id, isText(key) ? TEXT : undefined, ANY]) {
    if (wanted === undefined) continue;
    const rows = table.filter((b) => b.keys.includes(wanted));
    if (rows.length === 0) continue;
    const hit = rows.find((b) => applies(b, ctx));
    return hit ? { binding: hit, applies: true } : { binding: rows[0], applies: false };
  }
  return undefined;
}

/** The footer's labels: the mode's bindings that apply now, in table order. */
export function footerLabels(mode: ModeKind, ctx: KeyContext): string[] {
  const out: string[] = [];
  for (const b of KEYMAP[mode] as readonly Binding[]) {
    if (b.footer && applies(b, ctx)) out.push(b.footer);
  }
  return out;
}

const LABELS: Record<string, string> = {
  up: "↑",
  down: "↓",
  left: "←",
  right: "→",
  enter: "Enter",
  escape: "Esc",
  tab: "Tab",
  backspace: "Backspace",
  pageup: "PgUp",
  pagedown: "PgDn",
  home: "Home",
  end: "End",
  " ": "Space",
  [TEXT]: "text",
  [ANY]: "any key",
};

/** How a key id is written for people: "↑", "Ctrl-C", "Shift-Tab", "Alt-Backspace", "q". */
export function keyLabel(id: string): string {
  const [, mods, base] = /^((?:ctrl\+|meta\+|shift\+)*)(.+)$/s.exec(id)!;
  const prefix = mods.split("+").filter(Boolean).map((m) =>
    ({ ctrl: "Ctrl-", meta: "Alt-", shift: "Shift-" })[m]
  ).join("");
  return prefix + (LABELS[base] ?? (prefix && base.length === 1 ? base.toUpperCase() : base));
}

/**
 * The help screen of a mode: [keys, what they do] per line, rows in a row with the same help
 * text on one line, then the keys that work everywhere.
 */
export function helpLines(mode: ModeKind): [keys: string[], help: string][] {
  const out: [string[], string][] = [];
  for (const b of [...(KEYMAP[mode] as readonly Binding[]), ...GLOBAL]) {
    const last = out.at(-1);
    const labels = b.keys.map(keyLabel);
    if (last && last[1] === b.help) {
      for (const l of labels) if (!last[0].includes(l)) last[0].push(l);
    } else out.push([labels, b.help]);
  }
  // Named keys before letters: "↑ ↓ k j".
  const letter = (l: string) => /^[a-zA-Z]$/.test(l) ? 1 : 0;
  return out.map(([keys, help]) => [keys.sort((a, b) => letter(a) - letter(b)), help]);
}
