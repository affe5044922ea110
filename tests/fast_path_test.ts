// src/cli/fast.ts recognises plain `keyz ls ...` and `keyz browse` without commander. Whatever
// it accepts must mean exactly what commander makes of the same words; anything else it must
// leave to commander.
import { parseFast } from "../src/cli/fast.ts";
import { buildProgram } from "../src/cli/program.ts";
import { assert, assertEquals } from "./support/assert.ts";

/** What commander passes to the `ls` action for these words (or "error"/"not ls"). */
async function commanderLs(args: string[]): Promise<unknown> {
  const program = buildProgram(() => {});
  let got: unknown = "not ls";
  const ls = program.commands.find((c) => c.name() === "ls")!;
  // Replace the action: the test wants the parsed options, not a listing.
  (ls as unknown as { action(fn: (o: unknown) => void): void }).action((o) => got = o);
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
];

Deno.test("fast path: whatever it accepts, commander parses to the same options", async () => {
  for (const args of CASES) {
    const fast = parseFast(args);
    if (fast === undefined) continue; // commander's job, errors and help included
    const parsed = await commanderLs(args);
    assert(parsed !== "error", `fast path accepted what commander rejects: ${args.join(" ")}`);
    assertEquals(fast.command === "ls" ? fast.flags : fast, parsed, args.join(" "));
  }
});

Deno.test("fast path: the common forms are taken, browse only bare", () => {
  assertEquals(parseFast(["ls"]), { command: "ls", flags: { sort: "name" } });
  assertEquals(parseFast(["ls", "--sort", "balance", "-p", "xai", "--json"]), {
    command: "ls",
    flags: { sort: "balance", provider: "xai", json: true },
  });
  assertEquals(parseFast(["browse"]), { command: "browse" });
  for (const args of [["browse", "x"], ["browse", "--help"], ["ls", "--help"], ["sync"], []]) {
    assertEquals(parseFast(args), undefined);
  }
});
