// Only text reaches a terminal (trust rule 4): names, notes, tags, labels and error messages
// from a shared store or a provider's answer cannot move the cursor, set the title or the
// clipboard, reorder a line or forge one, in any command's output.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore, writeEntries } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

const OSC52 = "\x1b]52;c;aGFja2Vk\x07";
const CLEAR = "\x1b[2J\x1b[H";
const TITLE = "\x1b]0;pwned\x07";
const BIDI = "\u202e";
const CSI8 = "\x9b31m";

/** Anything a terminal would act on: C0 (but newline), DEL, C1, bidi controls. */
// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f]/;

Deno.test("hostile text in names, sidecars and answers is shown escaped by every command", async () => {
  const store = await makeStore({ git: true });
  // A forged row (no provider name in it, so the entry stays a deepseek key by its folder).
  const forged = "api/acme/admin  acme  9999.00 USD  live";
  const server = await startServer([
    { path: "/api/v1/credits", status: 403, body: { error: { message: "management keys only" } } },
    {
      path: "/api/v1/key",
      body: {
        data: {
          label: `team ${OSC52}${TITLE}`,
          usage_monthly: 1,
          limit: 10,
          limit_remaining: 9,
        },
      },
    },
    {
      path: "/user/balance",
      status: 500,
      body: { error: { message: `down ${CLEAR}${CSI8} again` } },
    },
  ]);
  try {
    await writeEntries(store, {
      [`api/openrouter/te${BIDI}am`]: keyLike("openrouter", "CANARY-term-1"),
      [`api/deepseek/x\n${forged}`]: keyLike("deepseek", "CANARY-term-2"),
      [`evil${CLEAR}/deepseek`]: keyLike("deepseek", "CANARY-term-3"),
    });
    const keysDir = `${store.storeDir}/.keyz/keys/api/openrouter`;
    await Deno.mkdir(keysDir, { recursive: true });
    await Deno.writeTextFile(
      `${keysDir}/te${BIDI}am.json`,
      JSON.stringify({
        schema_version: 2,
        path: `api/openrouter/te${BIDI}am`,
        notes: `note ${OSC52} ${TITLE}`,
        tags: [`t${CLEAR}`],
      }),
    );
    const env = {
      ...store.env,
      NO_COLOR: "1",
      KEYZ_RETRY_BASE_MS: "0",
      KEYZ_BASE_URL_OPENROUTER: server.url,
      KEYZ_BASE_URL_DEEPSEEK: server.url,
    };
    const outputs: Record<string, string> = {};
    const run = async (name: string, args: string[]) => {
      const r = await runKeyz(args, { env });
      outputs[`${name} stdout`] = r.stdout;
      outputs[`${name} stderr`] = r.stderr;
      return r;
    };
    await run("sync", ["sync", "--all"]);
    await run("sync -v", ["sync", "--all", "--verbose"]);
    const ls = await run("ls", ["ls"]);
    await run("ls --all", ["ls", "--all"]);
    await run("show", ["show", "api/openrouter"]);
    await run("check", ["check"]);
    await run("history", ["history", "evil/deepseek"]);
    await run("doctor", ["doctor"]);
    await run("providers", ["providers", "list"]);
    for (const [name, text] of Object.entries(outputs)) {
      const bad = CONTROL.exec(text);
      assert(
        !bad,
        `${name}: control character U+${bad?.[0].codePointAt(0)?.toString(16)}\n${text}`,
      );
    }
    // The newline in a name cannot forge a row: one row per key, plus header and summary.
    const rows = ls.stdout.trimEnd().split("\n");
    assertEquals(rows.length, 1 + 3 + 1, ls.stdout);
    assert(!rows.some((l) => l.startsWith("api/acme/admin")), ls.stdout);
    assertMatch(ls.stdout, /api\/deepseek\/x\\napi\/acme\/admin/);
    assertMatch(outputs["sync stdout"], /\\x1b\[2J/); // the provider's message, escaped
    // JSON stays exact JSON: the label round-trips with its escape characters intact.
    const json = await runKeyz(["ls", "--json"], { env });
    const label = JSON.parse(json.stdout).keys.find((k: { path: string }) =>
      k.path === `api/openrouter/te${BIDI}am`
    ).metadata.label;
    assertEquals(label, `team ${OSC52}${TITLE}`);
  } finally {
    await server.close();
    await store.cleanup();
  }
});
