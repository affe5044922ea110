// A store like a real person's: mostly ordinary passwords in the usual layouts (some in
// folders named after providers), a few API keys in several layouts, and a folder a teammate
// shares (encrypted only for them). A loopback provider logs every request: no ordinary
// password may reach a request, an output, a sidecar, a cache file or the git history, and
// only keys are listed, checked, exported or synced.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { addTeammate, makeStore, writeEntries } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

/** 32 ordinary passwords, some in folders that share a name with a provider or an alias. */
const PASSWORDS: Record<string, string> = {
  "web/github": "hunter2hunter2\nuser: alice\nurl: https://github.com",
  "dev/github": "Gh-login pw 2026!\nuser: alice",
  "dev/gh": "correct horse battery staple",
  "social/claude": "claude.ai login: Tr0ub4dor & 3",
  "social/twitter": "tw password 1",
  "social/mastodon": "m4st0d0n pass",
  "social/linkedin": "linkedin 2024",
  "email/gmail": "gmail-pass 99",
  "email/outlook": "outl00k pass",
  "email/proton": "proton mail pw",
  "bank/chase": "chase 4242 pin",
  "bank/amex": "amex pw 11",
  "bank/ing": "ing banking",
  "work/copilot": "copilot seat login 2026",
  "work/vpn": "vpn passphrase one",
  "work/jira": "jira pw",
  "work/slack": "slack pw 2",
  "misc/gemini": "my gemini password",
  "misc/wifi": "wifi at home",
  "misc/router": "admin admin",
  "shop/amazon": "amazon pw",
  "shop/ebay": "ebay pw",
  "gaming/steam": "steam guard pw",
  "gaming/gog": "gog pw",
  "travel/airbnb": "airbnb pw",
  "travel/booking": "booking pw",
  "cloud/dropbox": "dropbox pw",
  "cloud/icloud": "icloud pw",
  "dev/docker": "docker hub pw",
  "dev/npm": "npm 2fa pw",
  "dev/gitlab": "gitlab pw",
  "home/alarm": "1234 alarm",
};

const KEYS: Record<string, string> = {
  "api/openrouter/main": keyLike("openrouter", "CANARY-mixed-or"),
  "llm/claude/admin": keyLike("anthropic-admin", "CANARY-mixed-ant"),
  "work/xai": keyLike("xai", "CANARY-mixed-xai"),
  "keys/openai/prod": keyLike("openai-admin", "CANARY-mixed-oai"),
  "deepseek/personal": keyLike("deepseek", "CANARY-mixed-ds"),
};

const TEAM_KEY = keyLike("openrouter", "CANARY-mixed-team");

