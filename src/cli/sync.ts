/** `keyz sync`: refresh account metadata for keys, for people and for cron. */
import * as env from "../env.ts";
import { ExitCode, KeyzError } from "../errors.ts";
import { kyClient } from "../fetch/http.ts";
import type { GitMode } from "../git/git.ts";
import { syncEntries, type SyncReport } from "../sync/session.ts";
import type { SkipReason } from "../sync/plan.ts";
import type { SyncResult } from "../sync/sync.ts";
import { headline } from "../view/format.ts";
import { age } from "../view/format.ts";
import { escapeTerminal } from "../util/text.ts";
import { type Context, expandNamed, openContext } from "./context.ts";
import {
  color,
  debug,
  isQuiet,
  isVerbose,
  out,
  outJson,
  outLines,
  progress,
  table,
  warn,
} from "./output.ts";
import { recognizerOf } from "../view/entries.ts";
import { readStoreConfig } from "../config/store_config.ts";

export interface SyncFlags {
  all?: boolean;
  stale?: boolean;
  provider?: string;
  json?: boolean;
  concurrency: number;
  git?: GitMode;
}

/** Why an entry named on the command line was not synced, in words. */
const REASON: Record<SkipReason, string> = {
  other: "not a key: no provider recognised (keyz map PATH PROVIDER)",
  ignored: "ignored by the store config (keyz unignore PATH)",
  not_a_key: "not a key of its provider (decrypted before; its shape does not match)",
  not_yours: "encrypted for someone else's key (a teammate's)",
  untrusted: "its provider's manifest is not trusted (keyz providers trust ID)",
  unknown_provider: "its provider is not loaded (keyz providers list)",
  fresh: "synced within its refresh interval (--stale)",
  backoff: "failing: tried again after its backoff (--stale)",
};

async function selectPaths(ctx: Context, args: string[], flags: SyncFlags) {
  if (!flags.all && args.length === 0 && !flags.provider) {
    throw new KeyzError(
      "usage",
      "nothing to sync",
      "name paths or folders, or use --all, --stale or --provider <id>",
    );
  }
  const sel = flags.all || args.length === 0
    ? { paths: await ctx.store.list(), named: new Set<string>() }
    : await expandNamed(ctx, args);
  if (flags.provider) {
    if (!ctx.providers.providers.has(flags.provider)) {
      throw new KeyzError(
        "usage",
        `unknown provider ${flags.provider}`,
        "see `keyz providers list`",
      );
    }
    const cfg = await readStoreConfig(ctx.storeDir);
    const r = recognizerOf({ providers: ctx.providers, map: ctx.map, config: cfg });
    sel.paths = sel.paths.filter((p) => {
      const rec = r.recognize(p);
      return rec.kind === "key" && rec.provider === flags.provider;
    });
  }
  return sel;
}

function humanLine(r: SyncResult): string[] {
  const mark = r.status === "ok"
    ? color.green("✓")
    : r.status === "error"
    ? color.red("✗")
    : color.dim("-");
  const figure = r.status === "ok"
    ? headline(r.metadata).label
    : r.status === "unsupported"
    ? headline(r.metadata).label
    : "";
  const note = r.error
    ? `${r.error.class}: ${r.error.message}`
    : r.status === "unsupported"
    ? r.metadata?.reason ?? ""
    : r.note
    ? r.note
    : r.reason
    ? REASON[r.reason]
    : "";
  return [
    mark,
    escapeTerminal(r.path),
    escapeTerminal(r.provider ?? "-"),
    escapeTerminal(figure),
    r.status === "error" ? color.red(escapeTerminal(note)) : color.dim(escapeTerminal(note)),
  ];
}

/**
 * "9 providers unreachable (dns error): figures kept from 2 days ago": when every failure of a
 * run is the network's, one line says so instead of one per key.
 */
