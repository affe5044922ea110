/** `keyz doctor [--fix] [--json]`: what keyz depends on, and what to do about each problem. */
import * as env from "../env.ts";
import { ExitCode } from "../errors.ts";
import { type Check, type CheckStatus, needsAttention } from "../doctor/checks.ts";
import { runDoctor } from "../doctor/doctor.ts";
import { color, out, outJson } from "./output.ts";

const mark: Record<CheckStatus, () => string> = {
  ok: () => color.green("✓"),
  info: () => color.dim("·"),
  warn: () => color.yellow("!"),
  fail: () => color.red("✗"),
};

function line(c: Check): string[] {
  const head = c.fixed
    ? `${color.green("✓")} ${c.message} ${color.green("(fixed)")}`
    : `${mark[c.status]()} ${c.message}`;
  const hint = c.hint && !(c.fixed && c.status !== "info")
    ? [`    ${color.dim(`→ ${c.hint}`)}`]
    : [];
  return [head, ...hint];
}

export async function doctorCommand(
  flags: { json?: boolean; fix?: boolean; offline?: boolean },
): Promise<number> {
  const checks = await runDoctor({
    storeDir: env.storeDir(),
    configDir: env.configDir(),
    fix: !!flags.fix,
    offline: !!flags.offline,
  });
  const attention = needsAttention(checks);
  if (flags.json) {
    outJson({ healthy: !attention, checks });
  } else {
    for (const c of checks) for (const l of line(c)) out(l);
    const fixable = checks.some((c) => !c.fixed && c.hint?.includes("doctor --fix"));
    out(
      attention
        ? `needs attention${fixable && !flags.fix ? " (some of it: keyz doctor --fix)" : ""}`
        : "all good",
    );
  }
  return attention ? ExitCode.attention : ExitCode.ok;
}
