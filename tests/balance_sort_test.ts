// Sorting by balance: lowest first within one currency, never comparing amounts across
// currencies; `keyz ls --sort balance` and the browser give the same order (one comparison,
// compareBalance in src/view/listing.ts).
import { assertEquals, assertMatch } from "./support/assert.ts";
import { builtins, makeViews, NOW, type ViewSpec } from "./support/ui_views.ts";
import { sortRows } from "../src/cli/ls.ts";
import { render } from "../src/ui/render.ts";
import { initState, onKey, visibleItems } from "../src/ui/state.ts";
import { BALANCE_ORDER, compareBalance, listingOf } from "../src/view/listing.ts";

const balance = (amount: number, currency?: string): ViewSpec["metadata"] => ({
  kind: "balance",
  balance: amount,
  ...(currency ? { currency } : {}),
});

// One folder, every kind of figure, three currencies and one balance without a currency.
const KEYS: ViewSpec[] = [
  { path: "team/deepseek", metadata: balance(110, "CNY") },
  { path: "team/moonshot", metadata: balance(49.59, "USD") },
  { path: "team/openrouter", metadata: balance(0.42, "USD") },
  { path: "team/siliconflow", metadata: balance(5, "CNY") },
  { path: "team/openai", metadata: { kind: "spend", spend: 12, currency: "USD" } },
  { path: "team/xai" },
  { path: "team/novita", metadata: balance(3) },
  { path: "team/mistral", metadata: balance(0, "EUR") },
  { path: "team/zai", metadata: { kind: "quota", quota_used_percent: 37 } },
];

const EXPECTED = [
  "team/siliconflow", // 5 CNY
  "team/deepseek", // 110 CNY
  "team/mistral", // 0 EUR
  "team/openrouter", // 0.42 USD
  "team/moonshot", // 49.59 USD
  "team/novita", // 3, no currency
  "team/openai", // spend: no balance; these by name
  "team/xai",
  "team/zai",
];

Deno.test("compareBalance: currency groups A-Z, lowest first, no balance last", () => {
  const sorted = [
    { balance: 9, currency: "USD" },
    {},
    { balance: 100, currency: "CNY" },
    { balance: 1, currency: "" },
    { balance: 2, currency: "USD" },
    { balance: -1, currency: "CNY" },
  ].sort(compareBalance);
  assertEquals(sorted, [
    { balance: -1, currency: "CNY" },
    { balance: 100, currency: "CNY" },
    { balance: 2, currency: "USD" },
    { balance: 9, currency: "USD" },
    { balance: 1, currency: "" },
    {},
  ]);
  assertEquals(
    compareBalance({ balance: 110, currency: "CNY" }, { balance: 49.59, currency: "USD" }) < 0,
    true,
  );
});

Deno.test("ls --sort balance and the browser sort keys the same way", async () => {
  const views = await makeViews(KEYS);
  const config = {};
  const listing = listingOf(views, config, await builtins(), []);
  // Cached listings go through JSON: the order must not depend on that either.
  const cached = JSON.parse(JSON.stringify(listing));
  assertEquals(sortRows(listing.rows, "balance").map((r) => r.path), EXPECTED);
  assertEquals(
    sortRows(cached.rows as typeof listing.rows, "balance").map((r) => r.path),
    EXPECTED,
  );
  for (const source of [{ views }, { listing: cached }]) {
    const s = initState({
      storeDir: "/tmp/store",
      config,
      now: NOW,
      providers: [],
      viewport: { width: 100, height: 30 },
      sort: "balance",
      ...source,
    });
    const keys = visibleItems(s).flatMap((i) => i.kind === "key" ? [i.row.path] : []);
    assertEquals(keys, EXPECTED);
  }
});

Deno.test("browser: folders go where their lowest key would; the header says the order", async () => {
  const views = await makeViews([
    { path: "a/deepseek", metadata: balance(500, "CNY") },
    { path: "b/openrouter", metadata: balance(0.1, "USD") },
    { path: "b/moonshot", metadata: balance(2, "CNY") },
    { path: "c/openai", metadata: balance(1, "USD") },
    { path: "d/xai" },
  ]);
  let s = initState({
    storeDir: "/tmp/store",
    config: {},
    now: NOW,
    providers: [],
    viewport: { width: 100, height: 30 },
    views,
  });
  s = onKey(s, { name: "char", ch: "o" }).state;
  assertEquals(s.sort, "balance");
  const folders = visibleItems(s).flatMap((i) => i.kind === "folder" ? [i.folder.path] : []);
  assertEquals(folders, ["b", "a", "c", "d"]); // 2 CNY, 500 CNY, 1 USD, none
  const screen = render(s, { width: 100, height: 30, color: false });
  assertMatch(screen[0], /sort: balance, lowest first per currency $/);
  assertEquals(screen.at(-2)!.trim(), `sorted by balance: ${BALANCE_ORDER}`);
});
