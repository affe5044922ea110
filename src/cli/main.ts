/** Entry: parse, run, and turn every failure into one line and a stable exit code. */
import { asKeyzError } from "../errors.ts";
import { escapeTerminal } from "../util/text.ts";
import { parseFast } from "./fast.ts";

/** Exactly one line: a newline or control inside a message (from a name, pass, git) shows as text. */
function printError(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${escapeTerminal(line)}\n`));
}

async function run(args: string[]): Promise<number> {
  const fast = parseFast(args);
  if (fast?.command === "ls") return (await import("./ls.ts")).lsCommand(fast.flags);
  if (fast?.command === "browse") return (await import("./browse.ts")).browseCommand();
  if (fast?.command === "sync") {
    return (await import("./sync.ts")).syncCommand(fast.paths, fast.flags);
  }
  return (await import("./program.ts")).runProgram(args);
}

export async function runMain(args: string[]): Promise<never> {
  try {
    Deno.exit(await run(args));
  } catch (e) {
    const err = asKeyzError(e);
    printError(err.format());
    Deno.exit(err.exitCode);
  }
}
