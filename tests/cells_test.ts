// Terminal cells: emoji and CJK take two, combining marks and joiners none; the browser's
// frames and the CLI tables are measured here by an independent table (support/cells.ts).
import { assertEquals } from "./support/assert.ts";
import { measure } from "./support/cells.ts";
import { makeViews, NOW } from "./support/ui_views.ts";
import { eastAsianWidth } from "get-east-asian-width";
import { cells, charCells } from "../src/util/cells.ts";
import { WIDE_RANGES_FILE, wideRangesModule } from "../scripts/gen_cells.ts";
import { table } from "../src/cli/output.ts";
import { render } from "../src/ui/render.ts";
import { initState, onKey, type UiState } from "../src/ui/state.ts";

Deno.test("cells: the generated table is get-east-asian-width's, code point by code point", () => {
  // A stale table (e.g. after upgrading the package): `deno run -A scripts/gen_cells.ts`.
  assertEquals(Deno.readTextFileSync(WIDE_RANGES_FILE), wideRangesModule());
  for (let c = 0; c <= 0x10ffff; c += c < 0x30000 ? 1 : 97) {
    if (c >= 0xd800 && c <= 0xdfff) continue; // surrogates are not characters
    const ch = String.fromCodePoint(c);
    if (charCells(ch) === 0) continue; // controls, marks, joiners: ours, not East Asian Width
    assertEquals(charCells(ch), eastAsianWidth(c), `U+${c.toString(16)}`);
  }
});

Deno.test("cells: the known widths of emoji, CJK, Hangul, combining marks and joiners", () => {
  for (const s of ["🚀", "✅", "⌛", "中文", "한국어", "cafe\u0301", "›▾…✓", "abc"]) {
    assertEquals(cells(s), measure(s), s);
  }
  assertEquals(cells("🚀"), 2);
  assertEquals(cells("e\u0301"), 1);
  assertEquals(cells("🚀\u200d🚀"), 4);
  assertEquals(cells("\x1b[0m"), 3); // ESC itself is none; the rest is text
});

const WIDE_SAMPLE = [
  {
    path: "团队/deepseek/主要",
    metadata: { kind: "balance" as const, balance: 110, currency: "CNY" },
    key: { notes: "✅ paid ⌛ renews soon 🚀 launch budget café", tags: ["密钥", "한국어"] },
  },
  {
    path: "api/deepseek/🚀rocket",
    metadata: { kind: "balance" as const, balance: 0.5, currency: "USD" },
    key: {
      notes:
        "cafe\u0301 ✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅✅",
    },
  },
  { path: "api/openrouter/中文中文中文中文中文中文中文中文中文中文中文中文中文中文中文" },
  { path: "⌛/kimi" },
];

async function wideState(width: number, height: number): Promise<UiState> {
  return initState({
    storeDir: "/tmp/钥匙/store",
    views: await makeViews(WIDE_SAMPLE),
    config: { thresholds: { min_balance: 1 } },
    now: NOW,
    providers: [],
    viewport: { width, height },
  });
}

Deno.test("browser: every line exactly `width` cells with emoji, CJK and combining marks", async () => {
  for (const [w, h] of [[80, 24], [130, 30], [64, 20], [44, 16], [20, 6]]) {
    let s = await wideState(w, h);
    const frames: string[][] = [];
    // Every row selected in turn (details pane with the notes), then a filter and an edit.
    for (let i = 0; i < 8; i++) {
      frames.push(render(s, { width: w, height: h, color: false }));
      s = onKey(s, { name: "down" }).state;
    }
    s = onKey(s, { name: "up" }).state;
    for (const ch of ["/", ..."🚀中"]) s = onKey(s, { name: "char", ch }).state;
    frames.push(render(s, { width: w, height: h, color: false }));
    s = onKey(s, { name: "enter" }).state;
    for (const ch of ["e", "n", ..."中文🚀".repeat(30)]) s = onKey(s, { name: "char", ch }).state;
    frames.push(render(s, { width: w, height: h, color: false }));
    for (const frame of frames) {
      assertEquals(frame.length, h);
      for (const line of frame) {
        assertEquals(measure(line), w, `${w}x${h}: ${JSON.stringify(line)}`);
      }
    }
  }
});

Deno.test("CLI tables align columns by cells (CJK paths, emoji figures)", () => {
  const lines = table([
    ["PATH", "FIGURE", "STATE"],
    ["团队/deepseek/主要", "110.00 CNY", "| live"],
    ["api/🚀rocket", "✅ 1", "| live"],
    ["cafe\u0301/x", "-", "| never"],
    ["plain/ascii/path", "49.59 USD", "| stale"],
  ]);
  const starts = lines.slice(1).map((l) => measure(l.slice(0, l.indexOf("|"))));
  assertEquals(new Set(starts).size, 1, lines.join("\n"));
  assertEquals(starts[0], measure(lines[0].slice(0, lines[0].indexOf("STATE"))));
});
