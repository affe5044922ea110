// Key bindings as data (src/ui/keymap.ts): every binding is dispatched by a handler, every
// help line and footer label comes from a binding, the footer offers only what applies to the
// selected row, and the README's key table says the same as the help screen.
import { assert, assertEquals } from "./support/assert.ts";
import { sampleState } from "./support/ui_views.ts";
import { decodeKeys, type Key, keyId } from "../src/ui/keyboard.ts";
import {
  ANY,
  applies,
  type Binding,
  bindingFor,
  footerLabels,
  GLOBAL,
  helpLines,
  type KeyContext,
  keyLabel,
  KEYMAP,
  type ModeKind,
  TEXT,
} from "../src/ui/keymap.ts";
import { render } from "../src/ui/render.ts";
import { HANDLED_ACTIONS, keyContext, onKey, type UiState } from "../src/ui/state.ts";
import { ROOT } from "./support/cli.ts";

const MODES = Object.keys(KEYMAP) as ModeKind[];
const table = (m: ModeKind) => KEYMAP[m] as readonly Binding[];

/** Terminal bytes for every key id a binding uses: each must decode to exactly that id. */
const BYTES: Record<string, string> = {
  up: "\x1b[A",
  down: "\x1bOB",
  left: "\x1b[D",
  right: "\x1b[C",
  pageup: "\x1b[5~",
  pagedown: "\x1b[6~",
  home: "\x1b[H",
  end: "\x1b[4~",
  enter: "\r",
  tab: "\t",
  escape: "\x1b",
  backspace: "\x7f",
  "meta+backspace": "\x1b\x7f",
  "ctrl+c": "\x03",
  "ctrl+u": "\x15",
  "ctrl+w": "\x17",
  [TEXT]: "z",
  [ANY]: "\x1b[1;5B",
};

function keyOf(id: string): Key {
  const [key] = decodeKeys(BYTES[id] ?? id, true).keys;
  assert(key, `no key decodes from the bytes of ${id}`);
  return key;
}

const CONTEXTS: KeyContext[] = (["none", "folder", "key", "key-full"] as const).flatMap((
  selection,
) => [{ selection, filtered: false }, { selection, filtered: true }]);

Deno.test("keymap: every action of every mode has a handler, and every handler a binding", () => {
  for (const m of MODES) {
    const bound = [...new Set(table(m).map((b) => b.action))].sort();
    assertEquals([...HANDLED_ACTIONS[m]].sort(), bound, m);
  }
  assertEquals(GLOBAL.map((b) => b.action), ["quit-now"]);
});

Deno.test("keymap: every bound key can be typed, and reaches its binding where it applies", () => {
  for (const m of MODES) {
    for (const b of table(m)) {
      for (const id of b.keys) {
        const key = keyOf(id);
        if (id !== TEXT && id !== ANY) assertEquals(keyId(key), id, `${m}: ${id}`);
        for (const ctx of CONTEXTS.filter((c) => applies(b, c))) {
          const found = bindingFor(table(m), key, ctx);
          assert(found?.applies, `${m}: ${id} does nothing in ${JSON.stringify(ctx)}`);
          // The same key may mean something else first (Enter on a folder vs a key): then
          // that binding applies here and has the key too.
          assert(found.binding === b || found.binding.keys.includes(id), `${m}: ${id}`);
        }
      }
    }
  }
  // No key is bound twice where both apply (the second would never run).
  for (const m of MODES) {
    for (const ctx of CONTEXTS) {
      const seen = new Map<string, string>();
      for (const b of table(m).filter((b) => applies(b, ctx))) {
        for (const id of b.keys) {
          assert(!seen.has(id), `${m}: ${id} is bound to ${seen.get(id)} and ${b.action}`);
          seen.set(id, b.action);
        }
      }
    }
  }
});

