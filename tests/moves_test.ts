// `pass mv` keeps a key's metadata: the next keyz command that writes moves its key sidecar
// (notes, tags, expiry, env), history, account figures and mapping to the new path, committed
// as renames. Real pass (mv, cp, rm), gpg, git, and a loopback OpenRouter.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore, type TestStore, writeEntries } from "./support/store.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { Sidecars } from "../src/sidecars/sidecars.ts";
import { findOrphans, movesOf } from "../src/sidecars/moves.ts";
import { SCHEMA_VERSION } from "../src/sidecars/schema.ts";

const KEYS = {
  "web/my-or": keyLike("openrouter", "CANARY-moves-mapped"),
  "api/openrouter/old": keyLike("openrouter", "CANARY-moves-auto"),
  "work/or-ci": keyLike("openrouter", "CANARY-moves-cred"),
  "api/openrouter/mgmt": keyLike("openrouter", "CANARY-moves-mgmt"),
  "api/openrouter/dup": keyLike("openrouter", "CANARY-moves-dup"),
  "api/openrouter/gone": keyLike("openrouter", "CANARY-moves-gone"),
};
const PASSWORDS = {
  "bank/chase": "chase 4242 pin",
  "email/gmail": "gmail-pass 99",
  "web/netflix": "n3tfl1x and chill",
};

async function setUp(): Promise<
  { store: TestStore; server: TestServer; env: Record<string, string> }
> {
  const store = await makeStore({ git: true });
  const server = await startServer([
    // A key's own limit (10, 6 left); the mapped credential is a management key: 10 - 4.
    {
      path: "/api/v1/key",
      body: {
        data: { is_management_key: true, limit: 10, limit_remaining: 6, usage_monthly: 4 },
      },
    },
    { path: "/api/v1/credits", body: { data: { total_credits: 10, total_usage: 4 } } },
  ]);
  await writeEntries(store, { ...KEYS, ...PASSWORDS });
  const env = {
    ...store.env,
    NO_COLOR: "1",
    KEYZ_RETRY_BASE_MS: "0",
    KEYZ_BASE_URL_OPENROUTER: server.url,
    XDG_CACHE_HOME: `${store.dir}/cache`,
  };
  const ok = async (args: string[]) => {
    const r = await runKeyz(args, { env });
    assertEquals(r.code, 0, `${args.join(" ")}: ${r.stderr} ${r.stdout}`);
    return r;
  };
  await ok(["map", "web/my-or", "openrouter"]);
  await ok(["map", "work/or-ci", "openrouter", "--credential", "api/openrouter/mgmt"]);
  await ok(["sync", "--all"]);
  // What a person keeps beside a key (the browser's edit writes through the same writer).
  const sidecars = new Sidecars(store.storeDir);
  for (const path of ["web/my-or", "work/or-ci"]) {
    const k = await sidecars.readKey(path);
    assert(k.ok, path);
    await sidecars.writeKey({
      ...k.value,
      notes: `topped up monthly (${path})`,
      tags: ["personal", "llm"],
      expires_at: "2027-01-31T00:00:00Z",
      env: "MY_OPENROUTER_KEY",
      low_balance: 3,
    });
  }
  await store.gitRun(["add", "-A", ".keyz"]);
  await store.gitRun(["commit", "-q", "-m", "notes"]);
  return { store, server, env };
}

