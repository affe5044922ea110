// Every built-in manifest: present, valid, of the right figure kind, and, through the real
// fetcher against a loopback server, yielding the exact figures of its documented responses.
import { assert, assertEquals } from "./support/assert.ts";
import { type Route, startServer } from "./support/server.ts";
import { loadProviders } from "../src/providers/load.ts";
import { fetchMetadata } from "../src/fetch/run.ts";
import { kyClient } from "../src/fetch/http.ts";
import { Secret } from "../src/store/secret.ts";
import { FetchError } from "../src/errors.ts";
import { generatedFiles } from "../scripts/generated.ts";
import { ROOT } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

/** What the issue asks each built-in to yield. */
const EXPECTED_KIND: Record<string, string> = {
  deepseek: "balance",
  moonshot: "balance",
  openrouter: "balance",
  xai: "balance",
  cloudflare: "balance",
  siliconflow: "balance",
  novita: "balance",
  openai: "spend",
  anthropic: "spend",
  github: "spend",
  fireworks: "spend",
  zai: "quota",
  minimax: "quota",
  google: "unavailable",
  cerebras: "unavailable",
  mistral: "unavailable",
  deepinfra: "balance",
  venice: "balance",
  stepfun: "balance",
  hyperbolic: "balance",
  chutes: "quota",
  "kimi-code": "quota",
  groq: "unavailable",
  together: "unavailable",
  perplexity: "unavailable",
};

interface Case {
  name: string;
  params?: Record<string, string>;
  fields?: Record<string, string>;
  credential?: boolean;
  key?: string;
  routes: (Route & { body?: string })[];
  expect: {
    status: "ok" | "error";
    error?: string;
    metadata?: Record<string, unknown>;
    /** Figures that must be absent (never a made-up value). */
    absent?: string[];
    /** The request paths, in order (e.g. [] when nothing may be sent). */
    requests?: string[];
  };
}

const set = await loadProviders({});

/** A credential of the provider's documented credential shape (its admin key). */
function credentialLike(id: string): string {
  const admin: Record<string, string> = {
    anthropic: "anthropic-admin",
    openai: "openai-admin",
    venice: "venice-admin",
  };
  return keyLike(admin[id] ?? id, "fixture-credential");
}

Deno.test("built-in manifests: all present, valid, of the promised kind", () => {
  assertEquals(set.problems, []);
  for (const [id, kind] of Object.entries(EXPECTED_KIND)) {
    const p = set.providers.get(id);
    assert(p, `built-in provider ${id} is missing`);
    assertEquals(p.manifest.kind, kind, `${id} yields ${p.manifest.kind}, expected ${kind}`);
    if (kind === "unavailable") {
      assert(p.manifest.reason && p.manifest.dashboard, `${id} needs a reason and a dashboard`);
      // Every recognised key gets a true state: at least valid or revoked.
      assert(p.manifest.keyCheck, `${id} has no key check`);
    }
    assert(p.manifest.env, `${id} names no env var`);
    assert(p.manifest.dashboard, `${id} names no dashboard`);
  }
  // Every built-in is promised here, so none goes without its fixtures.
  assertEquals([...set.providers.keys()].sort(), Object.keys(EXPECTED_KIND).sort());
});

Deno.test("generated files (JSON Schema, built-in list) are current", async () => {
  for (const [path, text] of Object.entries(await generatedFiles(`${ROOT}/`))) {
    const onDisk = await Deno.readTextFile(`${ROOT}/${path}`);
    assertEquals(onDisk, text, `${path} is stale: run deno task schema`);
  }
});

Deno.test("aliases map common pass layouts", () => {
  const want: Record<string, string> = {
    moonshotai: "moonshot",
    "kimi-for-coding": "kimi-code",
    kimicode: "kimi-code",
    pplx: "perplexity",
    "venice-ai": "venice",
    "deep-infra": "deepinfra",
    grok: "xai",
    claude: "anthropic",
    gemini: "google",
    copilot: "github",
    glm: "zai",
    bigmodel: "zai",
  };
  for (const [alias, id] of Object.entries(want)) {
    const owner = [...set.providers.values()].find((p) => p.manifest.aliases.includes(alias));
    assertEquals(owner?.manifest.id, id, `alias ${alias}`);
  }
  // A folder named kimi may hold a Moonshot key or a Kimi Code key: no provider claims it.
  const kimi = [...set.providers.values()].filter((p) =>
    [p.manifest.id, ...p.manifest.aliases].includes("kimi")
  );
  assertEquals(kimi.map((p) => p.manifest.id), []);
});

for (const id of Object.keys(EXPECTED_KIND)) {
  const dir = `${ROOT}/tests/fixtures/providers/${id}`;
  let cases: Case[] = [];
  try {
    cases = JSON.parse(await Deno.readTextFile(`${dir}/cases.json`)).cases;
  } catch { /* asserted below */ }
  Deno.test(`provider ${id}: documented responses give exact figures`, async (t) => {
    assert(cases.length > 0, `${dir}/cases.json has no cases`);
    const manifest = set.providers.get(id)!.manifest;
    for (const c of cases) {
      await t.step(c.name, async () => {
        const routes: Route[] = [];
        for (const r of c.routes) {
          const body = typeof r.body === "string"
            ? await Deno.readTextFile(`${dir}/${r.body}`)
            : r.body;
          routes.push({
            ...r,
            body,
            headers: { "content-type": "application/json", ...r.headers },
          });
        }
        const server = await startServer(routes);
        try {
          const key = new Secret(c.key ?? keyLike(id, "fixture-key"));
          const job = {
            manifest,
            path: `api/${id}/main`,
            key,
            credential: c.credential ? new Secret(credentialLike(id)) : undefined,
            vars: { ...c.fields, ...c.params },
            now: new Date("2026-11-25T12:00:00Z"),
            baseUrlOverride: server.url,
            retryBaseMs: 0,
          };
          let outcome;
          try {
            outcome = await fetchMetadata(job, kyClient);
          } catch (e) {
            if (!(e instanceof FetchError)) throw e;
            if (c.expect.requests) {
              assertEquals(server.hits.map((h) => h.path), c.expect.requests, "requests");
            }
            assertEquals(c.expect.status, "error", `unexpected ${e.kind}: ${e.message}`);
            assertEquals(e.kind, c.expect.error, e.message);
            assert(!e.message.includes(key.reveal()), "error message leaks the key");
            return;
          }
          assertEquals(c.expect.status, "ok", `expected ${c.expect.error}, got a result`);
          const got = outcome.metadata as Record<string, unknown>;
          for (const [field, want] of Object.entries(c.expect.metadata ?? {})) {
            assertEquals(got[field], want, `${field}: got ${JSON.stringify(got[field])}`);
          }
          assertEquals(got.kind, c.expect.metadata?.kind ?? got.kind);
          for (const field of c.expect.absent ?? []) {
            assertEquals(got[field], undefined, `${field} must be absent`);
          }
          if (c.expect.requests) {
            assertEquals(server.hits.map((h) => h.path), c.expect.requests, "requests");
          }
        } finally {
          await server.close();
        }
      });
    }
  });
}
