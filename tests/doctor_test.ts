// keyz doctor: a healthy store passes; each kind of problem is named with what to do; --fix
// repairs what is safe and leaves the rest.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { mappingChecks, needsAttention } from "../src/doctor/checks.ts";
import { mergeManifests } from "../src/providers/load.ts";

interface Check {
  id: string;
  status: string;
  message: string;
  hint?: string;
  fixed?: boolean;
}

Deno.test("mappingChecks: missing entry, provider and credential", () => {
  const providers = mergeManifests([]);
  const checks = mappingChecks(
    {
      "gone/key": { provider: "nope", credential: "admin/missing" },
      "ok/key": { provider: "nope" },
    },
    new Set(["ok/key"]),
    providers,
  );
  assertEquals(checks.map((c) => c.id), ["mapping", "mapping", "credential", "mapping"]);
  assert(needsAttention(checks));
  assert(!needsAttention([{ id: "git", status: "info", message: "" }]));
  assert(!needsAttention([{ id: "lock", status: "warn", message: "", fixed: true }]));
});

Deno.test("keyz doctor: healthy, then problems with hints, then --fix", async () => {
  const store = await makeStore({
    git: true,
    entries: { "api/deepseek/main": "sk-CANARY-doctor-1" },
  });
  const env = store.env;
  const keyz = store.storeDir + "/.keyz";
  try {
    const ok = await runKeyz(["doctor", "--offline"], { env: { ...env, NO_COLOR: "1" } });
    assertEquals(ok.code, 0, ok.stdout + ok.stderr);
    assertMatch(ok.stdout, /✓ pass v?[\d.]* ?runs/);
    assertMatch(ok.stdout, /all good/);

    // Break things: a dangling mapping with a missing credential, a broken and a conflicted
    // sidecar, an old-format file, a stale lock, a bad and an untrusted store manifest.
    await Deno.mkdir(`${keyz}/accounts/deepseek/api/deepseek`, { recursive: true });
    await Deno.mkdir(`${keyz}/keys/api/deepseek`, { recursive: true });
    await Deno.mkdir(`${keyz}/providers`, { recursive: true });
    await Deno.writeTextFile(
      `${keyz}/map.json`,
      JSON.stringify({
        schema_version: 1,
        keys: { "old/key": { provider: "deepseek", credential: "admin/gone" } },
      }),
    );
    const snap = (at: string, balance: number) =>
      JSON.stringify(
        {
          account: "deepseek/api/deepseek/main",
          last_error: null,
          last_success_at: at,
          metadata: { balance, kind: "balance" },
          provider: "deepseek",
          schema_version: 1,
          synced_at: at,
        },
        null,
        2,
      );
    await Deno.writeTextFile(
      `${keyz}/accounts/deepseek/api/deepseek/main.json`,
      `<<<<<<< HEAD\n${snap("2026-01-01T00:00:00Z", 1)}\n=======\n${
        snap("2026-01-02T00:00:00Z", 2)
      }\n>>>>>>> abc\n`,
    );
    await Deno.writeTextFile(`${keyz}/accounts/deepseek/broken.json`, "[1,");
    await Deno.writeTextFile(
      `${keyz}/keys/api/deepseek/main.json`,
      JSON.stringify({ path: "api/deepseek/main" }),
    );
    await Deno.writeTextFile(`${keyz}/lock`, "999999999 2020-01-01T00:00:00Z sync\n");
    await Deno.writeTextFile(`${keyz}/providers/bad.jsonc`, "{ nope");
    await Deno.writeTextFile(
      `${keyz}/providers/acme.jsonc`,
      await Deno.readTextFile(new URL("../providers/deepseek.jsonc", import.meta.url))
        .then((t) =>
          t.replace(/"id":\s*"deepseek"/, '"id": "acme"').replace(
            /"aliases":\s*\[[^\]]*\]/,
            '"aliases": []',
          )
        ),
    );

    const bad = await runKeyz(["doctor", "--offline", "--json"], { env });
    assertEquals(bad.code, 1, bad.stderr);
    const doc = JSON.parse(bad.stdout) as { healthy: boolean; checks: Check[] };
    assertEquals(doc.healthy, false);
    const by = (id: string) => doc.checks.filter((c) => c.id === id);
    assertMatch(by("mapping")[0].message, /old\/key .* no such entry/);
    assertEquals(by("mapping")[0].hint, "keyz unmap old/key");
    assertMatch(by("credential")[0].message, /admin\/gone/);
    assertEquals(by("lock")[0].status, "warn");
    assertEquals(by("manifest").length, 1, JSON.stringify(by("manifest")));
    assertMatch(by("manifest")[0].message, /bad\.jsonc:1:/);
    assertMatch(by("trust")[0].hint ?? "", /keyz providers trust acme/);
    const sidecars = by("sidecar").map((c) => `${c.status} ${c.message}`).join("\n");
    assertMatch(sidecars, /warn .*main\.json has git conflict markers/);
    assertMatch(sidecars, /fail .*broken\.json is not valid JSON/);
    assertMatch(sidecars, /info .*keys\/api\/deepseek\/main\.json is in an older format/);
    for (const c of doc.checks) if (c.status !== "ok") assert(c.hint, `no hint for ${c.message}`);

    const fix = await runKeyz(["doctor", "--offline", "--fix", "--json"], { env });
    const fixed = (JSON.parse(fix.stdout) as { checks: Check[] }).checks;
    const fixes = fixed.filter((c) => c.fixed);
    assertEquals(fixes.map((c) => c.id).sort(), [
      "lock",
      "sidecar",
      "sidecar",
      "sidecar",
      "sidecar",
    ]);
    // The conflict is resolved, the broken file moved aside, and both older formats rewritten.
    assertEquals(
      fixes.filter((c) => /older format/.test(c.message)).length,
      2,
      JSON.stringify(fixes),
    );
    assertEquals(
      JSON.parse(await Deno.readTextFile(`${keyz}/accounts/deepseek/api/deepseek/main.json`))
        .metadata.balance,
      2,
    );
    assertEquals(
      JSON.parse(await Deno.readTextFile(`${keyz}/keys/api/deepseek/main.json`)).schema_version,
      2,
    );
    assert(!(await Deno.stat(`${keyz}/lock`).then(() => true, () => false)));
    assert(
      [...Deno.readDirSync(`${keyz}/accounts/deepseek`)].some((e) =>
        e.name.startsWith("broken.json.broken-")
      ),
    );
    // What needs a human stays: the mapping, the credential, the manifests.
    assertEquals(fix.code, 1);
    const again = await runKeyz(["doctor", "--offline", "--json"], { env });
    const left = (JSON.parse(again.stdout) as { checks: Check[] }).checks
      .filter((c) => c.status === "warn" || c.status === "fail").map((c) => c.id).sort();
    assertEquals(left, ["credential", "manifest", "mapping", "trust"]);
  } finally {
    await store.cleanup();
  }
});