function offlineLine(
  failed: SyncResult[],
  offline: SyncReport["offline"],
  now: Date,
): string | undefined {
  if (!offline) return undefined;
  const n = offline.providers;
  const whys = new Set(
    failed.map((r) => /:\s*([^:]+)$/.exec(r.error!.message)?.[1]?.trim() ?? "network error"),
  );
  const oldest = failed.map((r) => r.metadata?.last_success_at).filter((t): t is string => !!t)
    .sort()[0];
  const why = whys.size === 1 ? [...whys][0] : "network errors";
  const kept = oldest ? `figures kept from ${age(oldest, now)} ago` : "no figures yet";
  return `${n} provider${n === 1 ? "" : "s"} unreachable (${why}): ${kept}`;
}

export async function syncCommand(args: string[], flags: SyncFlags): Promise<number> {
  const ctx = await openContext();
  const { paths, named } = await selectPaths(ctx, args, flags);
  const bar = progress();
  let done = 0;
  const outcome = await syncEntries(
    {
      store: ctx.store,
      sidecars: ctx.sidecars,
      providers: ctx.providers,
      configDir: ctx.configDir,
      http: kyClient,
      now: () => new Date(),
      baseUrlOverride: env.baseUrlOverride,
      retryBaseMs: env.retryBaseMs(),
      minuteMs: env.minuteMs(),
      gitMode: flags.git,
      concurrency: flags.concurrency,
      warn,
      note: debug,
    },
    {
      paths,
      named,
      staleOnly: flags.stale,
      onResult: (r) => {
        if (r.status !== "skipped") bar.update(`syncing ${++done} ${r.path}`);
        debug(
          `${r.path}: ${r.status}${
            r.error ? ` (${r.error.kind})` : r.reason ? ` (${r.reason})` : ""
          }`,
        );
      },
    },
  ).finally(() => bar.done());
  const { results, summary, message, gitMode, offline: offlineRun } = outcome.value;
  debug(
    `git (${gitMode}): ${outcome.committed ? `committed "${message}"` : "no commit"}`,
  );
  // Keys are reported; other entries only when named one by one.
  const shown = results.filter((r) =>
    named.has(r.path) ||
    !(r.status === "skipped" && (r.reason === "other" || r.reason === "ignored"))
  );
  const others =
    results.filter((r) =>
      r.status === "skipped" && (r.reason === "other" || r.reason === "ignored") &&
      !named.has(r.path)
    ).length;
  const fresh = results.filter((r) => r.reason === "fresh").length;
  const backingOff = results.filter((r) => r.reason === "backoff").length;
  const notDue = (r: SyncResult) => r.reason === "fresh" || r.reason === "backoff";
  const unsynced = results.filter((r) =>
    named.has(r.path) && r.status !== "ok" && r.status !== "unsupported"
  );
  if (flags.json) {
    outJson({
      results: shown,
      summary: { ...summary, other_entries: others, fresh, backing_off: backingOff },
    });
  } else {
    const now = new Date();
    const failed = shown.filter((r) => r.status === "error");
    const offline = offlineLine(failed, offlineRun, now);
    const listed = isQuiet()
      ? failed
      : shown.filter((r) => !notDue(r) && !(offline && r.status === "error" && !isVerbose()));
    outLines(table(listed.map(humanLine)));
    for (const r of results) {
      for (const w of r.warnings ?? []) warn(`${r.path}: ${escapeTerminal(w)}`);
    }
    if (offline) warn(offline);
    if (!isQuiet()) {
      const parts = [`${summary.ok} ok`, `${summary.error} failed`];
      if (summary.unsupported) parts.push(`${summary.unsupported} without account API`);
      if (summary.not_a_key) parts.push(`${summary.not_a_key} not keys`);
      if (summary.not_yours) parts.push(`${summary.not_yours} not yours`);
      if (fresh) parts.push(`${fresh} fresh left alone`);
      if (backingOff) parts.push(`${backingOff} failing, backing off`);
      const skipped = shown.filter((r) => r.status === "skipped" && !notDue(r)).length;
      if (skipped) parts.push(`${skipped} skipped`);
      if (others) parts.push(`${others} other entries`);
      out(parts.join(", "));
    }
  }
  if (outcome.gitError) {
    // Printed last so it is the line a user sees; the sidecars are written either way.
    warn(outcome.gitError.text());
    return ExitCode.git;
  }
  return summary.error > 0 || unsynced.length > 0 ? ExitCode.attention : ExitCode.ok;
}
