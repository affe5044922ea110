/** `keyz check`: what needs attention, from the sidecars only (no network, no decryption). */
import { ExitCode, KeyzError } from "../errors.ts";
import { type CheckFlags, checkKey, type KeyCheck, summarizeChecks } from "../check/check.ts";
import { renderPrometheus } from "../check/prometheus.ts";
import { parseDuration } from "../util/duration.ts";
import { baseStateOf, viewEntry } from "../view/entries.ts";
import { isKeyState } from "../view/judge.ts";
import { escapeTerminal } from "../util/text.ts";
import { isoSeconds } from "../util/time.ts";
import { expandPaths, openContext, sourcesOf } from "./context.ts";
import { writeFileAtomic } from "../util/atomic_file.ts";
import { color, isQuiet, out, outLines, table, writeStdout } from "./output.ts";

export const CHECK_FORMATS = ["text", "json", "prometheus"] as const;

export interface CheckOptions {
  minBalance?: string;
  expiringWithin?: string;
  staleAfter?: string;
  provider?: string;
  json?: boolean;
  format?: typeof CHECK_FORMATS[number];
  /** Write the report to this file atomically instead of stdout (json and prometheus). */
  output?: string;
}

function amount(text: string): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0) {
    throw new KeyzError("usage", `bad amount "${text}"`, "give a number such as 5 or 2.50");
  }
  return n;
}

export function checkFlags(o: CheckOptions): CheckFlags {
  return {
    minBalance: o.minBalance === undefined ? undefined : amount(o.minBalance),
    expiringWithinMs: o.expiringWithin === undefined ? undefined : parseDuration(o.expiringWithin),
    staleAfterMs: o.staleAfter === undefined ? undefined : parseDuration(o.staleAfter),
  };
}

/** The stable `keyz check --json` document (schema/output/check.schema.json). */
export function checkJson(checks: KeyCheck[], now: Date) {
  const summary = summarizeChecks(checks);
  return { ok: summary.attention === 0, checked_at: isoSeconds(now), summary, keys: checks };
}

export async function checkCommand(args: string[], opts: CheckOptions): Promise<number> {
  const flags = checkFlags(opts);
  const format = opts.json ? "json" : opts.format ?? "text";
  if (opts.output !== undefined && format === "text") {
    throw new KeyzError("usage", "--output writes json or prometheus", "add --format prometheus");
  }
  const ctx = await openContext({ quietProblems: format !== "text" });
  if (opts.provider && !ctx.providers.providers.has(opts.provider)) {
    throw new KeyzError("usage", `unknown provider ${opts.provider}`, "see `keyz providers list`");
  }
  const now = new Date();
  const paths = args.length ? await expandPaths(ctx, args) : await ctx.store.list();
  // Keys only: an ordinary password is never checked, counted or exported.
  const src = await sourcesOf(ctx);
  const cfg = src.config;
  let views = paths.sort().map((p) => viewEntry(src, p)).filter((v) => isKeyState(baseStateOf(v)));
  if (opts.provider) {
    views = views.filter((v) =>
      v.recognition.kind === "key" && v.recognition.provider === opts.provider
    );
  }
  const checks = views.map((v) => checkKey(v, cfg, flags, now));
  const summary = summarizeChecks(checks);
  const code = summary.attention ? ExitCode.attention : ExitCode.ok;
  if (format !== "text") {
    const text = format === "json"
      ? `${JSON.stringify(checkJson(checks, now), null, 2)}\n`
      : renderPrometheus(views, checks);
    if (opts.output !== undefined) await writeFileAtomic(opts.output, text);
    else writeStdout(text);
    // Metrics written are a success: what needs attention is in them (keyz_attention), and a
    // textfile-collector cron job must not fail for it.
    return format === "prometheus" ? ExitCode.ok : code;
  } else {
    const rows = checks.flatMap((c) =>
      c.issues.map((i) => [
        color.red("!"),
        escapeTerminal(c.path),
        escapeTerminal(c.provider ?? "-"),
        i.kind,
        escapeTerminal(i.message),
      ])
    );
    outLines(table(rows));
    if (!isQuiet()) {
      out(
        summary.attention
          ? color.yellow(`${summary.attention} of ${summary.checked} keys need attention`)
          : color.green(`all ${summary.checked} keys fine`),
      );
    }
  }
  return code;
}
