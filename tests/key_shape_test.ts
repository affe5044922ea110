// Key shapes (trust rule 1): a secret is sent only when it has the shape of its provider's keys
// (or credentials). Pure unit tests plus one look at the module graph (no processes but deno).
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { keyLike } from "./support/keys.ts";
import { ROOT } from "./support/cli.ts";
import {
  assertSendable,
  isOwnCredential,
  keyShape,
  manifestPatternProblems,
  patternProblem,
} from "../src/providers/key_shape.ts";
import { type ManifestFile, mergeManifests, parseManifest } from "../src/providers/load.ts";
import { BUILTIN_MANIFESTS } from "../src/providers/builtin.ts";
import { Manifest, type ManifestInput } from "../src/providers/manifest.ts";
import { fetchMetadata } from "../src/fetch/run.ts";
import type { HttpClient, HttpRequest } from "../src/fetch/http.ts";
import { Secret } from "../src/store/secret.ts";
import { FetchError, NotAKeyError } from "../src/errors.ts";

const builtins = mergeManifests(
  BUILTIN_MANIFESTS.map((b) => ({ file: `providers/${b.name}`, text: b.text, source: "built-in" })),
);
const builtin = (id: string) => builtins.providers.get(id)!.manifest;

Deno.test("every built-in key pattern is a valid RE2 regex", () => {
  assertEquals(builtins.problems, []);
  for (const p of builtins.providers.values()) {
    assertEquals(manifestPatternProblems(p.manifest), [], p.manifest.id);
    assert(p.manifest.keyPattern.startsWith("^") && p.manifest.keyPattern.endsWith("$"));
  }
});

Deno.test("built-in shapes: documented keys match, ordinary passwords do not", () => {
  const ok: [string, string][] = [
    ["openrouter", keyLike("openrouter", "a")],
    ["anthropic", keyLike("anthropic", "a")],
    ["anthropic", keyLike("anthropic-admin", "a")],
    ["openai", keyLike("openai", "a")],
    ["openai", keyLike("openai-admin", "a")],
    ["openai", `sk-${"A1b2".repeat(5)}T3BlbkFJ${"c3D4".repeat(5)}`],
    ["xai", keyLike("xai", "a")],
    ["github", keyLike("github", "a")],
    ["github", `github_pat_${"A1b2_".repeat(16)}xy`],
    ["google", keyLike("google", "a")],
    ["deepseek", keyLike("deepseek", "a")],
    ["zai", "0123456789abcdef0123456789abcdef.AbCdEfGhIjKlMnOp"],
  ];
  for (const [id, key] of ok) {
    assertEquals(keyShape(builtin(id), key), { ok: true }, `${id} ${key}`);
  }
  const passwords = [
    "hunter2",
    "correct horse battery staple",
    "Tr0ub4dor&3",
    "sk-or-v1-" + "A".repeat(64), // upper-case hex
    "sk-or-v1-" + "a".repeat(63),
    `${keyLike("openrouter", "b")}x`,
    ` ${keyLike("openrouter", "b")}`,
  ];
  for (const pw of passwords) {
    assertEquals(keyShape(builtin("openrouter"), pw), { ok: false, why: "mismatch" }, pw);
  }
  assertEquals(keyShape(builtin("github"), "my-github-password-2024!"), {
    ok: false,
    why: "mismatch",
  });
  assertEquals(keyShape(builtin("deepseek"), "correct horse battery staple").ok, false);
  assertEquals(keyShape(builtin("google"), keyLike("openrouter", "c")).ok, false);
  // `sk-` + random is many providers' shape; OpenAI's keys carry the T3BlbkFJ marker.
  for (const other of ["openrouter", "anthropic", "deepseek"]) {
    assertEquals(keyShape(builtin("openai"), keyLike(other, "d")).ok, false, other);
  }
  assertEquals(keyShape(builtin("openai"), `sk-${"A1b2".repeat(12)}`).ok, false); // Moonshot-like
  for (const blank of ["", " ", "\t \t"]) {
    assertEquals(keyShape(builtin("deepseek"), blank), { ok: false, why: "blank" });
  }
});

