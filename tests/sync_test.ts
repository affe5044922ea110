// End to end: `keyz sync`, `ls`, `show`, `map` run as a user would, against a real pass store
// and a loopback server answering like the providers.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { providerFixture, startServer, type TestServer } from "./support/server.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

const CANARY = {
  deepseek: keyLike("deepseek", "CANARY-deepseek-7f3a9c1e"),
  moonshot: keyLike("moonshot", "CANARY-moonshot-55aa1234"),
  openrouter: keyLike("openrouter", "CANARY-sync-team"),
  openai: keyLike("openai", "CANARY-openai-inference"),
  openaiAdmin: keyLike("openai-admin", "CANARY-openai-admin-01"),
  broken: "sk-CANARY-broken-html-9911",
};

interface Env {
  store: TestStore;
  server: TestServer;
  env: Record<string, string>;
}

async function setup(): Promise<Env> {
  const store = await makeStore({
    git: true,
    entries: {
      "api/deepseek/main": `${CANARY.deepseek}\nnote: personal\n`,
      "work/moonshot": CANARY.moonshot,
      "work/openrouter/team": CANARY.openrouter,
      "api/openai/main": CANARY.openai,
      "api/openai/admin": CANARY.openaiAdmin,
      "misc/unknown-thing": "not-a-provider-key",
    },
  });
  const server = await startServer([
    {
      path: "/user/balance",
      headers: { "content-type": "application/json" },
      body: providerFixture("deepseek", "balance.json"),
    },
    {
      path: "/v1/users/me/balance",
      body: providerFixture("moonshot", "balance.json"),
    },
    // OpenRouter without a management credential: the key's own remaining limit.
    {
      path: "/api/v1/key",
      body: { data: { limit: 25.5, limit_remaining: 20.25, usage_monthly: 5.25 } },
    },
  ]);
  const base = server.url;
  const env = {
    ...store.env,
    KEYZ_RETRY_BASE_MS: "0",
    KEYZ_BASE_URL_DEEPSEEK: base,
    KEYZ_BASE_URL_MOONSHOT: base,
    KEYZ_BASE_URL_OPENROUTER: base,
    KEYZ_BASE_URL_OPENAI: base,
  };
  return { store, server, env };
}

async function teardown(e: Env) {
  await e.server.close();
  await e.store.cleanup();
}

