// Malformed and malicious provider manifests, data-driven: each is refused with a problem that
// names the file, line, column and field; templates fed hostile values never leave the host;
// a manifest cannot take over a built-in's id or alias to send its keys elsewhere.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { assertNoSecret, ROOT, runKeyz } from "./support/cli.ts";
import { makeStore } from "./support/store.ts";
import {
  GENERIC_NAMES,
  type ManifestFile,
  mergeManifests,
  parseManifest,
} from "../src/providers/load.ts";
import { formatProblem } from "../src/providers/lookup.ts";
import { BUILTIN_MANIFESTS } from "../src/providers/builtin.ts";
import { fetchMetadata } from "../src/fetch/run.ts";
import type { HttpClient, HttpRequest } from "../src/fetch/http.ts";
import { Secret } from "../src/store/secret.ts";
import { FetchError } from "../src/errors.ts";

type Obj = Record<string, unknown>;

const BASE: Obj = {
  id: "acme",
  name: "Acme",
  keyType: "inference key",
  kind: "balance",
  baseUrl: "https://api.acme.example",
  steps: [{ id: "main", path: "/v1/balance" }],
  fields: { balance: { path: "data.balance" } },
  currency: "USD",
  keyPattern: "^[!-~]{16,512}$",
};

/** A deep copy of BASE with `edit` applied. */
function mutate(edit: (m: Obj & { steps: Obj[]; fields: Obj }) => void): string {
  const m = structuredClone(BASE) as Obj & { steps: Obj[]; fields: Obj };
  edit(m);
  return JSON.stringify(m, null, 2);
}

interface ParseCase {
  name: string;
  text: string;
  /** Field path of the first problem ("" for syntax errors). */
  field: string;
  message: RegExp;
  /** Position of the first problem, when it is worth pinning. */
  at?: [number, number];
}

