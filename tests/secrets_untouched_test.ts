// Safety rail: whatever keyz command runs, every .gpg entry stays byte-identical and nothing
// outside .keyz/ changes. One store, every non-interactive command in turn, a snapshot of the
// whole tree (secrets hashed) after each.
import { assertEquals } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

async function snapshotOutsideKeyz(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(dir: string, rel: string) {
    for await (const e of Deno.readDir(dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (r === ".keyz" || r === ".git") continue;
      if (e.isDirectory) await walk(`${dir}/${e.name}`, r);
      else {
        const bytes = await Deno.readFile(`${dir}/${e.name}`);
        const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
        out.set(r, Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join(""));
      }
    }
  }
  await walk(root, "");
  return out;
}

Deno.test("no keyz command modifies, moves or deletes anything outside .keyz/", async () => {
  const store = await makeStore({
    git: true,
    entries: {
      "api/deepseek/main": "sk-CANARY-untouched-1\naccount_id: a1\n",
      "api/openai/main": keyLike("openai", "CANARY-untouched-2"),
      "api/openai/admin": keyLike("openai-admin", "CANARY-untouched-3"),
      "misc/other": "plain",
    },
  });
  const server = await startServer([{
    path: "/user/balance",
    body: { is_available: true, balance_infos: [{ currency: "USD", total_balance: "3.50" }] },
  }]);
  const env = { ...store.env, KEYZ_RETRY_BASE_MS: "0", KEYZ_BASE_URL_DEEPSEEK: server.url };
  try {
    const before = await snapshotOutsideKeyz(store.storeDir);
    const gitHeadFiles = async () =>
      (await store.gitRun(["ls-files", "--", ":(exclude).keyz"])).stdout;
    const trackedBefore = await gitHeadFiles();
    const commands = [
      ["sync", "--all", "--json"],
      ["ls", "--json"],
      ["show", "api/deepseek/main"],
      ["map", "api/openai/main", "openai", "--credential", "api/openai/admin"],
      ["sync", "api/openai/main"],
      ["unmap", "api/openai/main"],
      ["check", "--min-balance", "5"],
      ["check", "--format", "prometheus"],
      ["env", "api/deepseek/main", "--format", "json"],
      ["history", "api/deepseek/main", "--json"],
      ["doctor", "--fix", "--offline"],
      ["providers", "list", "--json"],
      ["completions", "bash"],
      ["sync", "--all", "--git", "stage"],
    ];
    for (const args of commands) {
      const r = await runKeyz(args, { env });
      assertEquals(r.code < 6, true, `${args.join(" ")} crashed: ${r.stderr}`);
      assertEquals(
        await snapshotOutsideKeyz(store.storeDir),
        before,
        `keyz ${args.join(" ")} changed a file outside .keyz/`,
      );
      assertEquals(
        await gitHeadFiles(),
        trackedBefore,
        `keyz ${args.join(" ")} touched git's view of the entries`,
      );
    }
    const staged = await store.gitRun(["diff", "--cached", "--name-only", "--no-textconv"]);
    for (const f of staged.stdout.split("\n").filter(Boolean)) {
      assertEquals(f.startsWith(".keyz/"), true, `staged outside .keyz: ${f}`);
    }
  } finally {
    await server.close();
    await store.cleanup();
  }
});