Deno.test("sync --all --json writes sidecars, reports per key, never leaks a key", async () => {
  const e = await setup();
  try {
    const before = await e.store.snapshotSecrets();
    const r = await runKeyz(["sync", "--all", "--json"], { env: e.env });
    assertEquals(r.code, 1, r.stderr); // openai has no credential: a config error
    const doc = JSON.parse(r.stdout);
    const byPath = Object.fromEntries(
      doc.results.map((x: { path: string }) => [x.path, x]),
    );
    assertEquals(byPath["api/deepseek/main"].status, "ok");
    assertEquals(byPath["api/deepseek/main"].metadata.balance, 110);
    assertEquals(byPath["api/deepseek/main"].metadata.currency, "CNY");
    assertEquals(byPath["work/moonshot"].metadata.balance, 49.58894);
    assertEquals(byPath["work/moonshot"].metadata.currency, "USD");
    assertEquals(byPath["work/openrouter/team"].metadata.limit_remaining, 20.25);
    // An ordinary entry is not a key: counted, not reported, never decrypted.
    assertEquals(byPath["misc/unknown-thing"], undefined);
    assert(doc.summary.other_entries >= 1);
    assertEquals(byPath["api/openai/main"].status, "error");
    assertEquals(byPath["api/openai/main"].error.kind, "config");
    assertMatch(byPath["api/openai/main"].error.message, /--credential/);
    assertEquals(doc.summary.ok, 3);

    // Sidecars exist, are deterministic JSON and hold no secret.
    const acc = await Deno.readTextFile(
      `${e.store.storeDir}/.keyz/accounts/deepseek/api/deepseek/main.json`,
    );
    assert(acc.endsWith("}\n"));
    assertEquals(JSON.parse(acc).schema_version, 2);
    const sidecarTexts: string[] = [];
    for await (const f of walk(`${e.store.storeDir}/.keyz`)) {
      sidecarTexts.push(await Deno.readTextFile(f));
    }
    // ls and ls --json, and the caches they leave under $HOME/.cache/keyz: no key either.
    const lsPlain = await runKeyz(["ls"], { env: e.env });
    const lsJson = await runKeyz(["ls", "--json"], { env: e.env });
    assertEquals(lsPlain.code, 0, lsPlain.stderr);
    assertEquals(lsJson.code, 0, lsJson.stderr);
    sidecarTexts.push(lsPlain.stdout, lsPlain.stderr, lsJson.stdout, lsJson.stderr);
    let caches = 0;
    for await (const f of walk(`${e.store.env.HOME}/.cache/keyz`)) {
      sidecarTexts.push(await Deno.readTextFile(f));
      caches++;
    }
    assert(caches >= 2, "ls left its snapshot and listing caches");
    const log = await e.store.gitRun(["log", "--format=%s%n%b", "--stat"]);
    assertMatch(log.stdout, /keyz: sync \d+ keys/);
    assertNoSecret([r.stdout, r.stderr, log.stdout, ...sidecarTexts], Object.values(CANARY));

    // Keys reached only the loopback server, with the right auth.
    const auth = e.server.hits.map((h) => h.headers["authorization"]);
    assert(auth.includes(`Bearer ${CANARY.deepseek}`));

    // ls reads it back without decrypting anything (no pass call: works with no gpg at all).
    const ls = await runKeyz(["ls", "--json"], {
      env: { ...e.env, GNUPGHOME: "/nonexistent" },
    });
    assertEquals(ls.code, 0, ls.stderr);
    const keys = JSON.parse(ls.stdout).keys;
    const ds = keys.find((k: { path: string }) => k.path === "api/deepseek/main");
    assertEquals(ds.metadata.balance, 110);
    assertEquals(ds.state, "live");

    // Secrets untouched, nothing but .keyz committed.
    assertEquals(await e.store.snapshotSecrets(), before);
    const files = await e.store.gitRun(["log", "--name-only", "--format=", "-1"]);
    for (const f of files.stdout.split("\n").filter(Boolean)) assertMatch(f, /^\.keyz\//);
  } finally {
    await teardown(e);
  }
});

Deno.test("failure keeps the last good figures and marks the error", async () => {
  const e = await setup();
  try {
    const ok = await runKeyz(["sync", "api/deepseek/main", "--json"], { env: e.env });
    assertEquals(ok.code, 0, ok.stderr);
    await e.server.close();
    const bad = await startServer([{
      path: "/user/balance",
      status: 401,
      body: { error: { message: "Authentication Fails, Your api key: ****9c1e is invalid" } },
    }]);
    try {
      const r = await runKeyz(["sync", "api/deepseek/main", "--json"], {
        env: { ...e.env, KEYZ_BASE_URL_DEEPSEEK: bad.url },
      });
      assertEquals(r.code, 1);
      const res = JSON.parse(r.stdout).results[0];
      assertEquals(res.status, "error");
      assertEquals(res.error.kind, "auth");
      assertEquals(res.metadata.balance, 110);
      assertEquals(res.metadata.status, "error");
      assert(res.metadata.last_success_at);
      const show = await runKeyz(["show", "api/deepseek/main", "--json"], { env: e.env });
      const j = JSON.parse(show.stdout);
      assertEquals(j.state, "auth");
      assertEquals(j.metadata.balance, 110);
      assertEquals(j.last_error.kind, "auth");
    } finally {
      await bad.close();
    }
  } finally {
    await e.store.cleanup();
  }
});

Deno.test("map with a credential: the admin key is used, the inference key is not sent", async () => {
  const e = await setup();
  const costs = await startServer([{
    path: "/v1/organization/costs",
    body: {
      object: "page",
      data: [{
        object: "bucket",
        start_time: 1,
        end_time: 2,
        results: [
          { object: "organization.costs.result", amount: { value: 0.1, currency: "usd" } },
          { object: "organization.costs.result", amount: { value: 0.2, currency: "usd" } },
        ],
      }],
      has_more: false,
      next_page: null,
    },
  }]);
  try {
    const m = await runKeyz([
      "map",
      "api/openai/main",
      "openai",
      "--credential",
      "api/openai/admin",
    ], {
      env: e.env,
    });
    assertEquals(m.code, 0, m.stderr);
    const r = await runKeyz(["sync", "api/openai/main", "--json"], {
      env: { ...e.env, KEYZ_BASE_URL_OPENAI: costs.url },
    });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    const res = JSON.parse(r.stdout).results[0];
    assertEquals(res.metadata.spend, 0.3); // exact: no 0.30000000000000004
    assertEquals(res.metadata.currency, "USD");
    assertEquals(costs.hits[0].headers["authorization"], `Bearer ${CANARY.openaiAdmin}`);
    assertNoSecret([r.stdout, r.stderr], Object.values(CANARY));
  } finally {
    await costs.close();
    await teardown(e);
  }
});

Deno.test("bad paths and usage errors are one line with exit 2", async () => {
  const e = await setup();
  try {
    for (
      const args of [["show", "../etc/passwd"], ["show", "/abs"], ["show", "no/such"], ["sync"], [
        "sync",
        "--concurrency",
        "0",
        "--all",
      ], ["map", "work/moonshot", "nope"]]
    ) {
      const r = await runKeyz(args, { env: e.env });
      assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      const lines = r.stderr.trim().split("\n");
      assertEquals(lines.length, 1, r.stderr);
      assertMatch(lines[0], /^keyz: .+\(.+\)$/);
    }
  } finally {
    await teardown(e);
  }
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) yield* walk(p);
    else if (e.isFile) yield p;
  }
}

Deno.test("--quiet prints only failures; --verbose explains on stderr", async () => {
  const e = await setup();
  try {
    const q = await runKeyz(["sync", "--all", "--quiet"], { env: e.env });
    assertEquals(q.code, 1);
    const lines = q.stdout.trim().split("\n");
    // Only the two OpenAI keys fail (no credential; the admin key meets no costs route).
    assertEquals(lines.length, 2, q.stdout);
    for (const line of lines) assertMatch(line, /api\/openai\/(main|admin)/);
    assertEquals(q.stderr, "");
    const v = await runKeyz(["sync", "api/deepseek/main", "--verbose"], { env: e.env });
    assertEquals(v.code, 0, v.stderr);
    assertMatch(v.stderr, /keyz: store .+; providers: \d+ built-in/);
    assertMatch(v.stderr, /keyz: api\/deepseek\/main: ok/);
    assertMatch(v.stderr, /keyz: git \(commit\): committed "keyz: sync 1 key \(deepseek\)"/);
    assertNoSecret([q.stdout, v.stdout, v.stderr], Object.values(CANARY));
  } finally {
    await teardown(e);
  }
});
