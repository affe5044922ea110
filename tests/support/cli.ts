// Run the keyz CLI the way a user does: `deno run -q -P=keyz main.ts <args>` from the project
// root, with an explicit environment (clearEnv) so nothing leaks in from the test runner.
import { AssertionError } from "node:assert/strict";
import { fileURLToPath } from "node:url";

/** Absolute path of the project root (the directory holding deno.json). */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

export interface RunOptions {
  /** The whole environment (e.g. store.env plus KEYZ_*). PATH and HOME get defaults. */
  env: Record<string, string>;
  /** Written to stdin, then closed. Without it stdin is /dev/null. */
  stdin?: string;
  /** Working directory; default ROOT. */
  cwd?: string;
  /** Kill the process (SIGKILL) after this many ms; default 60 000. */
  timeoutMs?: number;
  /** Entry module instead of ROOT/main.ts (for testing this helper itself). */
  entry?: string;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the run was killed by timeoutMs. */
  timedOut: boolean;
}

let denoDir: Promise<string> | undefined;

/**
 * The test runner's DENO_DIR. The CLI needs it: with a temp HOME, deno would otherwise look
 * for (and try to download) the npm packages under $HOME/.cache/deno.
 */
export function getDenoDir(): Promise<string> {
  denoDir ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv) return fromEnv;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    return (JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir: string }).denoDir;
  })();
  return denoDir;
}

/** The V8 flags of deno.json's keyz and compile tasks (tests/support_test.ts keeps them equal). */
export const V8_FLAGS = "--v8-flags=--min-semi-space-size=16";

/** The argv runKeyz uses (after the deno executable), for messages and debugging. */
export function keyzArgv(args: string[], entry = `${ROOT}/main.ts`): string[] {
  return ["run", "-q", "-P=keyz", V8_FLAGS, "--config", `${ROOT}/deno.json`, entry, ...args];
}

/** Run keyz with exactly `opts.env` (plus PATH/HOME defaults and deno's own cache settings). */
export async function runKeyz(args: string[], opts: RunOptions): Promise<RunResult> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/nonexistent",
    // Read by deno itself, not by keyz (not in the keyz env allow-list).
    DENO_DIR: await getDenoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    ...opts.env,
  };
  const child = new Deno.Command(Deno.execPath(), {
    args: keyzArgv(args, opts.entry),
    cwd: opts.cwd ?? ROOT,
    clearEnv: true,
    env,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  }, opts.timeoutMs ?? 60_000);
  try {
    if (opts.stdin !== undefined) {
      const w = child.stdin.getWriter();
      try {
        await w.write(new TextEncoder().encode(opts.stdin));
        await w.close();
      } catch { /* the CLI exited without reading stdin */ }
    }
    const out = await child.output();
    const dec = new TextDecoder();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Fail if any text contains any secret. `texts` is a list (named texts[0], texts[1], …) or a
 * record whose keys name the outputs, e.g. `{ stdout: r.stdout, stderr: r.stderr }`.
 */
export function assertNoSecret(
  texts: string[] | Record<string, string>,
  secrets: string[],
): void {
  const named: [string, string][] = Array.isArray(texts)
    ? texts.map((t, i) => [`texts[${i}]`, t])
    : Object.entries(texts);
  const found: string[] = [];
  for (const secret of secrets) {
    if (!secret) throw new Error("assertNoSecret: empty secret (would match everything)");
    for (const [name, text] of named) {
      const at = text.indexOf(secret);
      if (at >= 0) {
        const line = text.slice(0, at).split("\n").length;
        found.push(`${name} contains canary ${JSON.stringify(secret)} (line ${line})`);
      }
    }
  }
  if (found.length) {
    throw new AssertionError({
      message: `secret leaked:\n  ${found.join("\n  ")}`,
      operator: "assertNoSecret",
    });
  }
}

export interface TerminalResult {
  code: number;
  /** Everything the terminal showed (stdout and stderr together, and the echoed input). */
  screen: string;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Run keyz on a real pseudo-terminal (util-linux `script`): stdin, stdout and stderr are a
 * terminal, as when a person runs it; `input` is typed (line discipline: cooked).
 */
export async function runKeyzInTerminal(
  args: string[],
  opts: { env: Record<string, string>; input?: string; timeoutMs?: number },
): Promise<TerminalResult> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: Deno.env.get("HOME") ?? "/nonexistent",
    DENO_DIR: await getDenoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    TERM: "xterm-256color",
    ...opts.env,
  };
  const command = `env -i ${
    Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(" ")
  } ${[Deno.execPath(), ...keyzArgv(args)].map(shellQuote).join(" ")}`;
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    cwd: ROOT,
    clearEnv: true,
    env: { PATH: env.PATH },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
  }, opts.timeoutMs ?? 60_000);
  try {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.input ?? ""));
    await w.close();
    const out = await child.output();
    const dec = new TextDecoder();
    return { code: out.code, screen: dec.decode(out.stdout) + dec.decode(out.stderr) };
  } finally {
    clearTimeout(timer);
  }
}
