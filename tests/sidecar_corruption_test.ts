// Corrupted, hand-edited, conflicted and old-format sidecars: clear errors naming the file,
// sync moves broken ones aside and rebuilds, older formats are migrated.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { Sidecars } from "../src/sidecars/sidecars.ts";
import { migrateSidecar } from "../src/sidecars/migrate.ts";
import { mergeJson, resolveConflictedJson, splitConflict } from "../src/sidecars/conflict.ts";
import { judgeSidecar } from "../src/doctor/checks.ts";

const ACCOUNT = {
  schema_version: 2,
  account: "deepseek/api/ds",
  provider: "deepseek",
  metadata: { kind: "balance", balance: 5, currency: "USD" },
  fetched_at: "2026-01-01T00:00:00Z",
};

async function tempSidecars(files: Record<string, string>): Promise<[Sidecars, string]> {
  const dir = await Deno.makeTempDir({ prefix: "keyz-sidecars-" });
  for (const [rel, text] of Object.entries(files)) {
    await Deno.mkdir(`${dir}/${rel.slice(0, rel.lastIndexOf("/"))}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/${rel}`, text);
  }
  return [new Sidecars(dir), dir];
}

Deno.test("migrate: version 0 account, key and map files read as the current version", async () => {
  const [sc, dir] = await tempSidecars({
    ".keyz/accounts/deepseek/api/ds.json": JSON.stringify({
      account: "deepseek/api/ds",
      provider: "deepseek",
      figures: { kind: "balance", balance: 7.5, currency: "USD" },
      synced_at: "2025-12-01T00:00:00Z",
    }),
    ".keyz/keys/api/ds.json": JSON.stringify({
      path: "api/ds",
      provider: "deepseek",
      tags: "team, prod",
      expires: "2026-06-01T00:00:00Z",
    }),
    ".keyz/map.json": JSON.stringify({ "api/ds": "deepseek", "x/y": { provider: "openai" } }),
  });
  try {
    const a = await sc.readAccount("deepseek/api/ds");
    assert(a.ok);
    assertEquals(a.value.schema_version, 2);
    assertEquals(a.value.metadata?.balance, 7.5);
    assertEquals(a.value.fetched_at, "2025-12-01T00:00:00Z");
    const k = await sc.readKey("api/ds");
    assert(k.ok);
    assertEquals(k.value.tags, ["team", "prod"]);
    assertEquals(k.value.expires_at, "2026-06-01T00:00:00Z");
    assertEquals(await sc.readMap(), {
      "api/ds": { provider: "deepseek" },
      "x/y": { provider: "openai" },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("migrate: version 1 keeps the last good figures; attempts and errors are dropped", () => {
  const v1 = {
    schema_version: 1,
    account: "deepseek/api/ds",
    provider: "deepseek",
    metadata: { kind: "balance", balance: 5, currency: "USD" },
    synced_at: "2026-01-03T00:00:00Z",
    last_success_at: "2026-01-02T00:00:00Z",
    last_error: { kind: "network", message: "dns error", at: "2026-01-03T00:00:00Z" },
  };
  const r = migrateSidecar("account", v1);
  assert(r.ok);
  assertEquals(r.from, 1);
  assertEquals(r.value, {
    schema_version: 2,
    account: "deepseek/api/ds",
    provider: "deepseek",
    metadata: { kind: "balance", balance: 5, currency: "USD" },
    fetched_at: "2026-01-02T00:00:00Z",
  });
  // Never a good figure: no figures at all (not a 0, not the error's time).
  const never = migrateSidecar("account", { ...v1, last_success_at: null });
  assert(never.ok);
  assertEquals([never.value], [{ ...r.value as object, metadata: null, fetched_at: null }]);
});

Deno.test("migrate: a newer schema_version is refused with a message saying so", () => {
  const r = migrateSidecar("account", { ...ACCOUNT, schema_version: 9 });
  assert(!r.ok);
  assertMatch(r.message, /newer keyz/);
  const v = judgeSidecar("account", JSON.stringify({ ...ACCOUNT, schema_version: 9 }), "f.json");
  assertEquals(v.state, "broken");
  assert(v.state === "broken" && /schema_version: written by a newer keyz/.test(v.message));
});

Deno.test("corrupt sidecars: invalid JSON, wrong types, wrong version name the file", async () => {
  const [sc, dir] = await tempSidecars({
    ".keyz/accounts/a/bad-json.json": "{ not json",
    ".keyz/accounts/a/bad-type.json": JSON.stringify({ ...ACCOUNT, fetched_at: 12 }),
    ".keyz/accounts/a/bad-version.json": JSON.stringify({ ...ACCOUNT, schema_version: "one" }),
  });
  try {
    for (
      const [id, re] of [
        ["a/bad-json", /bad-json\.json is not valid JSON/],
        ["a/bad-type", /bad-type\.json: fetched_at: /],
        ["a/bad-version", /bad-version\.json: schema_version: /],
      ] as const
    ) {
      const r = await sc.readAccount(id);
      assert(!r.ok && !r.missing);
      assertMatch(r.error.format(), re);
      assertMatch(r.error.format(), /keyz doctor/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("conflicts: the newest snapshot wins whichever side it is on", () => {
  const older = { ...ACCOUNT, metadata: { ...ACCOUNT.metadata, balance: 9 } };
  const newer = { ...ACCOUNT, fetched_at: "2026-01-02T00:00:00Z" };
  const conflicted = (a: unknown, b: unknown) =>
    `<<<<<<< HEAD\n${JSON.stringify(a, null, 2)}\n=======\n${
      JSON.stringify(b, null, 2)
    }\n>>>>>>> 1234abc\n`;
  assertEquals(resolveConflictedJson(conflicted(older, newer)), newer);
  assertEquals(resolveConflictedJson(conflicted(newer, older)), newer);
  // Same time: the same whole snapshot on both machines, never a mix.
  const tie = { ...ACCOUNT, metadata: { ...ACCOUNT.metadata, balance: 1 } };
  assertEquals(mergeJson(ACCOUNT, tie), mergeJson(tie, ACCOUNT));
  // Files without synced_at merge field by field (map.json edited on two machines).
  assertEquals(
    mergeJson({ schema_version: 1, keys: { a: { provider: "x" } } }, {
      schema_version: 1,
      keys: { b: { provider: "y" } },
    }),
    { schema_version: 1, keys: { a: { provider: "x" }, b: { provider: "y" } } },
  );
  // diff3 style with a base section; hunks inside a file.
  const text = '{\n<<<<<<< ours\n  "n": 1,\n||||||| base\n  "n": 0,\n=======\n  "n": 2,\n' +
    '>>>>>>> theirs\n  "z": true\n}\n';
  assertEquals(splitConflict(text), {
    ours: '{\n  "n": 1,\n  "z": true\n}\n',
    theirs: '{\n  "n": 2,\n  "z": true\n}\n',
  });
  assertEquals(splitConflict("<<<<<<< a\nx\n=======\n"), undefined);
});

Deno.test("corrupt sidecars end to end: ls names the file, sync moves it aside and rebuilds", async () => {
  const store = await makeStore({
    entries: {
      "api/deepseek/main": keyLike("deepseek", "CANARY-corrupt-1"),
      "work/openrouter/team": keyLike("openrouter", "CANARY-corrupt-2"),
    },
  });
  const server = await startServer([
    {
      path: "/user/balance",
      body: {
        is_available: true,
        balance_infos: [{
          currency: "USD",
          total_balance: "3.00",
          granted_balance: "0",
          topped_up_balance: "3.00",
        }],
      },
    },
    { path: "/api/v1/key", body: { data: { limit: 10, limit_remaining: 6, usage_monthly: 4 } } },
  ]);
  const env = {
    ...store.env,
    KEYZ_RETRY_BASE_MS: "0",
    KEYZ_BASE_URL_DEEPSEEK: server.url,
    KEYZ_BASE_URL_OPENROUTER: server.url,
  };
  const accountFile = `${store.storeDir}/.keyz/accounts/deepseek/api/deepseek/main.json`;
  const keyFile = `${store.storeDir}/.keyz/keys/api/deepseek/main.json`;
  try {
    assertEquals((await runKeyz(["sync", "--all"], { env })).code, 0);
    const openrouterBefore = await Deno.readTextFile(
      `${store.storeDir}/.keyz/accounts/openrouter/work/openrouter/team.json`,
    );
    await Deno.writeTextFile(accountFile, '{"schema_version": 1, "account": ');
    await Deno.writeTextFile(keyFile, JSON.stringify({ schema_version: 1, path: 5 }));

    const ls = await runKeyz(["ls", "--json"], { env });
    assertEquals(ls.code, 0, ls.stderr);
    const ds = JSON.parse(ls.stdout).keys.find((k: { path: string }) =>
      k.path === "api/deepseek/main"
    );
    assertEquals(ds.problems.length, 2);
    assertMatch(
      ds.problems.join("\n"),
      /accounts\/deepseek\/api\/deepseek\/main\.json is not valid JSON/,
    );
    assertMatch(ds.problems.join("\n"), /keys\/api\/deepseek\/main\.json: path: /);

    const doctor = await runKeyz(["doctor", "--json"], { env });
    assertEquals(doctor.code, 1);
    const bad = JSON.parse(doctor.stdout).checks.filter((c: { id: string }) => c.id === "sidecar");
    assertEquals(bad.length, 2);

    const sync = await runKeyz(["sync", "api/deepseek/main", "--json"], { env });
    assertEquals(sync.code, 0, sync.stderr);
    const res = JSON.parse(sync.stdout).results[0];
    assertEquals(res.metadata.balance, 3);
    assertEquals(res.warnings.length, 2);
    assertMatch(res.warnings.join("\n"), /moved aside to \.keyz\/accounts\/.*\.broken-/);
    // Rebuilt, the broken copies kept beside them, the other key untouched.
    assertEquals(JSON.parse(await Deno.readTextFile(accountFile)).metadata.balance, 3);
    assertEquals(JSON.parse(await Deno.readTextFile(keyFile)).path, "api/deepseek/main");
    const kept = [...Deno.readDirSync(`${store.storeDir}/.keyz/accounts/deepseek/api/deepseek`)]
      .map((e) => e.name).filter((n) => n.includes(".broken-"));
    assertEquals(kept.length, 1);
    assertEquals(
      await Deno.readTextFile(
        `${store.storeDir}/.keyz/accounts/openrouter/work/openrouter/team.json`,
      ),
      openrouterBefore,
    );
    const after = await runKeyz(["ls", "--json"], { env });
    for (const k of JSON.parse(after.stdout).keys) assertEquals(k.problems, []);
  } finally {
    await server.close();
    await store.cleanup();
  }
});