Deno.test("a documented built-in shape names one provider: each key matches only its own", () => {
  // keyz discover proposes a provider only when exactly one documented shape accepts a key.
  const documented = [...builtins.providers.values()].filter((p) =>
    p.manifest.keyPatternSource === "documented"
  );
  const samples: [string, string][] = [
    ["openrouter", keyLike("openrouter", "e")],
    ["anthropic", keyLike("anthropic", "e")],
    ["anthropic", keyLike("anthropic-admin", "e")],
    ["openai", keyLike("openai", "e")],
    ["openai", keyLike("openai-admin", "e")],
    ["xai", keyLike("xai", "e")],
    ["github", keyLike("github", "e")],
    ["google", keyLike("google", "e")],
  ];
  assertEquals(
    new Set(samples.map(([id]) => id)),
    new Set(documented.map((p) => p.manifest.id)),
    "a sample for every documented shape",
  );
  for (const [id, key] of samples) {
    const matching = documented.filter((p) => keyShape(p.manifest, key).ok).map((p) =>
      p.manifest.id
    );
    assertEquals(matching, [id], key);
  }
});

Deno.test("a documented admin shape makes a key its own credential; a conservative one never", () => {
  assert(isOwnCredential(builtin("openai"), keyLike("openai-admin", "x")));
  assert(!isOwnCredential(builtin("openai"), keyLike("openai", "x")));
  assert(isOwnCredential(builtin("anthropic"), keyLike("anthropic-admin", "x")));
  assert(!isOwnCredential(builtin("anthropic"), keyLike("anthropic", "x")));
  // xAI management keys have no documented shape: an xAI key is never taken for one.
  assert(!isOwnCredential(builtin("xai"), keyLike("xai", "x")));
});

Deno.test("patterns are RE2: lookaround, backreferences and bad syntax are refused", () => {
  assertEquals(patternProblem("^sk-[a-z]+$"), undefined);
  assertMatch(patternProblem("^(?=sk-)")!, /not a valid RE2 regex/);
  assertMatch(patternProblem("^(a)\\1$")!, /not a valid RE2 regex/);
  assertMatch(patternProblem("^sk-[a-z+$")!, /not a valid RE2 regex/);
  assertMatch(patternProblem("(a{1000}){1000}")!, /RE2|too complex/);
});

Deno.test("a catastrophic pattern runs in linear time", () => {
  const m = Manifest.parse({ ...BASE, keyPattern: "^(a|a)*$" });
  const started = performance.now();
  assertEquals(keyShape(m, "a".repeat(50_000) + "b").ok, false);
  const took = performance.now() - started;
  assert(took < 2_000, `took ${took} ms`);
});

const BASE: ManifestInput = {
  id: "acme",
  name: "Acme",
  keyType: "API key",
  keyPattern: "^acme-[0-9a-f]{32}$",
  keyPatternSource: "documented",
  baseUrl: "https://api.acme.example",
  kind: "balance",
  steps: [{ id: "main", path: "/balance" }],
  fields: { balance: { path: "balance" } },
  currency: "USD",
};

Deno.test("a drop-in with a bad pattern is a manifest problem with file:line:col and field", () => {
  const text = [
    "{",
    '  "id": "acme",',
    '  "name": "Acme",',
    '  "keyType": "API key",',
    '  "keyPattern": "^(?!x)acme$",',
    '  "baseUrl": "https://api.acme.example",',
    '  "kind": "balance",',
    '  "steps": [{ "id": "main", "path": "/balance" }],',
    '  "fields": { "balance": { "path": "balance" } },',
    '  "credential": { "required": false, "description": "x", "keyPattern": "a(" }',
    "}",
  ].join("\n");
  const file: ManifestFile = { file: "user/acme.jsonc", text, source: "user" };
  const set = mergeManifests([file], manifestPatternProblems);
  assert(!set.providers.has("acme"));
  assertEquals(set.problems.map((p) => [p.line, p.col, p.field]), [
    [5, 17, "keyPattern"],
    [10, 72, "credential.keyPattern"],
  ]);
  assertMatch(set.problems[0].message, /not a valid RE2 regex/);
  // keyPattern is required.
  const r = parseManifest(text.replace('  "keyPattern": "^(?!x)acme$",\n', ""), "x.jsonc");
  assert(!r.ok && r.problems.some((p) => p.field === "keyPattern"));
});

function recording(): HttpClient & { seen: HttpRequest[] } {
  const seen: HttpRequest[] = [];
  return {
    seen,
    request(req) {
      seen.push(req);
      return Promise.resolve({ balance: 1 });
    },
  };
}

