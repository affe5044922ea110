// `keyz sync --stale` (cron's form) against a real store and a loopback server, counted by the
// server's request log: only keys that are due are fetched (refresh intervals from the
// manifest, `providers.<id>.refresh` and `keys.<path>.refresh`), failing accounts back off,
// and the output says how many keys it left alone.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { providerFixture, startServer, type TestServer } from "./support/server.ts";
import { runKeyz } from "./support/cli.ts";
import { createHash } from "node:crypto";

const hex = (tag: string, n: number) =>
  createHash("sha256").update(tag).digest("hex").repeat(2).slice(0, n);

// DeepSeek keys are sk- and 32 hex digits; Moonshot's sk- and 48 letters and digits.
const KEYS = {
  "api/deepseek/main": `sk-${hex("stale-deepseek-main", 32)}`,
  "work/deepseek/team": `sk-${hex("stale-deepseek-team", 32)}`,
  "work/moonshot/main": `sk-${hex("stale-moonshot", 48).replace(/[0-4]/g, "K")}`,
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
      ...Object.fromEntries(Object.entries(KEYS).map(([p, k]) => [p, `${k}\n`])),
      "bank/checking": "correct horse battery staple\n",
    },
  });
  const server = await startServer([
    {
      path: "/user/balance",
      body: providerFixture("deepseek", "balance.json"),
    },
    {
      path: "/v1/users/me/balance",
      body: providerFixture("moonshot", "balance.json"),
    },
  ]);
  const env = {
    ...store.env,
    KEYZ_RETRY_BASE_MS: "0",
    KEYZ_BASE_URL_DEEPSEEK: server.url,
    KEYZ_BASE_URL_MOONSHOT: server.url,
  };
  return { store, server, env };
}

async function teardown(e: Env) {
  await e.server.close();
  await e.store.cleanup();
}

/** The keys the server was asked about since hit `from` (by the key each request carried). */
function asked(e: Env, from = 0): string[] {
  const byKey = new Map(Object.entries(KEYS).map(([p, k]) => [`Bearer ${k}`, p]));
  return e.server.hits.slice(from).map((h) => byKey.get(h.headers["authorization"]) ?? "?")
    .sort();
}

async function writeConfig(e: Env, config: unknown) {
  await Deno.writeTextFile(`${e.store.storeDir}/.keyz/config.jsonc`, JSON.stringify(config));
}

/** Every figure and attempt `ms` older, as if the last syncs had run that long ago. */
async function age(e: Env, ms: number) {
  const older = (iso: string) => new Date(Date.parse(iso) - ms).toISOString();
  const walk = async (dir: string) => {
    for await (const f of Deno.readDir(dir)) {
      const p = `${dir}/${f.name}`;
      if (f.isDirectory) await walk(p);
      else if (f.name.endsWith(".json")) {
        const account = JSON.parse(await Deno.readTextFile(p));
        account.fetched_at = older(account.fetched_at);
        await Deno.writeTextFile(p, JSON.stringify(account, null, 2) + "\n");
      }
    }
  };
  await walk(`${e.store.storeDir}/.keyz/accounts`);
  const file = `${e.store.storeDir}/.keyz/state/state.json`;
  const state = JSON.parse(await Deno.readTextFile(file));
  for (const a of Object.values(state.accounts) as { at: string; failing_since?: string }[]) {
    a.at = older(a.at);
    if (a.failing_since) a.failing_since = older(a.failing_since);
  }
  await Deno.writeTextFile(file, JSON.stringify(state, null, 2) + "\n");
}

const commits = async (e: Env) =>
  (await e.store.gitRun(["rev-list", "--count", "HEAD"])).stdout.trim();

Deno.test("sync --all --stale right after a sync sends no request, commits nothing, says so", async () => {
  const e = await setup();
  try {
    const first = await runKeyz(["sync", "--all", "--stale"], { env: e.env });
    assertEquals(first.code, 0, first.stderr);
    assertEquals(asked(e), Object.keys(KEYS).sort()); // never tried: all due
    assertMatch(first.stdout, /3 ok, 0 failed/);
    const before = await commits(e);

    const second = await runKeyz(["sync", "--all", "--stale"], { env: e.env });
    assertEquals(second.code, 0, second.stderr);
    assertEquals(e.server.hits.length, 3, "the second run sent a request");
    assertMatch(second.stdout, /0 ok, 0 failed, 3 fresh left alone, 1 other entries/);
    assertEquals(await commits(e), before, "a run that fetched nothing committed");
    const json = JSON.parse(
      (await runKeyz(["sync", "--all", "--stale", "--json"], { env: e.env })).stdout,
    );
    assertEquals(json.summary.fresh, 3);
    assertEquals(json.summary.backing_off, 0);
    assertEquals(e.server.hits.length, 3);
  } finally {
    await teardown(e);
  }
});

