// `keyz demo --no-browse`: a throwaway store, sample keys, a local fake provider server, a
// sync, the listing, and nothing left behind.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runKeyz } from "./support/cli.ts";

Deno.test("keyz demo --no-browse syncs sample keys of every kind and cleans up", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "keyz-demo-test-" });
  const home = await Deno.makeTempDir({ prefix: "keyz-demo-home-" });
  try {
    const r = await runKeyz(["demo", "--no-browse"], {
      env: { HOME: home, TMPDIR: tmp, LANG: "C.UTF-8", NO_COLOR: "1" },
    });
    assertEquals(r.code, 0, r.stderr);
    // Exactly what `keyz ls` prints for that store.
    assertMatch(r.stdout, /api\/deepseek\/main\s+deepseek\s+110\.00 CNY\s+live\s/);
    assertMatch(
      r.stdout,
      /api\/openrouter\/team\s+openrouter\s+0\.42 USD \(key limit left\)\s+live low\s/,
    );
    assertMatch(r.stdout, /work\/moonshot\s+moonshot\s+49\.59 USD\s+live expiring\s/);
    assertMatch(r.stdout, /work\/siliconflow\s+siliconflow\s+-\s+auth\s/);
    // Ordinary passwords, one of them in a folder named after a provider, are not keys.
    assert(!r.stdout.includes("personal/wifi"), r.stdout);
    assert(!r.stdout.includes("web/github"), r.stdout);
    assertMatch(r.stdout, /7 entries: 5 keys, 2 other entries \(1 not a key\)/);
    // Everything (store, keyring, config) lived under TMPDIR and is gone; the user's config
    // dir was never touched.
    assertEquals([...Deno.readDirSync(tmp)].map((e) => e.name), []);
    assertEquals([...Deno.readDirSync(home)].map((e) => e.name), []);
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
});

Deno.test("keyz demo (browser) needs a terminal", async () => {
  const r = await runKeyz(["demo"], { env: { HOME: "/nonexistent" } });
  assertEquals(r.code, 6);
});
