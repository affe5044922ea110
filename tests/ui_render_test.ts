// The browser's screen as text: fits 80x24, reads without colour, details, help, pickers.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { NOW, sampleState } from "./support/ui_views.ts";
import { render, sparkline } from "../src/ui/render.ts";
import { onKey, setHistory, syncStarted, type UiState } from "../src/ui/state.ts";
import type { Key } from "../src/ui/keyboard.ts";
import { measure } from "./support/cells.ts";

const plain = (s: UiState, w = 80, h = 24) => render(s, { width: w, height: h, color: false });
function press(s: UiState, ...keys: (string | Key)[]): UiState {
  for (const k of keys) s = onKey(s, typeof k === "string" ? { name: "char", ch: k } : k).state;
  return s;
}

Deno.test("80x24: every line exactly 80 cells, symbols and labels readable without colour", async () => {
  const s = await sampleState();
  const lines = plain(s);
  assertEquals(lines.length, 24);
  for (const l of lines) assertEquals(measure(l), 80, JSON.stringify(l));
  const text = lines.join("\n");
  assertMatch(text, /›▾ api\/ \(3\)/);
  assertMatch(text, /main\s+deepseek\s+110\.00 CNY ✓ live/);
  assertMatch(text, /team\s+openrouter\s+0\.42 USD ↓✓ low/);
  assertMatch(text, /moonshot\s+moonshot\s+49\.59 USD ⧗✓ expiring/);
  assertMatch(text, /siliconflow\s+siliconflow\s+- ✗ auth/);
  assert(!text.includes("wifi"), "an ordinary password is not in the browser");
  assertMatch(lines[23], /\? help/);
  assertMatch(lines[23], /q quit/);
  assert(!text.includes("\x1b"), "no escape sequences without colour");
});

Deno.test("colour: ANSI only when asked; selected row is inverse", async () => {
  const lines = render(await sampleState(), { width: 80, height: 24, color: true });
  assert(lines.some((l) => l.includes("\x1b[31m") || l.includes(";31m"))); // red error
  assert(lines[1].includes("\x1b[7m") || lines[1].includes("[7;"));
});

Deno.test("details pane: metadata, error, env, expiry, notes, sparkline", async () => {
  let s = press(await sampleState(), "j", "j"); // api/deepseek/main
  s = setHistory(s, "api/deepseek/main", [
    {
      at: "2026-02-27T00:00:00Z",
      status: "ok",
      provider: "deepseek",
      kind: "balance",
      balance: 150,
    },
    { at: "2026-02-28T00:00:00Z", status: "error", provider: "deepseek", error: "network" },
    {
      at: "2026-03-01T00:00:00Z",
      status: "ok",
      provider: "deepseek",
      kind: "balance",
      balance: 110,
    },
  ]);
  const text = plain(s, 120, 30).join("\n");
  assertMatch(text, /provider\s+deepseek \(from path\) · DeepSeek/);
  assertMatch(text, /found\s+automatically: path segment "deepseek"/);
  assertMatch(text, /history\s+█ ▁\s+3 syncs/);
  assertMatch(text, /notes\s+personal account/);
  assertMatch(text, /env var\s+DEEPSEEK_API_KEY/);
  const err = plain(press(await sampleState(), "G", "k"), 100, 40).join("\n");
  assertMatch(err, /error\s+auth: 401 invalid api key/);
  const exp = plain(press(await sampleState(), "j", "j", "j", "j", "j"), 80, 24).join("\n");
  assertMatch(exp, /expires\s+2026-03-05 \(in 4d\)/);
  assertEquals(sparkline([]), "");
  assertEquals(NOW.toISOString().slice(0, 10), "2026-03-01");
});

Deno.test("syncing badge, filter prompt, help, edit prompt and pickers render", async () => {
  const base = press(await sampleState(), "j", "j");
  assertMatch(plain(syncStarted(base, ["api/deepseek/main"])).join("\n"), /main.*↻ syncing/);
  const f = plain(press(await sampleState(), "/", "z", "a", "i")).join("\n");
  assertMatch(f, /\/zai▏ {2}1 match/);
  assertMatch(f, /type to filter/);
  assertMatch(plain(press(base, "?")).join("\n"), /copy the key to the clipboard/);
  const e = plain(press(base, "e", "v")).join("\n");
  assertMatch(e, /env var: ▏/);
  const m = plain(press(base, "m")).join("\n");
  assertMatch(m, /map api\/deepseek\/main to which provider\?/);
  assertMatch(m, /› deepseek/); // starts on the current provider
});

Deno.test("tiny and wide terminals still give exact frames", async () => {
  const s = await sampleState();
  for (const [w, h] of [[20, 4], [40, 10], [200, 60]]) {
    const lines = plain(s, w, h);
    assertEquals(lines.length, h);
    for (const l of lines) assertEquals(measure(l), w);
  }
});

Deno.test("wrap: words to lines, long words cut, the last kept line marks what was left", async () => {
  const { wrap } = await import("../src/ui/text.ts");
  const { assertEquals } = await import("./support/assert.ts");
  assertEquals(wrap("a bb ccc dddd", 6, 3), ["a bb", "ccc", "dddd"]);
  assertEquals(wrap("a bb ccc dddd eeeee", 6, 2), ["a bb", "ccc…"]);
  assertEquals(wrap("aaaaaaaaaaaa", 5, 3), ["aaaaa", "aaaaa", "aa"]);
  assertEquals(wrap("", 5, 3), [""]);
  assertEquals(wrap("错误信息很长", 4, 2), ["错误", "信…"]);
});

Deno.test("data with controls and bidi overrides shows as visible escapes, lines stay exact", async () => {
  const { makeViews } = await import("./support/ui_views.ts");
  const { updateViews } = await import("../src/ui/state.ts");
  const [v] = await makeViews([{
    path: "api/deepseek/main",
    metadata: { kind: "balance", balance: 110, currency: "CNY" },
    key: { notes: "line one\nline two \x1b]52;c;AAAA\x07 \u202eevil" },
  }]);
  const s = press(updateViews(await sampleState(), [v], NOW), "j", "j");
  const lines = plain(s, 120, 30);
  for (const l of lines) assertEquals(measure(l), 120, JSON.stringify(l));
  const text = lines.join("\n");
  assertMatch(text, /notes\s+line one\\nline two \\x1b\]52;c;AAAA\\x07\s/);
  assertMatch(text, /\\u202eevil/);
});