Deno.test("sync --stale: providers.<id>.refresh and keys.<path>.refresh decide what is due", async () => {
  const e = await setup();
  try {
    await runKeyz(["sync", "--all"], { env: e.env });
    assertEquals(e.server.hits.length, 3);
    // Two hours later: every key is past its manifest's hour ...
    await age(e, 2 * 3_600_000);
    // ... but one key, and one provider, refresh daily.
    await writeConfig(e, {
      keys: { "api/deepseek/main": { refresh: "1d" } },
      providers: { moonshot: { refresh: "1d" } },
    });
    let from = e.server.hits.length;
    let r = await runKeyz(["sync", "--all", "--stale"], { env: e.env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(asked(e, from), ["work/deepseek/team"]);
    assertMatch(r.stdout, /1 ok, 0 failed, 2 fresh left alone/);

    // Two more hours: deepseek refreshes every 3 hours now, one Moonshot key hourly (the key's
    // interval wins over its provider's).
    await age(e, 2 * 3_600_000);
    await writeConfig(e, {
      keys: { "work/moonshot/main": { refresh: "1h" } },
      providers: { moonshot: { refresh: "1d" }, deepseek: { refresh: "3h" } },
    });
    from = e.server.hits.length;
    r = await runKeyz(["sync", "--all", "--stale"], { env: e.env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(asked(e, from), ["api/deepseek/main", "work/moonshot/main"]);
    assertMatch(r.stdout, /2 ok, 0 failed, 1 fresh left alone/);
  } finally {
    await teardown(e);
  }
});

Deno.test("sync --stale backs off a failing account (doubling, up to an hour); a named sync does not", async () => {
  const e = await setup();
  try {
    // Moonshot unreachable (a closed port): a network failure, recorded in the untracked state.
    const offline = { ...e.env, KEYZ_BASE_URL_MOONSHOT: "http://127.0.0.1:9" };
    let r = await runKeyz(["sync", "--all"], { env: offline });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /1 provider unreachable/);
    const stateFile = `${e.store.storeDir}/.keyz/state/state.json`;
    const account = "moonshot/work/moonshot/main";
    const firstTry = JSON.parse(await Deno.readTextFile(stateFile)).accounts[account];
    assertEquals(firstTry.failures, 1);
    assertEquals(firstTry.failing_since, firstTry.at);
    // Committed sidecars know nothing of it.
    const log = await e.store.gitRun(["log", "-p", "--no-textconv"]);
    assert(!log.stdout.includes("failing_since") && !log.stdout.includes("127.0.0.1:9"));

    // Four failures in a row, the last 40 minutes ago; Moonshot refreshes every 15 minutes:
    // due again after 15 x 2^3 = 120, capped at 60 minutes. Not yet.
    await writeConfig(e, { providers: { moonshot: { refresh: "15m" } } });
    await age(e, 40 * 60_000);
    const state = JSON.parse(await Deno.readTextFile(stateFile));
    state.accounts[account].failures = 4;
    await Deno.writeTextFile(stateFile, JSON.stringify(state));
    let from = e.server.hits.length;
    r = await runKeyz(["sync", "--all", "--stale", "--json"], { env: e.env });
    const doc = JSON.parse(r.stdout);
    assertEquals(asked(e, from), []);
    assertEquals(doc.summary.backing_off, 1);
    const moonshot = doc.results.find((x: { path: string }) => x.path === "work/moonshot/main");
    assertEquals(moonshot.reason, "backoff");
    assertMatch(moonshot.note, /failed 4 times in a row; next try after \d{4}-/);
    r = await runKeyz(["sync", "--all", "--stale"], { env: e.env });
    assertMatch(r.stdout, /2 fresh left alone, 1 failing, backing off/);

    // Two failures: 30 minutes, which have passed.
    state.accounts[account].failures = 2;
    await Deno.writeTextFile(stateFile, JSON.stringify(state));
    from = e.server.hits.length;
    r = await runKeyz(["sync", "--all", "--stale"], { env: e.env });
    assertEquals(asked(e, from), ["work/moonshot/main"]);
    const after = JSON.parse(await Deno.readTextFile(stateFile)).accounts[account];
    assertEquals([after.failures, after.failing_since], [0, undefined]); // a success resets it

    // Backing off or not, a key named on the command line is fetched.
    state.accounts[account].failures = 4;
    state.accounts[account].at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    await Deno.writeTextFile(stateFile, JSON.stringify(state));
    from = e.server.hits.length;
    r = await runKeyz(["sync", "work/moonshot/main"], { env: e.env });
    assertEquals(r.code, 0, r.stderr);
    assertEquals(asked(e, from), ["work/moonshot/main"]);
  } finally {
    await teardown(e);
  }
});