Deno.test("pass mv: the next keyz write moves notes, tags, expiry, env, mapping, figures and history, as renames", async () => {
  const { store, server, env } = await setUp();
  try {
    const before = await store.snapshotSecrets();
    const showBefore = JSON.parse(
      (await runKeyz(["show", "web/my-or", "--json"], { env })).stdout,
    );
    // Without a credential, what the key itself may still spend.
    assertEquals(showBefore.metadata.limit_remaining, 6, JSON.stringify(showBefore));
    for (
      const [from, to] of [
        ["web/my-or", "personal/or-key"],
        ["api/openrouter/old", "api/openrouter/new"],
        ["work/or-ci", "ci/or"],
      ]
    ) {
      const r = await store.pass(["mv", from, to]);
      assertEquals(r.code, 0, r.stderr);
      // pass keeps the ciphertext when the recipients stay the same.
      assertEquals((await store.snapshotSecrets()).get(`${to}.gpg`), before.get(`${from}.gpg`));
    }
    const head = (await store.gitRun(["rev-parse", "HEAD"])).stdout.trim();

    // Any command that writes; this one has nothing to do with the keys.
    const ignore = await runKeyz(["ignore", "bank"], { env });
    assertEquals(ignore.code, 0, ignore.stderr);

    const log = await store.gitRun(["log", "--format=%s", `${head}..HEAD`]);
    assertEquals(log.stdout.trim().split("\n"), [
      "keyz: ignore bank",
      "keyz: follow pass mv: api/openrouter/old -> api/openrouter/new, web/my-or -> personal/or-key, work/or-ci -> ci/or",
    ]);
    // git sees renames (same content, or nearly: the path inside changed).
    const status = (await store.gitRun(["show", "-M", "--name-status", "--format=", "HEAD~1"]))
      .stdout;
    for (
      const [from, to] of [
        [".keyz/keys/web/my-or.json", ".keyz/keys/personal/or-key.json"],
        [".keyz/history/web/my-or.jsonl", ".keyz/history/personal/or-key.jsonl"],
        [
          ".keyz/accounts/openrouter/web/my-or.json",
          ".keyz/accounts/openrouter/personal/or-key.json",
        ],
        [".keyz/keys/work/or-ci.json", ".keyz/keys/ci/or.json"],
        [".keyz/history/api/openrouter/old.jsonl", ".keyz/history/api/openrouter/new.jsonl"],
      ]
    ) {
      // Two history files with the same lines (one sync, same figures) may pair either way.
      const source = from.includes("/history/") ? "\\.keyz/history/\\S+" : esc(from);
      assertMatch(status, new RegExp(`^R\\d+\\t${source}\\t${esc(to)}$`, "m"));
    }
    assertMatch(status, /^M\t\.keyz\/map\.json$/m);
    // The credential's account is shared: it stays where it is.
    assert(!status.includes("accounts/openrouter/@"), status);

    const show = JSON.parse((await runKeyz(["show", "personal/or-key", "--json"], { env })).stdout);
    assertEquals(show.recognized, { how: "explicit" });
    assertEquals(show.notes, "topped up monthly (web/my-or)");
    assertEquals(show.tags, ["personal", "llm"]);
    assertEquals(show.expires_at, "2027-01-31T00:00:00Z");
    assertEquals(show.env, "MY_OPENROUTER_KEY");
    assertEquals(show.metadata.limit_remaining, 6);
    assertEquals(show.last_success_at, showBefore.last_success_at);
    const cred = JSON.parse((await runKeyz(["show", "ci/or", "--json"], { env })).stdout);
    assertEquals(cred.credential, "api/openrouter/mgmt");
    assertEquals(cred.notes, "topped up monthly (work/or-ci)");
    assertEquals(cred.metadata.balance, 6);
    const key = JSON.parse(
      await Deno.readTextFile(`${store.storeDir}/.keyz/keys/ci/or.json`),
    );
    assertEquals(key.account, "openrouter/@api/openrouter/mgmt");
    assertEquals(key.path, "ci/or");
    const history = JSON.parse(
      (await runKeyz(["history", "personal/or-key", "--json"], { env })).stdout,
    );
    assert(history.points.length >= 1, JSON.stringify(history));
    const auto = JSON.parse(
      (await runKeyz(["show", "api/openrouter/new", "--json"], { env })).stdout,
    );
    assertEquals(auto.metadata.limit_remaining, 6);
    const map = JSON.parse(await Deno.readTextFile(`${store.storeDir}/.keyz/map.json`)).keys;
    assertEquals(map["personal/or-key"], { provider: "openrouter" });
    assertEquals(map["ci/or"], { provider: "openrouter", credential: "api/openrouter/mgmt" });
    assertEquals(map["web/my-or"], undefined);
    for (const gone of ["keys/web", "history/web", "accounts/openrouter/web"]) {
      assert(!(await exists(`${store.storeDir}/.keyz/${gone}`)), `${gone} left behind`);
    }
    // Nothing left to move: the next write commits nothing more.
    const again = await runKeyz(["unignore", "bank"], { env });
    assertEquals(again.code, 0, again.stderr);
    const last = await store.gitRun(["log", "--format=%s", "-2"]);
    assertEquals(last.stdout.trim().split("\n"), ["keyz: unignore bank", "keyz: ignore bank"]);
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("pass cp then mv: two entries have the ciphertext, nothing moves, doctor names both; pass rm: doctor names the orphan", async () => {
  const { store, server, env } = await setUp();
  try {
    for (
      const args of [["cp", "api/openrouter/dup", "misc/copy1"], [
        "mv",
        "api/openrouter/dup",
        "misc/copy2",
      ], ["rm", "-f", "api/openrouter/gone"]]
    ) {
      const r = await store.pass(args);
      assertEquals(r.code, 0, r.stderr);
    }
    const head = (await store.gitRun(["rev-parse", "HEAD"])).stdout.trim();
    const w = await runKeyz(["ignore", "bank"], { env });
    assertEquals(w.code, 0, w.stderr);
    const log = await store.gitRun(["log", "--format=%s", `${head}..HEAD`]);
    assertEquals(log.stdout.trim(), "keyz: ignore bank");
    assert(await exists(`${store.storeDir}/.keyz/keys/api/openrouter/dup.json`));
    assert(!(await exists(`${store.storeDir}/.keyz/keys/misc/copy1.json`)));
    assert(!(await exists(`${store.storeDir}/.keyz/keys/misc/copy2.json`)));

    const doctor = await runKeyz(["doctor", "--json"], { env });
    assertEquals(doctor.code, 1, doctor.stderr);
    const checks = JSON.parse(doctor.stdout).checks.filter((c: { id: string }) =>
      c.id === "orphan"
    );
    assertEquals(checks.length, 2, JSON.stringify(checks));
    const [dup, gone] = checks;
    assertEquals(dup.status, "warn");
    assertEquals(dup.file, ".keyz/keys/api/openrouter/dup.json");
    assertMatch(
      dup.message,
      /api\/openrouter\/dup is gone; 2 entries have its ciphertext \(misc\/copy1, misc\/copy2\)/,
    );
    assertEquals(gone.file, ".keyz/keys/api/openrouter/gone.json");
    assertMatch(gone.message, /api\/openrouter\/gone is gone and no entry has its ciphertext/);
    const text = await runKeyz(["doctor"], { env });
    assertMatch(text.stdout, /api\/openrouter\/dup is gone; 2 entries/);
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("orphans: nothing is hashed without one; with one, only entries without a key sidecar", async () => {
  const dir = await Deno.makeTempDir({ prefix: "keyz-moves-unit-" });
  try {
    const write = async (rel: string, text: string) => {
      await Deno.mkdir(`${dir}/${rel.slice(0, rel.lastIndexOf("/"))}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/${rel}`, text);
    };
    await write("a/key.gpg", "ciphertext A");
    await write("b/pw.gpg", "ciphertext B");
    await write("c/other.gpg", "ciphertext C");
    const sidecars = new Sidecars(dir);
    await sidecars.writeKey({ schema_version: SCHEMA_VERSION, path: "a/key", provider: "x" });
    const hashed: string[] = [];
    const spy = (file: string) => {
      hashed.push(file.slice(dir.length + 1));
      return undefined;
    };
    assertEquals(findOrphans(dir, spy), []);
    assertEquals(hashed, []);
    await Deno.mkdir(`${dir}/d`);
    await Deno.rename(`${dir}/a/key.gpg`, `${dir}/d/key.gpg`); // what `pass mv a/key d/key` does
    await sidecars.writeKey({ schema_version: SCHEMA_VERSION, path: "b/pw", provider: "x" });
    const orphans = findOrphans(dir);
    assertEquals(orphans.length, 1);
    assertEquals(orphans[0].matches, ["d/key"]);
    assertEquals(movesOf(orphans), [{ from: "a/key", to: "d/key" }]);
    findOrphans(dir, spy);
    assertEquals(hashed.sort(), ["c/other.gpg", "d/key.gpg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}
