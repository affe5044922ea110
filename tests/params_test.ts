// Manifest parameters: `keyz map --param` accepts only what the provider declares (region from
// its regions, ids by their shape), suggests the name meant, and `show` lists what was given.
import { assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { loadProviders } from "../src/providers/load.ts";
import { paramProblem, paramsOf } from "../src/providers/params.ts";

Deno.test("params: declared names, regions as values, shapes; a typo gets a suggestion", async () => {
  const set = await loadProviders({});
  const moonshot = set.providers.get("moonshot")!.manifest;
  assertEquals(paramsOf(moonshot).region.values, Object.keys(moonshot.regions!));
  assertEquals(paramProblem(moonshot, "region", "cn"), undefined);
  assertMatch(
    paramProblem(moonshot, "regoin", "cn")!.what,
    /no parameter "regoin" \(did you mean region\?\)/,
  );
  assertMatch(paramProblem(moonshot, "region", "mars")!.what, /moonshot has no region "mars"/);
  const cf = set.providers.get("cloudflare")!.manifest;
  assertEquals(paramProblem(cf, "account_id", "0123456789abcdef0123456789abcdef"), undefined);
  assertMatch(paramProblem(cf, "account_id", "../../x")!.what, /not a Cloudflare .*account id/);
  const ds = set.providers.get("deepseek")!.manifest;
  assertMatch(paramProblem(ds, "region", "cn")!.hint, /takes no parameters/);
  // Every manifest's {variables} that a user may give are declared (or found by an extract).
  for (const p of set.providers.values()) {
    for (const [name, spec] of Object.entries(paramsOf(p.manifest))) {
      assertEquals(typeof spec.description, "string", `${p.manifest.id} ${name}`);
    }
  }
});

Deno.test("keyz map --param: bad names and values exit 2 in one line; show lists them", async () => {
  const store = await makeStore({ entries: { "cn/kimi": keyLike("moonshot", "CANARY-params") } });
  try {
    const env = { ...store.env, NO_COLOR: "1" };
    const typo = await runKeyz(["map", "cn/kimi", "moonshot", "--param", "regoin=cn"], { env });
    assertEquals(typo.code, 2);
    assertEquals(
      typo.stderr.split("\n")[0].startsWith(
        'keyz: --param regoin: moonshot has no parameter "regoin" (did you mean region?)',
      ),
      true,
      typo.stderr,
    );
    assertEquals(typo.stderr.trim().split("\n").length, 1);
    const bad = await runKeyz(["map", "cn/kimi", "moonshot", "--param", "region=mars"], { env });
    assertEquals(bad.code, 2);
    assertMatch(bad.stderr, /^keyz: --param region: moonshot has no region "mars" \(one of /);
    const ok = await runKeyz(["map", "cn/kimi", "moonshot", "--param", "region=cn"], { env });
    assertEquals(ok.code, 0, ok.stderr);
    const show = await runKeyz(["show", "cn/kimi"], { env });
    assertMatch(show.stdout, /param region\s+cn/);
    const json = JSON.parse((await runKeyz(["show", "cn/kimi", "--json"], { env })).stdout);
    assertEquals(json.params, { region: "cn" });
  } finally {
    await store.cleanup();
  }
});