Deno.test("a person's store: only keys are synced, listed, checked and exported", async () => {
  const store = await makeStore({ git: true });
  const server = await startServer([
    { path: "/api/v1/credits", body: { data: { total_credits: 10, total_usage: 4 } } },
    { path: "/api/v1/key", body: { data: { label: "main", usage_monthly: 1, limit: null } } },
    {
      path: "/v1/organizations/cost_report",
      body: { data: [], has_more: false, next_page: null },
    },
    {
      path: "/v1/organization/costs",
      body: { object: "page", data: [], has_more: false, next_page: null },
    },
    {
      path: "/user/balance",
      body: {
        is_available: true,
        balance_infos: [{
          currency: "CNY",
          total_balance: "5.00",
          granted_balance: "0",
          topped_up_balance: "5.00",
        }],
      },
    },
  ]);
  try {
    await writeEntries(store, { ...PASSWORDS, ...KEYS });
    const mate = await addTeammate(store, { teamFolder: "team" });
    await store.insert("team/openrouter", TEAM_KEY);
    const env: Record<string, string> = {
      ...store.env,
      NO_COLOR: "1",
      KEYZ_RETRY_BASE_MS: "0",
      XDG_CACHE_HOME: `${store.dir}/cache`,
    };
    for (const id of ["openrouter", "anthropic", "xai", "openai", "deepseek", "github", "google"]) {
      env[`KEYZ_BASE_URL_${id.toUpperCase()}`] = server.url;
    }
    assert(mate.fingerprint);

    const before = await runKeyz(["ls"], { env });
    assertEquals(before.code, 0, before.stderr);
    // Before any sync, entries named after providers look like keys; the rest is one line.
    assert(!before.stdout.includes("bank/"), before.stdout);
    assertMatch(before.stdout, /entries: \d+ keys, \d+ other entries \(keyz ls --all\)/);

    const sync = await runKeyz(["sync", "--all", "--json"], { env });
    assertEquals(sync.code, 1, sync.stderr); // the xai key has no account here: one failure
    const doc = JSON.parse(sync.stdout);
    const by = Object.fromEntries(
      doc.results.map((r: { path: string; status: string }) => [r.path, r.status]),
    );
    // Passwords in provider-named folders: decrypted, found not to be keys, nothing sent.
    for (const p of ["web/github", "dev/github", "dev/gh", "social/claude", "work/copilot"]) {
      assertEquals(by[p], "not_a_key", p);
    }
    assertEquals(by["misc/gemini"], "not_a_key");
    assertEquals(
      by["team/openrouter"],
      "not_yours",
      JSON.stringify(doc.results.find((r: { path: string }) => r.path === "team/openrouter")),
    );
    assertEquals(by["api/openrouter/main"], "ok");
    assertEquals(by["deepseek/personal"], "ok");
    // Ordinary entries are counted, never listed.
    assertEquals(by["bank/chase"], undefined);
    assertEquals(doc.summary.other_entries, 26);

    // Not one ordinary password (nor the teammate's key) in any request.
    const requests = server.hits.map((h) => JSON.stringify(h));
    assertNoSecret({ requests: requests.join("\n") }, [...Object.values(PASSWORDS), TEAM_KEY]);
    // Every request carried one of the real keys, to its own provider's routes.
    for (const h of server.hits) {
      const auth = h.headers.authorization ?? h.headers["x-api-key"] ?? "";
      assert(Object.values(KEYS).some((k) => auth.includes(k)), `request without a key: ${h.path}`);
    }

    // After the sync: ls shows only keys; not_a_key entries left the listing.
    const after = await runKeyz(["ls"], { env });
    for (const p of ["web/github", "dev/github", "social/claude", "bank/chase"]) {
      assert(!after.stdout.includes(p), `${p} listed:\n${after.stdout}`);
    }
    assertMatch(after.stdout, /team\/openrouter\s+openrouter\s+-\s+not_yours/);
    assertMatch(after.stdout, /38 entries: 6 keys, 32 other entries \(6 not keys\)/);
    const all = await runKeyz(["ls", "--all"], { env });
    assertMatch(all.stdout, /bank\/chase\s+-\s+-\s+other/);
    assertMatch(all.stdout, /web\/github\s+github\s+-\s+not_a_key/);

    // show says why an entry is (not) a key.
    const show = await runKeyz(["show", "dev/github"], { env });
    assertMatch(show.stdout, /recognized\s+automatically: path segment "github"/);
    assertMatch(show.stdout, /not a key\s+decrypted .*not a github key/);
    const showKey = await runKeyz(["show", "llm/claude/admin", "--json"], { env });
    assertEquals(JSON.parse(showKey.stdout).recognized, { how: "auto", segment: "claude" });

    // check and Prometheus: keys only, never a password's path.
    const prom = await runKeyz(["check", "--format", "prometheus"], { env });
    for (const p of Object.keys(PASSWORDS)) assert(!prom.stdout.includes(p), `${p} exported`);
    const check = JSON.parse((await runKeyz(["check", "--json"], { env })).stdout);
    assertEquals(check.summary.checked, 6);

    // keyz env of a folder never prints an ordinary password beside a key.
    const envOut = await runKeyz(["env", "dev", "work", "--format", "dotenv"], { env });
    assertNoSecret({ stdout: envOut.stdout }, Object.values(PASSWORDS));

    // Nothing of the passwords anywhere: sidecars, state, caches, git history.
    const texts: Record<string, string> = {
      ls: before.stdout + after.stdout + all.stdout,
      sync: sync.stdout + sync.stderr,
      gitlog: (await store.gitRun(["log", "-p", "--all", "--no-textconv"])).stdout,
    };
    for (const dir of [`${store.storeDir}/.keyz`, `${store.dir}/cache`]) {
      for (const f of await walk(dir)) texts[f] = await Deno.readTextFile(f);
    }
    assertNoSecret(texts, [...Object.values(PASSWORDS), ...Object.values(KEYS), TEAM_KEY]);
    // The teammate's entry got nothing written or committed.
    assert(!Object.keys(texts).some((f) => f.includes("team/openrouter")), "written for team key");
    // A second run sends nothing for the entries already found not to be keys.
    const hits = server.hits.length;
    await runKeyz(["sync", "--all", "--stale"], { env });
    assertEquals(server.hits.length, hits, "a --stale run right after sent requests");
  } finally {
    await server.close();
    await store.cleanup();
  }
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) out.push(...await walk(p));
      else if (e.isFile) out.push(p);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}