const PARSE_CASES: ParseCase[] = [
  {
    name: "missing comma",
    text: '{\n  "id": "acme"\n  "name": "x"\n}',
    field: "",
    message: /invalid JSONC: CommaExpected/,
    at: [3, 3],
  },
  {
    name: "unterminated string",
    text: '{ "id": "acme }',
    field: "",
    message: /invalid JSONC/,
  },
  { name: "trailing garbage", text: `${mutate(() => {})} {}`, field: "", message: /invalid JSONC/ },
  { name: "empty file", text: "", field: "", message: /invalid JSONC|expected object/ },
  { name: "top-level array", text: "[]", field: "", message: /expected object/ },
  { name: "top-level string", text: '"acme"', field: "", message: /expected object/ },
  {
    name: "id of the wrong type",
    text: mutate((m) => m.id = 42),
    field: "id",
    message: /expected string/,
    at: [2, 9],
  },
  {
    name: "upper-case id",
    text: mutate((m) => m.id = "Acme"),
    field: "id",
    message: /lower-case/,
  },
  {
    name: "id too long",
    text: mutate((m) => m.id = "a".repeat(41)),
    field: "id",
    message: /lower-case/,
  },
  {
    name: "unknown top-level field",
    text: mutate((m) => m.exfiltrateTo = "https://evil.example"),
    field: "",
    message: /Unrecognized key.*exfiltrateTo/,
  },
  {
    name: "unknown step field",
    text: mutate((m) => m.steps[0].url = "https://evil.example/x"),
    field: "steps[0]",
    message: /Unrecognized key.*url/,
  },
  {
    name: "http:// baseUrl",
    text: mutate((m) => m.baseUrl = "http://api.acme.example"),
    field: "baseUrl",
    message: /must be an https:\/\/ URL/,
    at: [6, 14],
  },
  {
    name: "javascript: baseUrl",
    text: mutate((m) => m.baseUrl = "javascript:alert(1)"),
    field: "baseUrl",
    message: /https/,
  },
  {
    name: "http:// region",
    text: mutate((m) => {
      delete m.baseUrl;
      m.regions = { eu: { baseUrl: "http://eu.acme.example" } };
    }),
    field: "regions.eu.baseUrl",
    message: /https/,
  },
  {
    name: "path with //host",
    text: mutate((m) => m.steps[0].path = "//evil.example/steal"),
    field: "steps[0].path",
    message: /single \//,
  },
  {
    name: "path with a scheme",
    text: mutate((m) => m.steps[0].path = "https://evil.example/steal"),
    field: "steps[0].path",
    message: /single \//,
  },
  {
    name: "path with @host",
    text: mutate((m) => m.steps[0].path = "@evil.example/steal"),
    field: "steps[0].path",
    message: /single \//,
  },
  {
    name: "path with .. segments",
    text: mutate((m) => m.steps[0].path = "/v1/../../admin"),
    field: "steps[0].path",
    message: /\. or \.\. segments/,
  },
  {
    name: "path with encoded .. segments",
    text: mutate((m) => m.steps[0].path = "/v1/%2e%2e/admin"),
    field: "steps[0].path",
    message: /\. or \.\. segments/,
  },
  {
    name: "path with a fragment",
    text: mutate((m) => m.steps[0].path = "/v1/balance#x"),
    field: "steps[0].path",
    message: /no #/,
  },
  {
    name: "path with a backslash",
    text: mutate((m) => m.steps[0].path = "/\\evil.example"),
    field: "steps[0].path",
    message: /single \//,
  },
  {
    name: "huge maxPages",
    text: mutate((m) =>
      m.steps[0].paginate = { hasMore: "more", cursor: "next", param: "after", maxPages: 100000 }
    ),
    field: "steps[0].paginate.maxPages",
    message: /<=100/,
  },
  {
    name: "zero maxPages",
    text: mutate((m) =>
      m.steps[0].paginate = { hasMore: "more", cursor: "next", param: "after", maxPages: 0 }
    ),
    field: "steps[0].paginate.maxPages",
    message: />=1/,
  },
  {
    name: "fractional maxPages",
    text: mutate((m) =>
      m.steps[0].paginate = { hasMore: "more", cursor: "next", param: "after", maxPages: 2.5 }
    ),
    field: "steps[0].paginate.maxPages",
    message: /expected int/,
  },
  {
    name: "timeout of a day",
    text: mutate((m) => m.timeoutMs = 86_400_000),
    field: "timeoutMs",
    message: /<=120000/,
  },
  {
    name: "retries 100",
    text: mutate((m) => m.retries = 100),
    field: "retries",
    message: /<=5/,
  },
  {
    name: "10 GB response cap",
    text: mutate((m) => m.maxResponseBytes = 10_000_000_000),
    field: "maxResponseBytes",
    message: /<=50000000/,
  },
  {
    name: "unavailable without reason",
    text: JSON.stringify({
      id: "acme",
      name: "Acme",
      keyType: "key",
      keyPattern: "^[!-~]{16,512}$",
      kind: "unavailable",
      dashboard: "https://acme.example/billing",
    }),
    field: "reason",
    message: /is required/,
  },
  {
    name: "unavailable without dashboard",
    text: JSON.stringify({
      id: "acme",
      name: "Acme",
      keyType: "key",
      keyPattern: "^[!-~]{16,512}$",
      kind: "unavailable",
      reason: "none",
    }),
    field: "dashboard",
    message: /is required/,
  },
  {
    name: "bad path syntax",
    text: mutate((m) => m.fields.balance = { path: "data.balance[" }),
    field: "fields.balance.path",
    message: /must be a path/,
  },
  {
    name: "recursive-descent path",
    text: mutate((m) => m.fields.balance = { path: "$..balance" }),
    field: "fields.balance.path",
    message: /must be a path/,
  },
  {
    name: "value with path and const",
    text: mutate((m) => m.fields.balance = { path: "data.balance", const: 5 }),
    field: "fields.balance",
    message: /exactly one of path, const, difference, sum/,
  },
  {
    name: "header name with CRLF",
    text: mutate((m) => m.headers = { "X-A\r\nHost": "evil.example" }),
    field: "headers.X-A\r\nHost",
    message: /Invalid key in record/,
  },
  {
    name: "auth scheme smuggling a header",
    text: mutate((m) => m.auth = { scheme: "Bearer x\r\nX-Evil: 1" }),
    field: "auth.scheme",
    message: /Invalid string/,
  },
  {
    name: "check with equals and in",
    text: mutate((m) => m.steps[0].check = { path: "ok", equals: true, in: [true] }),
    field: "steps[0].check",
    message: /exactly one of equals, in/,
  },
  {
    name: "balance kind without balance",
    text: mutate((m) => m.fields = { spend: { path: "x" } }),
    field: "fields.balance",
    message: /required for kind balance/,
  },
  {
    name: "defaultRegion naming no region",
    text: mutate((m) => {
      delete m.baseUrl;
      m.regions = { eu: { baseUrl: "https://eu.acme.example" } };
      m.defaultRegion = "us";
    }),
    field: "defaultRegion",
    message: /names no region/,
  },
  {
    name: "lower-case currency",
    text: mutate((m) => m.currency = "usd"),
    field: "currency",
    message: /ISO 4217|Invalid/,
  },
  {
    name: "six steps",
    text: mutate((m) =>
      m.steps = Array.from({ length: 6 }, (_, i) => ({ id: `s${i}`, path: `/s/${i}` }))
    ),
    field: "steps",
    message: /<=5/,
  },
  {
    name: "upper-case extract variable",
    text: mutate((m) => m.steps[0].extract = { Team: "team" }),
    field: "steps[0].extract.Team",
    message: /Invalid key in record/,
  },
  {
    name: "scale with an exponent",
    text: mutate((m) => m.fields.balance = { path: "data.balance", scale: "1e5" }),
    field: "fields.balance.scale",
    message: /decimal such as/,
  },
  {
    name: "unknown figure kind",
    text: mutate((m) => m.kind = "wallet"),
    field: "kind",
    message: /expected one of/,
  },
  {
    name: "2001-character template",
    text: mutate((m) => m.headers = { "X-Pad": "a".repeat(2001) }),
    field: "headers.X-Pad",
    message: /<=2000/,
  },
];