Deno.test("keymap: the help screen is made of the bindings, line by line", async () => {
  for (const m of MODES) {
    const lines = helpLines(m);
    const rows = [...table(m), ...GLOBAL];
    // Every binding's text is on exactly one line, with every one of its keys.
    assertEquals(lines.map(([, help]) => help), [...new Set(rows.map((b) => b.help))], m);
    for (const [keys, help] of lines) {
      const labels = rows.filter((b) => b.help === help).flatMap((b) => b.keys.map(keyLabel));
      assertEquals([...keys].sort(), [...new Set(labels)].sort(), help);
    }
  }
  // The help screen shows the tree's lines, in order, and nothing else before the badges.
  const s = onKey(await sampleState({ height: 30 }), { name: "char", ch: "?" }).state;
  const screen = render(s, { width: 100, height: 30, color: false });
  const shown = screen.slice(2, 2 + helpLines("tree").length).map((l) => l.trim().split(/\s{2,}/));
  assertEquals(shown, helpLines("tree").map(([k, h]) => [k.join(" "), h]));
  assertEquals(screen[2 + helpLines("tree").length].trim(), "");
});

Deno.test("footer: only the keys that apply to the selected row", async () => {
  const labels = (ctx: KeyContext) => footerLabels("tree", ctx);
  const folder = labels({ selection: "folder", filtered: false });
  for (const l of ["c copy", "e edit", "m map", "⏎ details", "Esc clear"]) {
    assert(!folder.includes(l), l);
  }
  for (const l of ["←→ fold", "⏎ open", "s sync", "? help", "q quit"]) assert(folder.includes(l));
  const key = labels({ selection: "key", filtered: false });
  assert(key.includes("c copy") && key.includes("⏎ details") && !key.includes("←→ fold"));
  assert(!key.includes("e edit") && !key.includes("m map"), "details still loading");
  const full = labels({ selection: "key-full", filtered: true });
  for (const l of ["c copy", "e edit", "m map", "Esc clear"]) assert(full.includes(l), l);
  // Every label comes from a binding of its mode.
  for (const m of MODES) {
    for (const ctx of CONTEXTS) {
      for (const l of footerLabels(m, ctx)) assert(table(m).some((b) => b.footer === l), l);
    }
  }
  // On screen: the selected folder's footer, then a key's.
  let s: UiState = await sampleState({ width: 120 });
  assertEquals(keyContext(s).selection, "folder");
  const foot = (st: UiState) => render(st, { width: 120, height: 24, color: false }).at(-1)!;
  assert(!foot(s).includes("copy") && foot(s).includes("⏎ open"), foot(s));
  s = onKey(onKey(s, { name: "down" }).state, { name: "down" }).state;
  assertEquals(keyContext(s).selection, "key-full");
  assert(foot(s).includes("c copy") && foot(s).includes("e edit"), foot(s));
});

Deno.test("keys that do not apply say why, or do nothing", async () => {
  const s = await sampleState(); // a folder is selected
  for (const [ch, text] of [["c", "copy"], ["e", "edit"], ["m", "map"]]) {
    const step = onKey(s, { name: "char", ch });
    assertEquals(step.effects, []);
    assert(step.state.message?.text.includes(text), ch);
  }
  const esc = onKey(s, { name: "escape" });
  assertEquals([esc.state, esc.effects], [s, []]);
});

/** The README's browser key table, as [keys, action] rows. */
function readmeKeyTable(text: string): string[][] {
  const section = text.slice(text.indexOf("## The browser (`keyz browse`)"));
  const rows = section.split("\n").filter((l) => l.startsWith("|"));
  const first = section.split("\n").findIndex((l) => l.startsWith("|"));
  const table = section.split("\n").slice(first).filter((l, i, all) =>
    l.startsWith("|") && all.slice(0, i).every((x) => x.startsWith("|"))
  );
  assert(rows.length > 2, "README has a key table under The browser");
  return table.slice(2).map((l) => l.split("|").slice(1, -1).map((c) => c.trim()));
}

Deno.test("README: the browser's key table is the help screen's", async () => {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const expected = helpLines("tree").map(([keys, help]) => [
    keys.map((k) => `\`${k}\``).join(" "),
    help,
  ]);
  const actual = readmeKeyTable(readme);
  const asMarkdown = [
    "| key | action |",
    "| --- | --- |",
    ...expected.map((r) => `| ${r.join(" | ")} |`),
  ];
  assertEquals(actual, expected, `README.md's key table should read:\n${asMarkdown.join("\n")}`);
});
