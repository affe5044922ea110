/**
 * `keyz browse` speed on a store (scripts/bench.ts passes its 10,000-entry one):
 * - firstScreenMs: from starting the process to the first full frame on a terminal (a pty from
 *   util-linux `script`), median of 9 runs; coldMs: the same with no cache at all (first run);
 * - passLsTerminalMs: `pass ls` printing the same store into such a terminal, for reference;
 * - filterKeystrokeMs: in-process, the median time of one typed filter character, state update
 *   plus a full redraw, over a typed-and-erased query.
 */
import { keyzArgv } from "../tests/support/cli.ts";
import { alternated } from "./timing.ts";

/** Start `keyz browse` in a pty; resolve when its first full frame (the footer) arrives. */
async function firstScreen(env: Record<string, string>): Promise<number> {
  const cmd = [Deno.execPath(), ...keyzArgv(["browse"])].map((a) => `'${a}'`).join(" ");
  const t0 = performance.now();
  const child = new Deno.Command("script", {
    args: ["-qfec", cmd, "/dev/null"],
    env: { ...env, TERM: "xterm-256color" },
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.getReader();
  const dec = new TextDecoder();
  let seen = "";
  let ms = Number.NaN;
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += dec.decode(value, { stream: true });
    if (seen.includes("q quit")) {
      ms = performance.now() - t0;
      break;
    }
  }
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode("q"));
  await w.close();
  while (!(await reader.read()).done) { /* drain until it exits */ }
  await child.status;
  if (Number.isNaN(ms)) throw new Error(`keyz browse showed no frame:\n${seen.slice(-500)}`);
  return ms;
}

/** `pass ls` printing into the same kind of terminal, until it has finished. */
async function passLsInTerminal(env: Record<string, string>): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await new Deno.Command("script", {
      args: ["-qfec", "pass ls", "/dev/null"],
      env: { ...env, TERM: "xterm-256color" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).output();
    runs.push(performance.now() - t0);
  }
  return runs.sort((a, b) => a - b)[2];
}

export async function benchBrowse(
  storeDir: string,
  env: Record<string, string>,
  passLs: () => Promise<unknown>,
): Promise<
  {
    coldMs: number;
    firstScreenMs: number;
    passLsMs: number;
    passLsTerminalMs: number;
    filterKeystrokeMs: number;
  }
> {
  const cache = await Deno.makeTempDir({ prefix: "keyz-bench-cache-" });
  const coldMs = await firstScreen({ ...env, XDG_CACHE_HOME: cache });
  await Deno.remove(cache, { recursive: true });
  await firstScreen(env); // the run that leaves the browser's prefs memo
  // Alternated with `pass ls` into a pipe, so both see the same machine.
  const [passLsMs, firstScreenMs] = await alternated(passLs, () => firstScreen(env), 9);
  return {
    coldMs,
    firstScreenMs,
    passLsMs,
    passLsTerminalMs: await passLsInTerminal(env),
    filterKeystrokeMs: await filterKeystroke(storeDir),
  };
}

async function filterKeystroke(storeDir: string): Promise<number> {
  const [{ readSnapshot }, { viewsFromSnapshot }, { initState, onKey }, { render }] = await Promise
    .all([
      import("../src/view/snapshot.ts"),
      import("../src/view/entries.ts"),
      import("../src/ui/state.ts"),
      import("../src/ui/render.ts"),
    ]);
  const snapshot = await readSnapshot({ storeDir, configDir: `${storeDir}/../no-config` });
  const viewport = { width: 80, height: 24 };
  const now = new Date();
  let s = initState({
    storeDir,
    views: viewsFromSnapshot(snapshot),
    config: snapshot.config,
    now,
    providers: [],
    viewport,
  });
  const times: number[] = [];
  const typed = [..."openrouter"];
  const step = (key: { name: "char"; ch: string } | { name: "backspace" }) => {
    const t = performance.now();
    s = onKey(s, key).state;
    render(s, { ...viewport, color: true });
    times.push(performance.now() - t);
  };
  s = onKey(s, { name: "char", ch: "/" }).state;
  for (let round = 0; round < 3; round++) {
    for (const ch of typed) step({ name: "char", ch });
    for (let i = 0; i < typed.length; i++) step({ name: "backspace" });
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}
