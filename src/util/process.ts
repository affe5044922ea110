import { KeyzError } from "../errors.ts";

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run `pass` or `git` with a cleared environment (an inherited LD_* variable would make a
 * scoped --allow-run refuse every spawn) and captured output.
 */
export async function runProcess(
  cmd: "pass" | "git",
  args: string[],
  opts: { env: Record<string, string>; cwd?: string; stdin?: string },
): Promise<ProcessResult> {
  let child;
  try {
    child = new Deno.Command(cmd, {
      args,
      cwd: opts.cwd,
      env: opts.env,
      clearEnv: true,
      stdin: opts.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new KeyzError(
        cmd === "pass" ? "store" : "git",
        `${cmd} is not installed`,
        `install it, e.g. apt-get install ${cmd}`,
      );
    }
    throw e;
  }
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
