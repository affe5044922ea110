/**
 * `keyz run`: keyz may start only `pass` and `git` (deno.json), so the command is started by
 * the shell wrapper bin/keyz-run around `keyz env --format sh` (see `keyz help run`). Called
 * directly, keyz checks the selection (no decryption) and points to the wrapper.
 */
import { KeyzError } from "../errors.ts";
import { selectAssignments, type SelectOptions } from "./env_cmd.ts";
import { openContext } from "./context.ts";

export async function runCommand(
  args: string[],
  opts: SelectOptions,
  rawArgs: readonly string[],
): Promise<number> {
  // Commander drops the `--`; the words after it in the raw arguments are the command.
  const dash = rawArgs.indexOf("--");
  const commandWords = dash >= 0 ? rawArgs.length - dash - 1 : 0;
  const selection = args.slice(0, args.length - commandWords);
  const ctx = await openContext({ quietProblems: true });
  await selectAssignments(ctx, selection, opts);
  throw new KeyzError(
    "usage",
    "cannot start programs itself (keyz may run only pass and git)",
    'use keyz-run PATH... -- COMMAND, or eval "$(keyz init bash)" to type keyz run',
  );
}
