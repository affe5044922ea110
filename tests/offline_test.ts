// Offline runs are clear and leave no trace (issue 12): when every failure is the network's,
// one line says so instead of one per key; the figures and their age stay those of the last
// success; git records figures, never attempts, so an offline run commits nothing.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

const KEYS = {
  "api/deepseek/main": keyLike("deepseek", "CANARY-offline-ds"),
  "api/openrouter/team": keyLike("openrouter", "CANARY-offline-or"),
  "work/moonshot": keyLike("moonshot", "CANARY-offline-ms"),
};

/** A loopback port nobody listens on: connections are refused at once. */
function closedPort(): string {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return `http://127.0.0.1:${port}`;
}

Deno.test("offline: one summary line, figures kept with their age, nothing committed", async () => {
  const store = await makeStore({ git: true, entries: KEYS });
  const server = await startServer([
    {
      path: "/user/balance",
      body: {
        is_available: true,
        balance_infos: [{
          currency: "CNY",
          total_balance: "3.50",
          granted_balance: "0",
          topped_up_balance: "3.50",
        }],
      },
    },
    { path: "/api/v1/key", body: { data: { label: "team", usage_monthly: 2, limit: 10 } } },
    { path: "/api/v1/credits", body: { data: { total_credits: 10, total_usage: 2 } } },
    {
      path: "/v1/users/me/balance",
      body: { code: 0, status: true, data: { available_balance: 5, cash_balance: 5 } },
    },
  ]);
  const online: Record<string, string> = {
    ...store.env,
    NO_COLOR: "1",
    KEYZ_RETRY_BASE_MS: "0",
  };
  for (const id of ["DEEPSEEK", "OPENROUTER", "MOONSHOT"]) {
    online[`KEYZ_BASE_URL_${id}`] = server.url;
  }
  try {
    const first = await runKeyz(["sync", "--all"], { env: online });
    assertEquals(first.code, 0, first.stdout + first.stderr);
    const commits = async () => (await store.gitRun(["rev-list", "--count", "HEAD"])).stdout.trim();
    const before = await commits();
    const history = await Deno.readTextFile(
      `${store.storeDir}/.keyz/history/api/deepseek/main.jsonl`,
    );

    // Every provider unreachable.
    const down = closedPort();
    const offline = { ...online };
    for (const id of ["DEEPSEEK", "OPENROUTER", "MOONSHOT"]) offline[`KEYZ_BASE_URL_${id}`] = down;
    const r = await runKeyz(["sync", "--all"], { env: offline });
    assertEquals(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assertMatch(lines[0], /^keyz: 3 providers unreachable \(.+\): figures kept from \d+s ago$/);
    // No per-key failure lines without --verbose; the counts still say what happened.
    assert(!/api\/deepseek\/main/.test(r.stdout), r.stdout);
    assertMatch(r.stdout, /0 ok, 3 failed/);
    const verbose = await runKeyz(["sync", "--all", "--verbose"], { env: offline });
    assertMatch(verbose.stdout, /api\/deepseek\/main\s+deepseek\s+network: /);

    // Git records figures, not attempts: nothing committed, the history has no error line.
    assertEquals(await commits(), before);
    assertEquals(
      await Deno.readTextFile(`${store.storeDir}/.keyz/history/api/deepseek/main.jsonl`),
      history,
    );
    assertEquals((await store.gitRun(["status", "--porcelain"])).stdout, "");

    // The states are distinct and the figure is still the last good one, aged from its fetch.
    const ls = await runKeyz(["ls"], { env: offline });
    assertMatch(ls.stdout, /api\/deepseek\/main\s+deepseek\s+3\.50 CNY\s+network\s+\d+s/);
    const show = JSON.parse(
      (await runKeyz(["show", "api/deepseek/main", "--json"], {
        env: offline,
      })).stdout,
    );
    assertEquals(show.state, "network");
    assertEquals(show.metadata.balance, 3.5);
    assertEquals(show.last_error.kind, "network");
    assert(show.synced_at > show.last_success_at, "the last attempt is after the figure");
    const check = JSON.parse((await runKeyz(["check", "--json"], { env: offline })).stdout);
    assertEquals(
      check.keys.map((k: { state: string }) => k.state),
      ["network", "network", "network"],
    );

    // A revoked key is not the network: its own state, its own line.
    const revoked = await startServer([{
      path: "/user/balance",
      status: 401,
      body: { error: { message: "Authentication Fails" } },
    }]);
    try {
      const a = await runKeyz(["sync", "api/deepseek/main"], {
        env: { ...offline, KEYZ_BASE_URL_DEEPSEEK: revoked.url },
      });
      assertEquals(a.code, 1);
      assertMatch(a.stdout, /api\/deepseek\/main\s+deepseek\s+auth: HTTP 401/);
      const s = JSON.parse(
        (await runKeyz(["show", "api/deepseek/main", "--json"], {
          env: offline,
        })).stdout,
      );
      assertEquals(s.state, "auth");
    } finally {
      await revoked.close();
    }
    assertNoSecret([r.stdout, r.stderr, verbose.stdout, ls.stdout], Object.values(KEYS));
  } finally {
    await server.close();
    await store.cleanup();
  }
});
