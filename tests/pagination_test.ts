// Pagination must advance (trust rule 5): `has_more: true` with a missing, empty or repeated
// cursor is a typed error and no figure, never page 1 reported as the whole month. Through the
// real fetcher with the built-in Anthropic and OpenAI manifests and their documented pages.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { keyLike } from "./support/keys.ts";
import { ROOT } from "./support/cli.ts";
import { loadProviders } from "../src/providers/load.ts";
import { fetchMetadata } from "../src/fetch/run.ts";
import type { HttpClient, HttpRequest, JsonBody } from "../src/fetch/http.ts";
import { Secret } from "../src/store/secret.ts";
import { FetchError } from "../src/errors.ts";

const set = await loadProviders({});
const FIX = `${ROOT}/tests/fixtures/providers`;
const read = async (p: string) => JSON.parse(await Deno.readTextFile(`${FIX}/${p}`));

/** Pages by cursor ("" = the first request); records the cursors asked for. */
function pager(param: string, pages: Record<string, JsonBody>): HttpClient & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    request(req: HttpRequest) {
      const cursor = req.url.searchParams.get(param) ?? "";
      asked.push(cursor);
      const body = pages[cursor];
      if (!body) return Promise.reject(new FetchError("provider", `no page ${cursor}`));
      return Promise.resolve(structuredClone(body));
    },
  };
}

const SHAPES = [
  {
    id: "anthropic",
    key: keyLike("anthropic-admin", "pagination"),
    page1: "anthropic/cost_report_page1.json",
    page2: "anthropic/cost_report_page2.json",
    total: 0.303,
  },
  {
    id: "openai",
    key: keyLike("openai-admin", "pagination"),
    page1: "openai/costs_page1.json",
    page2: "openai/costs_page2.json",
    total: 12.8,
  },
];

for (const shape of SHAPES) {
  Deno.test(`${shape.id}: pages that do not advance are an error, not a partial figure`, async () => {
    const manifest = set.providers.get(shape.id)!.manifest;
    const page1 = await read(shape.page1);
    const page2 = await read(shape.page2);
    const cursor = page1.next_page as string;
    assert(page1.has_more === true && typeof cursor === "string");
    const run = (http: HttpClient) =>
      fetchMetadata({
        manifest,
        path: `api/${shape.id}/admin`,
        key: new Secret(shape.key),
        vars: {},
        now: new Date("2026-08-20T00:00:00Z"),
        retryBaseMs: 0,
      }, http);

    // The documented two pages: the sum of both.
    const ok = pager("page", { "": page1, [cursor]: page2 });
    assertEquals((await run(ok)).metadata.spend, shape.total);
    assertEquals(ok.asked, ["", cursor]);

    const broken: [string, JsonBody, RegExp][] = [
      ["cursor missing", { ...page1, next_page: undefined }, /no next cursor/],
      ["cursor null", { ...page1, next_page: null }, /no next cursor/],
      ["cursor empty", { ...page1, next_page: "" }, /no next cursor/],
      ["cursor an object", { ...page1, next_page: { p: 2 } }, /no next cursor/],
    ];
    for (const [name, first, message] of broken) {
      const e = await run(pager("page", { "": first })).then(() => undefined, (e) => e);
      assert(e instanceof FetchError, `${name}: ${e}`);
      assertEquals(e.kind, "provider", name);
      assertMatch(e.message, message);
      assertMatch(e.message, /pagination does not advance, so no figure is recorded/);
    }

    // Page 2 says there is more, and hands back page 1's cursor again.
    const repeat = pager("page", {
      "": page1,
      [cursor]: { ...page2, has_more: true, next_page: cursor },
    });
    const e = await run(repeat).then(() => undefined, (e) => e);
    assert(e instanceof FetchError && e.kind === "provider", String(e));
    assertMatch(e.message, /a cursor it already gave/);
    assertEquals(repeat.asked, ["", cursor]);

    // A cycle over two cursors is caught on the first repeat.
    const cycle = pager("page", {
      "": page1,
      [cursor]: { ...page2, has_more: true, next_page: "other" },
      other: { ...page2, has_more: true, next_page: cursor },
    });
    const c = await run(cycle).then(() => undefined, (e) => e);
    assert(c instanceof FetchError && /already gave/.test(c.message), String(c));
    assertEquals(cycle.asked, ["", cursor, "other"]);

    // has_more false ends it, whatever the cursor says.
    const done = pager("page", { "": { ...page1, has_more: false } });
    assert((await run(done)).metadata.spend !== undefined);
    assertEquals(done.asked, [""]);
  });
}
