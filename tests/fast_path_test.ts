// src/cli/fast.ts recognises plain `keyz ls ...` and `keyz browse` without commander. Whatever
// it accepts must mean exactly what commander makes of the same words; anything else it must
// leave to commander.
import { parseFast } from "../src/cli/fast.ts";
import { buildProgram } from "../src/cli/program.ts";
import { assert, assertEquals } from "./support/assert.ts";

/** What commander passes to the action of `ls` or `sync` for these words (or "error"). */
async function commanderParse(args: string[]): Promise<unknown> {
  const program = buildProgram(() => {});
  let got: unknown = "no action";
  for (const name of ["ls", "sync"]) {
    const cmd = program.commands.find((c) => c.name() === name)!;
    // Replace the action: the test wants the parsed words, not a run.
    (cmd as unknown as { action(fn: (...a: unknown[]) => void): void }).action((...a) =>
      got = name === "ls" ? { command: "ls", flags: a[0] } : {
        command: "sync",
        paths: a[0],
        flags: a[1],
      }
    );
  }
  try {
    await program.parseAsync(args, { from: "user" });
  } catch {
    return "error";
  }
  return got;
}

const CASES: string[][] = [
  ["ls"],
  ["ls", "--json"],
  ["ls", "--sort", "balance"],
  ["ls", "--sort=synced"],
  ["ls", "--sort", "name", "--json"],
  ["ls", "-p", "deepseek"],
  ["ls", "--provider", "deepseek", "--sort", "balance"],
  ["ls", "--provider=openrouter", "--json"],
  ["ls", "--sort", "bogus"],
  ["ls", "--sort"],
  ["ls", "--provider"],
  ["ls", "-p", "--json"],
  ["ls", "extra"],
  ["ls", "--json", "--json"],
  ["ls", "--json=yes"],
  ["ls", "-q"],
  ["ls", "--sort", "balance", "--sort", "name"],
  ["-q", "ls"],
  ["ls", "--", "--json"],
  ["sync", "--all"],
  ["sync", "-a", "--json", "--git", "none"],
  ["sync", "--all", "--git=stage", "-c", "4"],
  ["sync", "api/deepseek", "work/kimi", "--json"],
  ["sync", "api", "-p", "openrouter", "--concurrency=32"],
  ["sync", "--provider=xai"],
  ["sync"],
  ["sync", "--git", "bogus"],
  ["sync", "-c", "0"],
  ["sync", "-c", "300"],
  ["sync", "-c", "1e2"],
  ["sync", "-c8"],
  ["sync", "--all", "--all"],
  ["sync", "--", "-odd-path"],
  ["sync", "--json=1"],
  ["sync", "-aj"],
  ["sync", "--concurrency"],
  ["sync", "a", "--json", "b"],
];

Deno.test("fast path: whatever it accepts, commander parses to the same", async () => {
  let taken = 0;
  for (const args of CASES) {
    const fast = parseFast(args);
    if (fast === undefined) continue; // commander's job, errors and help included
    taken++;
    const parsed = await commanderParse(args);
    assert(parsed !== "error", `fast path accepted what commander rejects: ${args.join(" ")}`);
    assertEquals(fast, parsed, args.join(" "));
  }
  assert(taken >= 14, `the fast path takes the common forms (${taken})`);
});

Deno.test("fast path: the common forms are taken, browse only bare", () => {
  assertEquals(parseFast(["ls"]), { command: "ls", flags: { sort: "name" } });
  assertEquals(parseFast(["ls", "--sort", "balance", "-p", "xai", "--json"]), {
    command: "ls",
    flags: { sort: "balance", provider: "xai", json: true },
  });
  assertEquals(parseFast(["browse"]), { command: "browse" });
  for (
    const args of [["browse", "x"], ["browse", "--help"], ["ls", "--help"], ["sync", "--help"], []]
  ) {
    assertEquals(parseFast(args), undefined);
  }
});
