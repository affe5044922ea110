// Two keyz processes at once, a stale lock, leftovers of a killed run, and symlinks that lead
// out of the store: nothing is corrupted, nothing is lost, every refusal is a clear message.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

const BODY = {
  is_available: true,
  balance_infos: [{ currency: "USD", total_balance: "5.00" }],
};

async function historyLines(storeDir: string, path: string): Promise<string[]> {
  const text = await Deno.readTextFile(`${storeDir}/.keyz/history/${path}.jsonl`).catch(() => "");
  return text.split("\n").filter((l) => l !== "");
}

Deno.test("concurrency: a second sync during the first is refused with exit 5; nothing lost", async () => {
  const store = await makeStore({
    git: true,
    entries: {
      "deepseek/a": keyLike("deepseek", "CANARY-conc-a-1"),
      "deepseek/b": keyLike("deepseek", "CANARY-conc-b-2"),
    },
  });
  const server = await startServer([{ path: "/user/balance", delayMs: 1500, body: BODY }]);
  try {
    const env = { ...store.env, KEYZ_RETRY_BASE_MS: "0", KEYZ_BASE_URL_DEEPSEEK: server.url };
    const first = runKeyz(["sync", "--all", "--json"], { env });
    // Start the second once the first is talking to the provider (so it holds the lock).
    for (let i = 0; i < 100 && server.hits.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert(server.hits.length > 0, "first sync never reached the server");
    const second = await runKeyz(["sync", "--all", "--json"], { env });
    assertEquals(second.code, 5, second.stderr);
    assertMatch(second.stderr, /^keyz: the store is locked by keyz process \d+ \(sync\) since /);
    assertEquals(second.stdout, "");
    const a = await first;
    assertEquals(a.code, 0, a.stderr);
    for (const p of ["deepseek/a", "deepseek/b"]) {
      const lines = await historyLines(store.storeDir, p);
      assertEquals(lines.length, 1, p);
      JSON.parse(lines[0]);
    }

    // Run again at the same time as a `keyz ls` (a reader: no lock needed, never broken).
    const [s, l] = await Promise.all([
      runKeyz(["sync", "--all", "--json"], { env }),
      runKeyz(["ls", "--json"], { env }),
    ]);
    assertEquals(s.code, 0, s.stderr);
    assertEquals(l.code, 0, l.stderr);
    JSON.parse(l.stdout);
    for (const p of ["deepseek/a", "deepseek/b"]) {
      assertEquals((await historyLines(store.storeDir, p)).length, 2, p);
    }
    assertEquals((await store.gitRun(["status", "--porcelain"])).stdout, "");
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("recovery: a dead owner's lock is taken over, temp files removed, a torn line closed", async () => {
  const store = await makeStore({
    git: true,
    entries: { "deepseek/a": keyLike("deepseek", "CANARY-recover-1") },
  });
  const server = await startServer([{ path: "/user/balance", body: BODY }]);
  try {
    const env = { ...store.env, KEYZ_RETRY_BASE_MS: "0", KEYZ_BASE_URL_DEEPSEEK: server.url };
    const keyz = `${store.storeDir}/.keyz`;
    await Deno.mkdir(`${keyz}/accounts/deepseek/deepseek`, { recursive: true });
    await Deno.mkdir(`${keyz}/history/deepseek`, { recursive: true });
    // A pid that cannot be alive (above pid_max), as a SIGKILLed keyz leaves it.
    await Deno.writeTextFile(`${keyz}/lock`, `99999999 ${new Date().toISOString()} sync\n`);
    const tmp = `${keyz}/accounts/deepseek/deepseek/a.json.4242.deadbeef.tmp`;
    await Deno.writeTextFile(tmp, '{"half":');
    await Deno.writeTextFile(
      `${keyz}/history/deepseek/a.jsonl`,
      '{"at":"2025-01-01T00:00:00Z","sta',
    );
    const r = await runKeyz(["sync", "--all", "--json"], { env });
    assertEquals(r.code, 0, r.stderr);
    await Deno.stat(tmp).then(() => assert(false, "temp file kept"), () => {});
    await Deno.stat(`${keyz}/lock`).then(() => assert(false, "lock kept"), () => {});
    const lines = await historyLines(store.storeDir, "deepseek/a");
    assertEquals(lines.length, 2); // the torn line stays torn; the new one is whole
    assertEquals(JSON.parse(lines[1]).status, "ok");
    const tracked = (await store.gitRun(["ls-files", ".keyz"])).stdout;
    assert(!/\.tmp$|^\.keyz\/lock$/m.test(tracked), tracked);
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("symlinks: a linked .keyz is refused; a linked folder in it is moved aside, never followed", async () => {
  const store = await makeStore({
    entries: { "deepseek/a": keyLike("deepseek", "CANARY-symlink-1") },
  });
  const server = await startServer([{ path: "/user/balance", body: BODY }]);
  const outside = await Deno.makeTempDir({ prefix: "keyz-outside-" });
  try {
    const env = { ...store.env, KEYZ_RETRY_BASE_MS: "0", KEYZ_BASE_URL_DEEPSEEK: server.url };
    const keyz = `${store.storeDir}/.keyz`;

    await Deno.symlink(outside, keyz);
    const r1 = await runKeyz(["sync", "--all"], { env });
    assertEquals(r1.code, 3, r1.stderr);
    assertMatch(r1.stderr, /^keyz: \S+\/\.keyz is a symbolic link \(keyz never reads or writes/);
    const map = await runKeyz(["map", "deepseek/a", "deepseek"], { env });
    assertEquals(map.code, 3, map.stderr);
    assertMatch(map.stderr, /\.keyz is a symbolic link/);
    assertEquals([...Deno.readDirSync(outside)], [], "something was written outside");
    await Deno.remove(keyz);

    // Leading outside or staying inside .keyz: a link is never followed.
    for (const sub of ["history", "accounts", "keys", "inside"]) {
      await Deno.mkdir(`${keyz}/real`, { recursive: true });
      const name = sub === "inside" ? "history" : sub;
      await Deno.symlink(sub === "inside" ? `${keyz}/real` : outside, `${keyz}/${name}`);
      const r = await runKeyz(["sync", "--all"], { env });
      assertEquals(r.code, 0, `${sub}: ${r.stdout}${r.stderr}`);
      assertMatch(
        r.stderr,
        new RegExp(`\\.keyz/${name} was a symbolic link \\(never followed\\); moved aside`),
      );
      assertEquals([...Deno.readDirSync(outside)], [], `${sub}: something was written outside`);
      assertEquals([...Deno.readDirSync(`${keyz}/real`)], [], `${sub}: written through the link`);
      assert(Deno.lstatSync(`${keyz}/${name}`).isDirectory);
      await Deno.remove(keyz, { recursive: true });
    }
  } finally {
    await server.close();
    await store.cleanup();
    await Deno.remove(outside, { recursive: true });
  }
});