Deno.test(`hostile manifests: ${PARSE_CASES.length} malformed files are refused with file:line:col and field`, () => {
  const failures: string[] = [];
  for (const c of PARSE_CASES) {
    try {
      const r = parseManifest(c.text, `bad/${c.name}.jsonc`);
      assert(!r.ok, "was accepted");
      const p = r.problems[0];
      assertEquals(p.field, c.field);
      assertMatch(p.message, c.message);
      if (c.at) assertEquals([p.line, p.col], c.at);
      assert(p.line >= 1 && p.col >= 1);
      assertMatch(formatProblem(p), new RegExp(`^bad/${c.name}\\.jsonc:\\d+:\\d+: `));
    } catch (e) {
      failures.push(`${c.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  assertEquals(failures, []);
  assert(parseManifest(mutate(() => {}), "good.jsonc").ok, "the base manifest is valid");
});

// ---------------------------------------------------------------------------------------------
// Merging: a drop-in cannot send a built-in's keys elsewhere.

const builtin: ManifestFile[] = BUILTIN_MANIFESTS.map((b) => ({
  file: `providers/${b.name}`,
  text: b.text,
  source: "built-in",
}));
const user = (name: string, m: Obj): ManifestFile => ({
  file: `user/${name}.jsonc`,
  text: JSON.stringify(m),
  source: "user",
});

interface MergeCase {
  name: string;
  files: ManifestFile[];
  /** Problem expected on the last file (undefined: accepted). */
  problem?: { field: string; message: RegExp };
  check?: (set: ReturnType<typeof mergeManifests>) => void;
}

const store = (name: string, m: Obj): ManifestFile => ({
  file: `store/.keyz/providers/${name}.jsonc`,
  text: JSON.stringify(m),
  source: "store",
});

const MERGE_CASES: MergeCase[] = [
  {
    name: "store manifest: a built-in id even with the same host",
    files: [store("deepseek", { ...BASE, id: "deepseek", baseUrl: "https://api.deepseek.com" })],
    problem: {
      field: "id",
      message: /"deepseek" names the built-in provider deepseek; a store manifest may not/,
    },
    check: (s) => assertEquals(s.providers.get("deepseek")?.source, "built-in"),
  },
  {
    name: "store manifest: a built-in alias as its own id",
    files: [store("claude", { ...BASE, id: "claude" })],
    problem: { field: "id", message: /names the built-in provider anthropic/ },
  },
  {
    name: "store manifest: a built-in's alias as an alias (would capture work/kimicode)",
    files: [store("acme", { ...BASE, id: "acme", aliases: ["kimicode"] })],
    problem: { field: "aliases", message: /"kimicode" (names|already names) .*kimi-code/ },
    check: (s) => assert(!s.providers.has("acme")),
  },
  {
    name: "store manifest: the alias main (would capture api/deepseek/main)",
    files: [store("acme", { ...BASE, id: "acme", aliases: ["acme-ai", "main"] })],
    problem: { field: "aliases", message: /"main" is a generic folder name/ },
    check: (s) => assert(!s.providers.has("acme")),
  },
  ...["api", "keys", "prod", "work", "personal", "team", "default", "admin"].map((g) => ({
    name: `store manifest: the generic id ${g}`,
    files: [store(g, { ...BASE, id: g })],
    problem: { field: "id", message: /generic folder name/ },
  })),
  {
    name: "store manifest: a user provider's id",
    files: [
      user("acme", { ...BASE, id: "acme", aliases: ["acme-ai"] }),
      store("acme2", { ...BASE, id: "acme-two", aliases: ["acme-ai"] }),
    ],
    problem: { field: "aliases", message: /"acme-ai" names the user provider acme/ },
  },
  {
    name: "store manifest: a new id and alias of its own is fine",
    files: [store("nebius", { ...BASE, id: "nebius", aliases: ["nebius-ai"] })],
    check: (s) => assertEquals(s.providers.get("nebius")?.source, "store"),
  },
  {
    name: "user manifest: a generic alias is the user's own choice",
    files: [user("acme", { ...BASE, id: "acme", aliases: ["work"] })],
  },
  {
    name: "built-in id, other host",
    files: [user("deepseek", { ...BASE, id: "deepseek", baseUrl: "https://evil.example" })],
    problem: {
      field: "id",
      message:
        /built-in provider with host api\.deepseek\.com; this file would send its keys to evil\.example/,
    },
    check: (s) => assertEquals(s.providers.get("deepseek")?.source, "built-in"),
  },
  {
    name: "built-in id, extra region on another host",
    files: [user("moonshot", {
      ...BASE,
      id: "moonshot",
      baseUrl: undefined,
      regions: {
        global: { baseUrl: "https://api.moonshot.ai" },
        cn: { baseUrl: "https://api.moonshot.cn" },
        xx: { baseUrl: "https://evil.example" },
      },
    })],
    problem: { field: "id", message: /would send its keys to .*evil\.example/ },
  },
  {
    name: "built-in id, same host (a local fix) is allowed",
    files: [user("deepseek", { ...BASE, id: "deepseek", baseUrl: "https://api.deepseek.com" })],
    check: (s) => assertEquals(s.providers.get("deepseek")?.source, "user"),
  },
  {
    name: "new id claiming a built-in's alias",
    files: [user("evil", { ...BASE, id: "evil", aliases: ["grok"] })],
    problem: { field: "aliases", message: /"grok" already names provider xai/ },
  },
  {
    name: "id equal to a built-in's alias",
    files: [user("grok", { ...BASE, id: "grok" })],
    problem: { field: "aliases", message: /"grok" already names provider xai/ },
  },
  {
    name: "two drop-ins sharing an alias",
    files: [
      user("a", { ...BASE, id: "acme-a", aliases: ["acme"] }),
      user("b", { ...BASE, id: "acme-b", aliases: ["acme"] }),
    ],
    problem: { field: "aliases", message: /"acme" already names provider acme-a/ },
  },
  {
    name: "a broken file does not stop the others",
    files: [
      { file: "user/broken.jsonc", text: "{ nope", source: "user" },
      user("fine", { ...BASE, id: "fine" }),
    ],
    check: (s) => {
      assert(s.providers.has("fine"));
      assert(s.problems.length > 0);
      assert(s.problems.every((p) => p.file === "user/broken.jsonc"));
    },
  },
];

Deno.test("no built-in id or alias is a generic folder name", () => {
  for (const b of builtin) {
    const r = parseManifest(b.text, b.file);
    assert(r.ok);
    for (const n of [r.manifest.id, ...r.manifest.aliases]) {
      assert(!GENERIC_NAMES.has(n), `${b.file}: ${n}`);
    }
  }
});

Deno.test(`hostile manifests: ${MERGE_CASES.length} drop-ins cannot take over a built-in's id, alias or host`, () => {
  for (const c of MERGE_CASES) {
    const set = mergeManifests([...builtin, ...c.files]);
    const last = c.files.at(-1)!.file;
    const mine = set.problems.filter((p) => p.file === last);
    if (c.problem) {
      assertEquals(mine.length, 1, `${c.name}: ${JSON.stringify(set.problems)}`);
      assertEquals(mine[0].field, c.problem.field, c.name);
      assertMatch(mine[0].message, c.problem.message, c.name);
    } else {
      assertEquals(mine, [], c.name);
    }
    c.check?.(set);
  }
});

// ---------------------------------------------------------------------------------------------
// Templates given hostile values: the request stays on the manifest's host and path.

const KEY = "sk-CANARY-manifest-template-1f2e";

interface TemplateCase {
  name: string;
  step: Obj;
  vars: Record<string, string>;
  /** Expected URL (host and path) or the FetchError kind and message. */
  url?: string;
  error?: RegExp;
}

const TEMPLATE_CASES: TemplateCase[] = [
  {
    name: "@host in a path variable",
    step: { id: "main", path: "/v1/teams/{x}/balance" },
    vars: { x: "@evil.example/" },
    url: "https://api.acme.example/v1/teams/%40evil.example%2F/balance",
  },
  {
    name: "//host in a path variable",
    step: { id: "main", path: "/{x}" },
    vars: { x: "//evil.example/steal" },
    url: "https://api.acme.example/%2F%2Fevil.example%2Fsteal",
  },
  {
    name: "full URL in a path variable",
    step: { id: "main", path: "/{x}" },
    vars: { x: "https://evil.example" },
    url: "https://api.acme.example/https%3A%2F%2Fevil.example",
  },
  {
    name: ".. as a path variable",
    step: { id: "main", path: "/v1/{x}/balance" },
    vars: { x: ".." },
    error: /\. or \.\. segment; refused/,
  },
  {
    name: "query injection in a query variable",
    step: { id: "main", path: "/v1/balance", query: { team: "{x}" } },
    vars: { x: "a&admin=1#frag" },
    url: "https://api.acme.example/v1/balance?team=a%26admin%3D1%23frag",
  },
  {
    name: "?query in a path variable",
    step: { id: "main", path: "/v1/{x}" },
    vars: { x: "balance?redirect=https://evil.example" },
    url: "https://api.acme.example/v1/balance%3Fredirect%3Dhttps%3A%2F%2Fevil.example",
  },
];

Deno.test(`hostile manifests: ${TEMPLATE_CASES.length} hostile template values never leave the host`, async () => {
  for (const c of TEMPLATE_CASES) {
    const r = parseManifest(mutate((m) => m.steps = [c.step]), "t.jsonc");
    assert(r.ok, c.name);
    const seen: HttpRequest[] = [];
    const http: HttpClient = {
      request(req) {
        seen.push(req);
        return Promise.resolve({ data: { balance: 1 } });
      },
    };
    const job = {
      manifest: r.manifest,
      path: "acme/main",
      key: new Secret(KEY),
      vars: c.vars,
      now: new Date("2025-01-01T00:00:00Z"),
      retryBaseMs: 0,
    };
    if (c.url) {
      await fetchMetadata(job, http);
      assertEquals(seen.map((s) => s.url.href), [c.url], c.name);
    } else {
      const e = await fetchMetadata(job, http).then(() => undefined, (e) => e);
      assert(e instanceof FetchError && e.kind === "config", `${c.name}: ${e}`);
      assertMatch(e.message, c.error!);
      assertEquals(seen, [], c.name);
      assertNoSecret([e.message], [KEY]);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// Through the CLI, as a manifest author sees it.

const FIX = `${ROOT}/tests/fixtures/hostile`;

Deno.test("hostile manifests: `keyz providers check` names file:line:col and field (3 fixtures)", async () => {
  const env = { HOME: "/nonexistent", PASSWORD_STORE_DIR: "/nonexistent/store" };
  const bad = await runKeyz(["providers", "check", `${FIX}/bad_jsonc.jsonc`], { env });
  assertEquals(bad.code, 2, bad.stderr);
  assertMatch(bad.stderr, /^keyz: \S+bad_jsonc\.jsonc:6:3: invalid JSONC: CommaExpected \(/);

  const http = await runKeyz(["providers", "check", `${FIX}/http_base_url.jsonc`], { env });
  assertEquals(http.code, 2, http.stderr);
  assertMatch(
    http.stderr,
    /^keyz: \S+http_base_url\.jsonc:7:14: baseUrl: must be an https:\/\/ URL \(/,
  );

  const escape = await runKeyz(["providers", "check", `${FIX}/path_escape.jsonc`], { env });
  assertEquals(escape.code, 2, escape.stderr);
  assertMatch(escape.stderr, /path_escape\.jsonc:\d+:\d+: steps\[0\]\.path: must not contain/);
  // The other problems of the same file are listed too, one per line.
  assertMatch(
    escape.stdout + escape.stderr,
    /path_escape\.jsonc:\d+:\d+: steps\[1\]\.path: must start with a single \//,
  );
});

Deno.test("hostile manifests: a store manifest hijacking a built-in id is skipped with a warning", async () => {
  const store = await makeStore();
  try {
    await Deno.mkdir(`${store.storeDir}/.keyz/providers`, { recursive: true });
    await Deno.writeTextFile(
      `${store.storeDir}/.keyz/providers/openai.jsonc`,
      JSON.stringify({ ...BASE, id: "openai", baseUrl: "https://evil.example" }),
    );
    const r = await runKeyz(["providers", "list", "--json"], { env: store.env });
    assertEquals(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    const openai = doc.providers.find((p: { id: string }) => p.id === "openai");
    assertEquals(openai.source, "built-in");
    assertEquals(openai.hosts, ["api.openai.com"]);
    assert(doc.problems.some((p: string) => /openai\.jsonc:\d+:\d+: id: .*evil\.example/.test(p)));
  } finally {
    await store.cleanup();
  }
});

Deno.test("a manifest with several problems: one line on every command, all with providers check", async () => {
  const store = await makeStore({ entries: { "api/deepseek/main": "sk-CANARY-problems-0001" } });
  try {
    const dir = `${store.env.XDG_CONFIG_HOME}/keyz/providers`;
    await Deno.mkdir(dir, { recursive: true });
    const file = `${dir}/three.jsonc`;
    await Deno.writeTextFile(
      file,
      mutate((m) => {
        m.baseUrl = "http://api.acme.example";
        m.steps[0].path = "//evil.example";
        m.fields.balance = { path: "data.balance[" };
      }),
    );
    for (const args of [["ls"], ["providers", "list"], ["check"]]) {
      const r = await runKeyz(args, { env: store.env });
      const lines = r.stderr.split("\n").filter((l) => l.includes("three.jsonc"));
      assertEquals(lines.length, 1, `${args}: ${r.stderr}`);
      assertMatch(
        lines[0],
        new RegExp(
          `^keyz: bad manifest skipped: \\S+three\\.jsonc:\\d+:\\d+: baseUrl: .*https.* \\(2 more; keyz providers check ${
            file.replace(/[.]/g, "\\.")
          }\\)$`,
        ),
      );
    }
    const all = await runKeyz(["providers", "check", file], { env: store.env });
    assertEquals(all.code, 2);
    // Every problem on stderr (none on stdout), then one keyz line saying what to do.
    assertEquals(all.stdout, "");
    const lines = all.stderr.split("\n").filter(Boolean);
    assertEquals(lines.filter((l) => /three\.jsonc:\d+:\d+: /.test(l)).length, 3, all.stderr);
    assertEquals(lines.filter((l) => l.startsWith("keyz: ")), [
      `keyz: ${file} has 3 problems, listed above (fix the manifest; see docs/manifests.md)`,
    ]);
  } finally {
    await store.cleanup();
  }
});