Deno.test("keyz doctor: a key whose provider needs an admin key that is not linked", async () => {
  const store = await makeStore({
    entries: { "llm/claude/main": keyLike("anthropic", "CANARY-doctor"), "misc/wifi": "x" },
  });
  try {
    // The sync records the missing credential as a config error (no network involved).
    const sync = await runKeyz(["sync", "llm/claude/main", "--json"], { env: store.env });
    assertEquals(JSON.parse(sync.stdout).results[0].error.kind, "config");
    const r = await runKeyz(["doctor", "--offline", "--json"], { env: store.env });
    assertEquals(r.code, 1, r.stderr);
    const checks: Check[] = JSON.parse(r.stdout).checks;
    const cred = checks.find((c) => c.id === "credential");
    assertEquals(cred?.status, "warn");
    assertMatch(cred!.message, /llm\/claude\/main has no Anthropic Admin API key/);
    assertMatch(cred!.hint!, /keyz map llm\/claude\/main anthropic --credential/);
    const unmapped = checks.find((c) => c.id === "mapping" && c.status === "info");
    assertMatch(unmapped!.message, /1 other entry is not a key/);
    assert(!r.stdout.includes("CANARY"));
  } finally {
    await store.cleanup();
  }
});

Deno.test("a broken map.json: the hint names doctor --fix, which moves it aside and restores it from git", async () => {
  const store = await makeStore({ git: true, entries: { "misc/custom/key": "sk-CANARY-doc-2" } });
  const env = { ...store.env, NO_COLOR: "1" };
  const map = `${store.storeDir}/.keyz/map.json`;
  try {
    assertEquals((await runKeyz(["map", "misc/custom/key", "deepseek"], { env })).code, 0);
    const good = await Deno.readTextFile(map);
    await Deno.writeTextFile(map, good.slice(0, 20)); // a bad merge by hand, never committed
    const ls = await runKeyz(["ls"], { env });
    assertEquals(ls.code, 2, ls.stderr);
    assertMatch(ls.stderr, /map\.json is not valid JSON \(run `keyz doctor --fix`: it moves/);
    const fix = await runKeyz(["doctor", "--fix", "--json"], { env });
    const c = (JSON.parse(fix.stdout) as { checks: Check[] }).checks.find((c) =>
      c.id === "sidecar"
    )!;
    assertEquals(c.fixed, true, fix.stdout);
    assertMatch(
      c.message,
      /moved aside to \.keyz\/map\.json\.broken-.*; restored the version of commit [0-9a-f]{8}/,
    );
    assertEquals(await Deno.readTextFile(map), good);
    const after = await runKeyz(["show", "misc/custom/key", "--json"], { env });
    assertEquals(JSON.parse(after.stdout).mapped, "explicit", after.stderr);
  } finally {
    await store.cleanup();
  }
});

Deno.test("doctor --fix takes the store lock like every writer", async () => {
  const store = await makeStore({ entries: { "api/deepseek/main": "sk-CANARY-doc-3" } });
  try {
    await Deno.mkdir(`${store.storeDir}/.keyz`);
    const held = await Deno.open(`${store.storeDir}/.keyz/lock`, {
      read: true,
      write: true,
      create: true,
    });
    try {
      await held.lock(true);
      await held.write(new TextEncoder().encode(`${Deno.pid} 2026-01-01T00:00:00Z sync\n`));
      const fix = await runKeyz(["doctor", "--fix"], { env: store.env });
      assertEquals(fix.code, 5, fix.stdout + fix.stderr);
      assertMatch(fix.stderr, /the store is locked by keyz process \d+/);
      // Without --fix, doctor only reads: it reports the holder.
      const look = await runKeyz(["doctor", "--json"], { env: store.env });
      const lock = (JSON.parse(look.stdout) as { checks: Check[] }).checks.find((c) =>
        c.id === "lock"
      );
      assertEquals(lock?.status, "info");
    } finally {
      held.close();
    }
  } finally {
    await store.cleanup();
  }
});
