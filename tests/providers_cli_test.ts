// `keyz providers list|show|check|trust` and drop-in manifests, run as a user would, against one
// real pass store. The ElevenLabs walkthrough runs exactly the commands of docs/manifests.md.
import { assert, assertEquals, assertMatch, assertNotMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { assertNoSecret, ROOT, runKeyz } from "./support/cli.ts";

const BUILTINS = [
  "anthropic",
  "cerebras",
  "chutes",
  "cloudflare",
  "deepinfra",
  "deepseek",
  "fireworks",
  "github",
  "google",
  "groq",
  "hyperbolic",
  "kimi-code",
  "minimax",
  "mistral",
  "moonshot",
  "novita",
  "openai",
  "openrouter",
  "perplexity",
  "siliconflow",
  "stepfun",
  "together",
  "venice",
  "xai",
  "zai",
];
const ELEVEN_DIR = `${ROOT}/tests/fixtures/manifests/elevenlabs`;
const ELEVEN_KEY = "sk_CANARY-eleven-key-5c1d";

/** A small valid manifest; `extra` lines go inside the top-level object. */
function manifest(id: string, host: string): string {
  return [
    "{",
    `  "id": "${id}",`,
    `  "name": "${id} test provider",`,
    `  "env": "${id.toUpperCase().replaceAll("-", "_")}_API_KEY",`,
    '  "keyType": "API key",',
    `  "baseUrl": "https://${host}",`,
    '  "kind": "balance",',
    '  "steps": [{ "id": "balance", "path": "/v1/balance" }],',
    '  "fields": { "balance": { "path": "data.balance" } },',
    '  "keyPattern": "^[!-~]{16,512}$",',
    '  "currency": "USD"',
    "}",
    "",
  ].join("\n");
}

interface ProviderRow {
  id: string;
  source: string;
  kind: string;
  key_type: string;
  hosts: string[];
  trusted: boolean;
  file: string;
}

function rows(stdout: string): { byId: Map<string, ProviderRow>; problems: string[] } {
  const doc = JSON.parse(stdout) as { providers: ProviderRow[]; problems: string[] };
  return { byId: new Map(doc.providers.map((p) => [p.id, p])), problems: doc.problems };
}

Deno.test("keyz providers: list, show, check, trust and drop-in manifests", async (t) => {
  const store = await makeStore({
    git: true,
    entries: { "api/elevenlabs/main": `${ELEVEN_KEY}\nnote: voice key\n` },
  });
  const server = await startServer([{
    path: "/v1/user/subscription",
    body: JSON.parse(await Deno.readTextFile(`${ELEVEN_DIR}/sample.json`)),
  }]);
  const userDir = `${store.env.XDG_CONFIG_HOME}/keyz/providers`;
  const storeProviders = `${store.storeDir}/.keyz/providers`;
  const env = { ...store.env, KEYZ_RETRY_BASE_MS: "0", KEYZ_BASE_URL_ELEVENLABS: server.url };
  try {
    await Deno.mkdir(userDir, { recursive: true });
    await Deno.mkdir(storeProviders, { recursive: true });

    await t.step("list --json: built-ins, user and store drop-ins, trust", async () => {
      await Deno.writeTextFile(`${userDir}/x.jsonc`, manifest("xprov", "api.x.example"));
      await Deno.writeTextFile(`${storeProviders}/y.jsonc`, manifest("yprov", "api.y.example"));
      // A broken user manifest: the others still load; the warning names file:line:col.
      const broken = manifest("broken", "api.broken.example").replace(
        '"kind": "balance",',
        '"kind": "balance"',
      );
      await Deno.writeTextFile(`${userDir}/broken.jsonc`, broken);
      // A store manifest that reuses a built-in id with another host is refused.
      await Deno.writeTextFile(
        `${storeProviders}/deepseek.jsonc`,
        manifest("deepseek", "collect.evil.example"),
      );

      const r = await runKeyz(["providers", "list", "--json"], { env });
      assertEquals(r.code, 0, r.stderr);
      const { byId, problems } = rows(r.stdout);
      for (const id of BUILTINS) {
        const p = byId.get(id);
        assert(p, `built-in ${id} missing`);
        assertEquals(p.source, "built-in");
        assertEquals(p.trusted, true);
        assert(p.kind && p.key_type, `${id}: kind/key_type`);
        if (p.kind !== "unavailable") assert(p.hosts.length > 0, `${id}: no host`);
      }
      assertEquals(byId.get("deepseek")!.hosts, ["api.deepseek.com"]);
      assertEquals(byId.get("openrouter")!.hosts, ["openrouter.ai"]);
      const x = byId.get("xprov")!;
      assertEquals([x.source, x.kind, x.key_type, x.trusted], [
        "user",
        "balance",
        "API key",
        false,
      ]);
      assertEquals(x.hosts, ["api.x.example"]);
      assertEquals(x.file, `${userDir}/x.jsonc`);
      const y = byId.get("yprov")!;
      assertEquals([y.source, y.trusted, y.hosts[0]], ["store", false, "api.y.example"]);
      assertEquals(byId.size, BUILTINS.length + 2);
      assert(!byId.has("broken"));

      // broken.jsonc line 7 is `"kind": "balance"` without its comma; the error is where the
      // next property starts (line 8, column 3).
      const brokenLine = problems.find((p) => p.includes("broken.jsonc"));
      assertEquals(brokenLine, `${userDir}/broken.jsonc:8:3: invalid JSONC: CommaExpected`);
      assertMatch(r.stderr, /bad manifest skipped: .*\/broken\.jsonc:8:3: invalid JSONC/);
      assertMatch(
        r.stderr,
        /bad manifest skipped: .*\/\.keyz\/providers\/deepseek\.jsonc:\d+:\d+: id: "deepseek" is a built-in provider with host api\.deepseek\.com; this file would send its keys to collect\.evil\.example/,
      );

      const trust = await runKeyz(["providers", "trust", "xprov", "--yes"], { env });
      assertEquals(trust.code, 0, trust.stderr);
      assertMatch(trust.stdout, /trusted xprov .*keys will be sent to api\.x\.example/);
      const after = rows((await runKeyz(["providers", "list", "--json"], { env })).stdout).byId;
      assertEquals(after.get("xprov")!.trusted, true);
      assertEquals(after.get("yprov")!.trusted, false);

      // A changed file must be trusted again.
      await Deno.writeTextFile(
        `${userDir}/x.jsonc`,
        manifest("xprov", "api.x.example") + "// edited\n",
      );
      const edited = rows((await runKeyz(["providers", "list", "--json"], { env })).stdout).byId;
      assertEquals(edited.get("xprov")!.trusted, false);

      await Deno.remove(`${userDir}/broken.jsonc`);
      await Deno.remove(`${storeProviders}/deepseek.jsonc`);
    });

    await t.step("show prints the manifest", async () => {
      const r = await runKeyz(["providers", "show", "openrouter"], { env });
      assertEquals(r.code, 0, r.stderr);
      const [head, ...rest] = r.stdout.split("\n");
      assertEquals(head, "// providers/openrouter.jsonc (built-in)");
      assertEquals(
        rest.join("\n").trimEnd(),
        (await Deno.readTextFile(`${ROOT}/providers/openrouter.jsonc`)).trimEnd(),
      );
      const j = await runKeyz(["providers", "show", "openrouter", "--json"], { env });
      const m = JSON.parse(j.stdout);
      assertEquals(m.id, "openrouter");
      assertEquals(m.baseUrl, "https://openrouter.ai");
      assertEquals(m.fallback.on, ["forbidden", "provider"]);
      assertEquals(m.fallback.withoutCredential, true);
    });

    await t.step("check: one line with file:line:col and the field", async () => {
      const dir = `${store.dir}/check`;
      await Deno.mkdir(dir);
      // (a) JSONC syntax error: line 6 lacks its closing quote.
      const syntax = manifest("acme", "api.acme.example").replace(
        '"baseUrl": "https://api.acme.example",',
        '"baseUrl": "https://api.acme.example,',
      );
      await Deno.writeTextFile(`${dir}/syntax.jsonc`, syntax);
      const a = await runKeyz(["providers", "check", "syntax.jsonc"], { env, cwd: dir });
      assertEquals(a.code, 2);
      const aLines = a.stderr.trimEnd().split("\n");
      assertEquals(aLines.length, 1, a.stderr);
      assertMatch(aLines[0], /^keyz: syntax\.jsonc:6:\d+: invalid JSONC: \w+ \(.+\)$/);

      // (b) schema error in a nested field: steps[0].paginate.maxPages on line 12.
      const nested = manifest("acme", "api.acme.example").replace(
        '  "steps": [{ "id": "balance", "path": "/v1/balance" }],',
        [
          '  "steps": [{',
          '    "id": "balance",',
          '    "path": "/v1/balance",',
          '    "paginate": { "hasMore": "has_more", "cursor": "next", "param": "after",',
          '      "maxPages": 500 }',
          "  }],",
        ].join("\n"),
      );
      assertEquals(nested.split("\n")[11], '      "maxPages": 500 }');
      await Deno.writeTextFile(`${dir}/nested.jsonc`, nested);
      const b = await runKeyz(["providers", "check", "nested.jsonc"], { env, cwd: dir });
      assertEquals(b.code, 2);
      const bLines = b.stderr.trimEnd().split("\n");
      assertEquals(bLines.length, 1, b.stderr);
      assertMatch(
        bLines[0],
        /^keyz: nested\.jsonc:12:19: steps\[0\]\.paginate\.maxPages: .*100.* \(fix the manifest; see docs\/manifests\.md\)$/,
      );
    });

    await t.step("elevenlabs walkthrough from docs/manifests.md", async () => {
      // The doc shows exactly these files.
      const doc = await Deno.readTextFile(`${ROOT}/docs/manifests.md`);
      const blocks = [...doc.matchAll(/```(?:jsonc|json)\n([\s\S]*?)```/g)].map((m) => m[1]);
      assertEquals(blocks[0], await Deno.readTextFile(`${ELEVEN_DIR}/sample.json`));
      assertEquals(blocks[1], await Deno.readTextFile(`${ELEVEN_DIR}/elevenlabs.jsonc`));

      // keyz providers check elevenlabs.jsonc
      const check = await runKeyz(["providers", "check", "elevenlabs.jsonc"], {
        env,
        cwd: ELEVEN_DIR,
      });
      assertEquals(check.code, 0, check.stderr);
      assertEquals(check.stdout, "elevenlabs.jsonc: ok (elevenlabs, quota, api.elevenlabs.io)\n");

      // keyz providers check elevenlabs.jsonc --response sample.json
      const dry = await runKeyz(
        ["providers", "check", "elevenlabs.jsonc", "--response", "sample.json"],
        { env, cwd: ELEVEN_DIR },
      );
      assertEquals(dry.code, 0, dry.stderr);
      assertEquals(JSON.parse(dry.stdout), {
        kind: "quota",
        quota_used_percent: 17.231,
        quota_resets_at: "2027-01-01T00:00:00Z",
        plan: "creator",
      });
      // The doc shows this output verbatim.
      assert(doc.includes(dry.stdout.trimEnd()), "docs/manifests.md shows another output");

      // cp elevenlabs.jsonc ~/.config/keyz/providers/
      await Deno.copyFile(`${ELEVEN_DIR}/elevenlabs.jsonc`, `${userDir}/elevenlabs.jsonc`);

      // keyz map api/elevenlabs/main elevenlabs
      const map = await runKeyz(["map", "api/elevenlabs/main", "elevenlabs"], { env });
      assertEquals(map.code, 0, map.stderr);
      assertEquals(map.stdout, "api/elevenlabs/main -> elevenlabs\n");

      // Not trusted yet: sync skips the key, naming the manifest and its host; no request.
      // Named on the command line and not synced: exit 1, with the reason.
      const skipped = await runKeyz(["sync", "api/elevenlabs/main", "--json"], { env });
      assertEquals(skipped.code, 1, skipped.stderr);
      const s = JSON.parse(skipped.stdout).results[0];
      assertEquals([s.status, s.reason], ["skipped", "untrusted"]);
      assert(s.note.includes(`${userDir}/elevenlabs.jsonc`), s.note);
      assertMatch(s.note, /api\.elevenlabs\.io/);
      assertMatch(s.note, /keyz providers trust elevenlabs/);
      assertEquals(server.hits.length, 0);

      // keyz providers trust elevenlabs
      const trust = await runKeyz(["providers", "trust", "elevenlabs", "--yes"], { env });
      assertEquals(trust.code, 0, trust.stderr);
      // It says which keys of the store would go where, then trusts (--yes: no terminal here).
      assertMatch(
        trust.stdout,
        /^\S+\/elevenlabs\.jsonc \(user manifest elevenlabs\) would receive, at api\.elevenlabs\.io:\n {2}api\/elevenlabs\/main +mapped\n/,
      );
      assertMatch(
        trust.stdout,
        /\ntrusted elevenlabs .*keys will be sent to api\.elevenlabs\.io\n$/,
      );

      // keyz sync api/elevenlabs/main
      const sync = await runKeyz(["sync", "api/elevenlabs/main", "--json"], { env });
      assertEquals(sync.code, 0, sync.stderr);
      const ok = JSON.parse(sync.stdout).results[0];
      assertEquals(ok.status, "ok");
      assertEquals(ok.metadata.quota_used_percent, 17.231);
      assertEquals(ok.metadata.plan, "creator");
      assertEquals(server.hits.length, 1);
      // The raw key in xi-api-key, no Authorization header.
      assertEquals(server.hits[0].headers["xi-api-key"], ELEVEN_KEY);
      assertEquals(server.hits[0].headers["authorization"], undefined);
      assertNoSecret({ skipped: skipped.stdout, sync: sync.stdout, stderr: sync.stderr }, [
        ELEVEN_KEY,
      ]);
      assertNotMatch(sync.stderr, /bad manifest/);
    });
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("providers check --response runs the real fetcher: steps, pages, params, errors", async () => {
  const env = { HOME: "/nonexistent", PASSWORD_STORE_DIR: "/nonexistent/store" };
  const fix = `${ROOT}/tests/fixtures/providers`;
  const check = (file: string, ...args: string[]) =>
    runKeyz(["providers", "check", `${ROOT}/providers/${file}`, ...args], { env });

  // Two steps, each with its own saved answer; the account id is extracted by the real step.
  const cf = await check(
    "cloudflare.jsonc",
    "--response",
    `accounts=${fix}/cloudflare/accounts.json`,
    "--response",
    `credit_balance=${fix}/cloudflare/credit_balance.json`,
  );
  assertEquals(cf.code, 0, cf.stderr);
  const cfOut = JSON.parse(cf.stdout);
  assertEquals(cfOut.kind, "balance");
  assertEquals(typeof cfOut.balance, "number");
  assertEquals(typeof cfOut.account_id, "string");

  // A bare file is the first step's; a step without an answer is named.
  const bare = await check("cloudflare.jsonc", "--response", `${fix}/cloudflare/accounts.json`);
  assertEquals(bare.code, 2);
  assertMatch(
    bare.stderr,
    /no saved response for step credit_balance \(give --response credit_balance=FILE\)/,
  );

  // Pages: two answers for one step are summed like sync sums them.
  const pages = await check(
    "anthropic.jsonc",
    "--response",
    `cost_report=${fix}/anthropic/cost_report_page1.json`,
    "--response",
    `cost_report=${fix}/anthropic/cost_report_page2.json`,
  );
  assertEquals(pages.code, 0, pages.stderr);
  assertEquals(JSON.parse(pages.stdout).spend, 0.303);
  // One page of two: the fetcher asks for the next and says so (never page 1 as the total).
  const onePage = await check(
    "anthropic.jsonc",
    "--response",
    `${fix}/anthropic/cost_report_page1.json`,
  );
  assertEquals(onePage.code, 2);
  assertMatch(onePage.stderr, /step cost_report asks for page 2, but 1 saved/);

  // Template variables as `keyz map --param` gives them.
  const fw = await check("fireworks.jsonc", "--response", `${fix}/fireworks/billing_summary.json`);
  assertEquals(fw.code, 2);
  assertMatch(fw.stderr, /no value for \{account_id\}/);
  const fwOk = await check(
    "fireworks.jsonc",
    "--response",
    `${fix}/fireworks/billing_summary.json`,
    "--param",
    "account_id=acme",
  );
  assertEquals(fwOk.code, 0, fwOk.stderr);
  assertEquals(JSON.parse(fwOk.stdout).kind, "spend");

  // A region without an account API, and a key check, exactly as sync treats them.
  const cn = await check(
    "siliconflow.jsonc",
    "--response",
    `${fix}/siliconflow/user_info.json`,
    "--param",
    "region=cn",
  );
  assertEquals(cn.code, 0, cn.stderr);
  assertEquals(JSON.parse(cn.stdout).kind, "unavailable");
  const google = await check("google.jsonc", "--response", `${fix}/google/models.json`);
  assertEquals(google.code, 0, google.stderr);
  assertEquals(JSON.parse(google.stdout).key_valid, true);
});
