// What people notice in a terminal: TERM=dumb means no colour, no cursor movement and no
// progress line (run under a real pty by script(1)); `providers list` fits 100 columns;
// completions know the new commands and complete only what each argument takes.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { assertNoSecret, keyzArgv, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { shQuote } from "../src/keyenv/quote.ts";
import { ProvidersListOutput } from "../src/cli/output_schemas.ts";
import { wrapWords } from "../src/util/wrap.ts";

const KEY = keyLike("deepseek", "CANARY-term-1");
const dec = new TextDecoder();

async function denoDir(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  return JSON.parse(dec.decode(info.stdout)).denoDir;
}

/** Run keyz on a pseudo-terminal (stdin, stdout and stderr are the pty); returns what it drew. */
async function onPty(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const cmd = [Deno.execPath(), ...keyzArgv(args)].map(shQuote).join(" ");
  const o = await new Deno.Command("script", {
    args: ["-q", "-e", "-c", cmd, "/dev/null"],
    env: { ...env, SHELL: "/bin/sh", DENO_DIR: await denoDir(), DENO_NO_UPDATE_CHECK: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

Deno.test("TERM=dumb: no colour, no progress line, and the browser refuses in one line", async () => {
  const store = await makeStore({ entries: { "api/deepseek/main": KEY } });
  const server = await startServer([{
    path: "/user/balance",
    body: { is_available: true, balance_infos: [{ currency: "CNY", total_balance: "110.00" }] },
  }]);
  try {
    const env = { ...store.env, KEYZ_BASE_URL_DEEPSEEK: server.url, KEYZ_RETRY_BASE_MS: "0" };
    // A terminal that can: colours in ls, and sync's progress line (\r, erase line).
    const sync = await onPty(["sync", "--all"], { ...env, TERM: "xterm-256color" });
    assertEquals(sync.code, 0, sync.out);
    assert(sync.out.includes("\x1b[2K"), "the progress line is drawn on a capable terminal");
    const ls = await onPty(["ls"], { ...env, TERM: "xterm-256color" });
    assert(ls.out.includes("\x1b[3"), "colours on a capable terminal");
    // TERM=dumb: plain text only.
    for (const args of [["sync", "--all"], ["ls"], ["show", "api/deepseek/main"], ["doctor"]]) {
      const r = await onPty(args, { ...env, TERM: "dumb" });
      assert(!r.out.includes("\x1b"), `${args.join(" ")}: ${JSON.stringify(r.out)}`);
      assert(!r.out.includes("\r\x1b"), args.join(" "));
    }
    const browse = await onPty(["browse"], { ...env, TERM: "dumb" });
    assertEquals(browse.code, 6);
    assertEquals(
      browse.out.trim(),
      "keyz: browse needs a terminal that moves the cursor (TERM=dumb) (use keyz ls or keyz sync in scripts)",
    );
    assertNoSecret({ sync: sync.out, ls: ls.out, browse: browse.out }, [KEY]);
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("keyz demo without a terminal mentions --no-browse in its one line", async () => {
  const r = await runKeyz(["demo"], { env: { HOME: "/nonexistent" } });
  assertEquals(r.code, 6);
  assertEquals(
    r.stderr,
    "keyz: demo needs a terminal (stdin and stdout) (keyz demo --no-browse syncs the demo store and prints it)\n",
  );
});

Deno.test("providers list fits 100 columns; --json keeps every key type whole", async () => {
  const r = await runKeyz(["providers", "list"], { env: { HOME: "/nonexistent" } });
  assertEquals(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split("\n");
  for (const l of lines) assert([...l].length <= 100, `${[...l].length}: ${l}`);
  assertMatch(lines[0], /^ID\s+SOURCE\s+FIGURE\s+HOST\s+KEY TYPE$/);
  assertMatch(r.stdout, /^openai\s+built-in\s+spend\s+api\.openai\.com\s+Admin API key/m);
  const j = await runKeyz(["providers", "list", "--json"], { env: { HOME: "/nonexistent" } });
  const doc = ProvidersListOutput.parse(JSON.parse(j.stdout));
  const openai = doc.providers.find((p) => p.id === "openai")!;
  assert(openai.key_type.length > 60 && !openai.key_type.includes("\n"));
  // Every word of every key type is in the table, in order.
  const table = lines.join(" ");
  for (const p of doc.providers) {
    for (const word of p.key_type.split(/\s+/)) assert(table.includes(word), `${p.id}: ${word}`);
  }
  assertEquals(wrapWords("aa bb cc", 5), ["aa bb", "cc"]);
  assertEquals(wrapWords("averyverylongword x", 5), ["averyverylongword", "x"]);
});

Deno.test("completions: new commands, unmap only recognised keys, unignore the rules", async () => {
  const store = await makeStore({
    entries: {
      "api/deepseek/main": KEY,
      "misc/llm": "sk-CANARY-term-2",
      "bank/chase": "hunter2-CANARY-term-3",
      "web/github": "ordinary password CANARY-term-4",
    },
  });
  try {
    const env = store.env;
    const map = await runKeyz(["map", "misc/llm", "deepseek"], { env });
    assertEquals(map.code, 0, map.stderr);
    const ign = await runKeyz(["ignore", "web/github"], { env });
    assertEquals(ign.code, 0, ign.stderr);
    const complete = async (...words: string[]) => {
      const r = await runKeyz(["__complete", "--", ...words], { env });
      assertEquals(r.code, 0, r.stderr);
      return r.stdout.split("\n").filter(Boolean).sort();
    };
    const commands = await complete("");
    for (const c of ["edit", "ignore", "unignore", "init", "completions", "run", "env"]) {
      assert(commands.includes(c), `${c} in ${commands}`);
    }
    assertEquals(await complete("unmap", ""), ["api/deepseek/main", "misc/llm"]);
    assertEquals(await complete("edit", "m"), ["misc/llm"]);
    assertEquals(await complete("unignore", ""), ["web/github"]);
    assertEquals(await complete("init", ""), ["bash", "fish", "zsh"]);
    assertEquals(await complete("env", "ba"), ["bank/", "bank/chase"]);
    assertEquals(await complete("run", "misc/l"), ["misc/llm"]);
    assertEquals(await complete("run", "misc/llm", "--", "ec"), []);
    assert((await complete("edit", "api/deepseek/main", "--")).includes("--low-balance"));
  } finally {
    await store.cleanup();
  }
});
