// `keyz providers trust ID` says exactly which entries a manifest would receive and at which
// host before it trusts: y/N on a terminal, --yes without one. A store manifest that arrived
// through the team's git, a person's store around it. Real pass, gpg, git; `script` for the
// terminal.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { addTeammate, makeStore, type TestStore, writeEntries } from "./support/store.ts";
import { runKeyz, runKeyzInTerminal } from "./support/cli.ts";
import { ProvidersTrustOutput } from "../src/cli/output_schemas.ts";

const ACME = JSON.stringify({
  id: "acmeai",
  name: "Acme AI",
  aliases: ["acme-ai"],
  keyType: "API key",
  keyPattern: "^ak-[0-9a-f]{32}$",
  keyPatternSource: "documented",
  baseUrl: "https://api.acme-ai.example",
  kind: "balance",
  credential: {
    required: false,
    description: "an Acme admin key",
    keyPattern: "^ak-[0-9a-f]{32}$",
  },
  steps: [{ id: "main", path: "/balance" }],
  fields: { balance: { path: "balance" } },
  currency: "USD",
});

const key = (n: number) => `ak-${String(n).repeat(32).slice(0, 32)}`;

async function teamStore(): Promise<{ store: TestStore; env: Record<string, string> }> {
  const store = await makeStore({ git: true });
  await writeEntries(store, {
    "api/acmeai/main": key(1),
    "work/acme-key": key(2),
    "work/acme-admin": key(3),
    "old/acme-ai/retired": key(4),
    "bank/chase": "chase 4242 pin",
    "web/github": "hunter2hunter2",
  });
  await addTeammate(store, { teamFolder: "team" });
  await store.insert("team/acmeai", key(5));
  await Deno.mkdir(`${store.storeDir}/.keyz/providers`, { recursive: true });
  await Deno.writeTextFile(`${store.storeDir}/.keyz/providers/acmeai.jsonc`, ACME);
  const env = { ...store.env, NO_COLOR: "1", XDG_CACHE_HOME: `${store.dir}/cache` };
  for (
    const args of [
      ["map", "work/acme-key", "acmeai", "--credential", "work/acme-admin"],
      ["ignore", "old"],
    ]
  ) {
    const r = await runKeyz(args, { env });
    assertEquals(r.code, 0, r.stderr);
  }
  return { store, env };
}

const trusted = async (env: Record<string, string>) =>
  JSON.parse((await runKeyz(["providers", "list", "--json"], { env })).stdout).providers
    .find((p: { id: string }) => p.id === "acmeai").trusted;

Deno.test("providers trust lists the entries a store manifest would receive, and needs --yes without a terminal", async () => {
  const { store, env } = await teamStore();
  try {
    const r = await runKeyz(["providers", "trust", "acmeai"], { env });
    assertEquals(r.code, 6, r.stderr);
    assertEquals(
      r.stderr,
      "keyz: acmeai is not trusted: trusting it needs a yes (read what it would receive, then " +
        "keyz providers trust acmeai --yes)\n",
    );
    const lines = r.stdout.trimEnd().split("\n");
    assertEquals(
      lines[0],
      `${store.storeDir}/.keyz/providers/acmeai.jsonc (store manifest acmeai) would receive, ` +
        "at api.acme-ai.example:",
    );
    // Exactly: the key named after it, the mapped key and its credential. Not the ignored
    // entry, not the teammate's, not the passwords.
    assertEquals(lines.slice(1, -1).map((l) => l.trim().split(/\s{2,}/)), [
      ["api/acmeai/main", "named after it"],
      ["work/acme-admin", "credential"],
      ["work/acme-key", "mapped"],
    ]);
    assertMatch(lines.at(-1)!, /^each only if its first line has acmeai's key shape \^ak-/);
    assertEquals(await trusted(env), false);

    const json = await runKeyz(["providers", "trust", "acmeai", "--json"], { env });
    assertEquals(json.code, 6);
    const doc = ProvidersTrustOutput.parse(JSON.parse(json.stdout));
    assertEquals(doc.trusted, false);
    assertEquals(doc.hosts, ["api.acme-ai.example"]);
    assertEquals(doc.keys, [
      { path: "api/acmeai/main", role: "key", how: "auto" },
      { path: "work/acme-admin", role: "credential", how: "explicit" },
      { path: "work/acme-key", role: "key", how: "explicit" },
    ]);

    const yes = await runKeyz(["providers", "trust", "acmeai", "--yes", "--json"], { env });
    assertEquals(yes.code, 0, yes.stderr);
    assertEquals(ProvidersTrustOutput.parse(JSON.parse(yes.stdout)).trusted, true);
    assertEquals(await trusted(env), true);
    const again = await runKeyz(["providers", "trust", "acmeai"], { env });
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stdout, /acmeai \(.*acmeai\.jsonc\) is already trusted in this form/);
    const builtin = await runKeyz(["providers", "trust", "deepseek"], { env });
    assertEquals([builtin.code, builtin.stdout], [0, "deepseek is built in and always trusted\n"]);
    // The trust record is the user's, never the shared store's.
    const status = await store.gitRun(["status", "--porcelain"]);
    assertEquals(status.stdout, "");
  } finally {
    await store.cleanup();
  }
});

Deno.test("providers trust on a terminal asks y/N after the list", async () => {
  const { store, env } = await teamStore();
  try {
    const no = await runKeyzInTerminal(["providers", "trust", "acmeai"], { env, input: "n\n" });
    assertEquals(no.code, 1, no.screen);
    assertMatch(no.screen, /work\/acme-key +mapped[\s\S]*Trust acmeai\? \[y\/N\]/);
    assertMatch(no.screen, /not trusted/);
    assertEquals(await trusted(env), false);
    const yes = await runKeyzInTerminal(["providers", "trust", "acmeai"], { env, input: "y\n" });
    assertEquals(yes.code, 0, yes.screen);
    assertMatch(yes.screen, /trusted acmeai .*keys will be sent to api\.acme-ai\.example/);
    assert(await trusted(env));
  } finally {
    await store.cleanup();
  }
});
