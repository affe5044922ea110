// One path grammar (issue 13): the manifest schema validates paths through the parser, and the
// JSON Schema's pattern (for editors) accepts exactly what the parser accepts.
import { assert, assertEquals } from "./support/assert.ts";
import { ROOT } from "./support/cli.ts";
import { compilePath, isPath, PATH_PATTERN } from "../src/providers/jsonpath.ts";
import { Manifest } from "../src/providers/manifest.ts";

const VALID = [
  "$",
  "a",
  "a.b.c",
  "data.items[0].value",
  "list[-1]",
  "data[*].results[*].amount.value",
  "balance_infos[currency=USD].total_balance",
  "limits[?type=TOKENS_LIMIT].percentage",
  "result[id={account_id}].name",
  "x[a=]",
  "$ref.@id.some-key",
  "a[0][1][*]",
  "error.details[reason=API_KEY_INVALID].reason",
  "m[k=a b]",
  "$.a", // a key named "$"
];
const INVALID = [
  "",
  ".",
  "a.",
  ".a",
  "a..b",
  "$..balance",
  "a[",
  "a[]",
  "a]",
  "a[0",
  "a[x]",
  "a[=1]",
  "a[?=1]",
  "a[b-c=1]",
  "a[1.5]",
  "a[b=1.5]",
  "{field}.name",
  "a b",
  "a/b",
  "a['b']",
  "a[*]b",
  "[0]",
  "a[0]]",
];

Deno.test("the parser, the schema and the JSON Schema pattern agree on a corpus", async () => {
  const re = new RegExp(PATH_PATTERN);
  const schema = JSON.parse(await Deno.readTextFile(`${ROOT}/schema/provider.schema.json`));
  const patterns = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        if (k === "pattern" && typeof x === "string" && x.includes("A-Za-z0-9_$@-")) {
          patterns.add(x);
        }
        walk(x);
      }
    }
  };
  walk(schema);
  assertEquals([...patterns], [PATH_PATTERN], "the JSON Schema carries the parser's pattern");
  const base = {
    id: "acme",
    name: "Acme",
    keyType: "key",
    keyPattern: "^[!-~]{16,512}$",
    baseUrl: "https://api.acme.example",
    kind: "balance",
    steps: [{ id: "main", path: "/x" }],
  };
  for (const p of [...VALID, ...INVALID]) {
    const parses = isPath(p);
    assertEquals(re.test(p), parses, `pattern vs parser on ${JSON.stringify(p)}`);
    assertEquals(parses, VALID.includes(p), `parser on ${JSON.stringify(p)}`);
    const zod = Manifest.safeParse({ ...base, fields: { balance: { path: p } } }).success;
    assertEquals(zod, parses, `schema vs parser on ${JSON.stringify(p)}`);
  }
});

Deno.test("generated paths: random strings over the grammar's alphabet agree too", () => {
  const re = new RegExp(PATH_PATTERN);
  const alphabet = ["a", "b", "0", "1", "-", "_", "$", ".", "[", "]", "*", "?", "=", "{", "}", " "];
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let valid = 0;
  for (let i = 0; i < 20_000; i++) {
    let p = "";
    for (let j = 1 + rand(10); j > 0; j--) p += alphabet[rand(alphabet.length)];
    const parses = isPath(p);
    if (parses) valid++;
    assertEquals(re.test(p), parses, JSON.stringify(p));
  }
  assert(valid > 100, `only ${valid} valid samples`);
  assertEquals(compilePath("a[?t=x].b").length, 3);
});
