/** Entry: parse, run, and turn every failure into one line and a stable exit code. */
import { escapeTerminal } from "../util/text.ts";
import { asKeyzError, OutputClosed } from "../errors.ts";
import { parseFast } from "./fast.ts";

/** Exactly one line: a newline or control inside a message (from a name, pass, git) shows as text. */
function printError(line: string): void {
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
  } catch { /* stderr closed too: the exit code is all that is left */ }
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
    // The reader went away (`keyz ls | head -1`): it got what it asked for.
    if (e instanceof OutputClosed) Deno.exit(0);
    const err = asKeyzError(e);
    // The line names paths and messages from data: shown as text only (trust rule 4).
    printError(escapeTerminal(err.format()));
    Deno.exit(err.exitCode);
  }
}
