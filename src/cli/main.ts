/** Entry: parse, run, and turn every failure into one line and a stable exit code. */
import { CommanderError } from "commander";
import { asKeyzError, ExitCode } from "../errors.ts";
import { buildProgram } from "./program.ts";

function printError(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`));
}

export async function runMain(args: string[]): Promise<never> {
  let code: number = ExitCode.ok;
  const program = buildProgram((c) => code = c);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) Deno.exit(0);
      // No command given: commander has printed the help on stderr already.
      if (e.code === "commander.help") Deno.exit(ExitCode.usage);
      printError(`keyz: ${e.message.replace(/^error: /, "")} (see keyz --help)`);
      Deno.exit(ExitCode.usage);
    }
    const err = asKeyzError(e);
    printError(err.format());
    Deno.exit(err.exitCode);
  }
  Deno.exit(code);
}