const job = (m: Manifest, key: string, credential?: string) => ({
  manifest: m,
  path: "web/acme",
  key: new Secret(key),
  credential: credential === undefined ? undefined : new Secret(credential),
  credentialPath: credential === undefined ? undefined : "personal/bank",
  vars: {},
  now: new Date("2026-01-01T00:00:00Z"),
  retryBaseMs: 0,
});

Deno.test("fetchMetadata sends nothing that does not have the shape", async () => {
  const m = Manifest.parse(BASE);
  const good = `acme-${"0".repeat(32)}`;
  const http = recording();
  assertEquals((await fetchMetadata(job(m, good), http)).metadata.balance, 1);
  assertEquals(http.seen.length, 1);

  // A password: not an error but "not an acme key", and no request.
  const wrong = await fetchMetadata(job(m, "hunter2-bank-password"), http).catch((e) => e);
  assert(wrong instanceof NotAKeyError, String(wrong));
  assert(!(wrong instanceof FetchError));
  assertEquals([wrong.provider, wrong.role, wrong.path], ["acme", "key", "web/acme"]);
  assert(!wrong.message.includes("hunter2"));

  // A blank first line: a config error for this key, and no request.
  const blank = await fetchMetadata(job(m, "  "), http).catch((e) => e);
  assert(blank instanceof FetchError && blank.kind === "config", String(blank));
  assertMatch(blank.message, /first line is empty/);

  // A credential named by the (shared) map.json is checked too: no credential shape, no send.
  const cred = await fetchMetadata(job(m, good, "my-bank-password-123"), http).catch((e) => e);
  assert(cred instanceof NotAKeyError && cred.role === "credential", String(cred));
  assertEquals(cred.path, "personal/bank");
  const withShape = Manifest.parse({
    ...BASE,
    credential: { required: true, description: "admin key", keyPattern: "^acme-admin-\\d{8}$" },
  });
  const bad = await fetchMetadata(job(withShape, good, "acme-admin-1234"), http).catch((e) => e);
  assert(bad instanceof NotAKeyError && bad.role === "credential");
  await fetchMetadata(job(withShape, good, "acme-admin-12345678"), http);
  assertEquals(http.seen.length, 2);
  assertEquals(http.seen[1].headers.Authorization, "Bearer acme-admin-12345678");

  // An unavailable provider checks the shape too (the entry's state is then "not a key").
  const none = Manifest.parse({
    id: "none",
    name: "None",
    keyType: "key",
    keyPattern: "^none-[a-z]{16}$",
    kind: "unavailable",
    reason: "no API",
    dashboard: "https://none.example",
  });
  assert(await fetchMetadata(job(none, "password"), http).catch((e) => e) instanceof NotAKeyError);
  assertEquals(http.seen.length, 2);
});

Deno.test("ls and browse never import re2js (nor load it through a static import)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", `${ROOT}/main.ts`],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { specifier: string; code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
    redirects: Record<string, string>;
  };
  const bySpec = new Map(graph.modules.map((m) => [m.specifier, m]));
  const resolve = (s: string) => graph.redirects[s] ?? s;
  const staticClosure = (start: string) => {
    const seen = new Set<string>();
    const todo = [start];
    while (todo.length) {
      const s = resolve(todo.pop()!);
      if (seen.has(s)) continue;
      seen.add(s);
      for (const d of bySpec.get(s)?.dependencies ?? []) {
        if (!d.isDynamic && d.code) todo.push(d.code.specifier);
      }
    }
    return [...seen];
  };
  const root = new URL(`file://${ROOT}/`);
  for (
    const entry of ["main.ts", "src/cli/ls.ts", "src/cli/browse.ts", "src/view/snapshot_parse.ts"]
  ) {
    const closure = staticClosure(new URL(entry, root).href);
    assert(closure.length > 1, `${entry} not in the graph`);
    assertEquals(closure.filter((s) => /re2js/.test(s)), [], `${entry} imports re2js`);
  }
  // And the fetcher does.
  assert(staticClosure(new URL("src/fetch/run.ts", root).href).some((s) => /re2js/.test(s)));
});

Deno.test("assertSendable names no part of the secret", () => {
  const m = Manifest.parse(BASE);
  try {
    assertSendable(m, "s3cret-passw0rd-with-length", "key", "bank/chase");
    assert(false);
  } catch (e) {
    assert(e instanceof NotAKeyError);
    assertEquals(
      e.message,
      "bank/chase: not a acme key (its first line does not have the shape the manifest declares); nothing was sent",
    );
  }
});
