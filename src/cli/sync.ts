/** `keyz sync`: refresh account metadata for keys, for people and for cron. */
import * as env from "../env.ts";
import { ExitCode, KeyzError } from "../errors.ts";
import { kyClient } from "../fetch/http.ts";
import { type GitMode, recordChanges } from "../git/git.ts";
import { readStoreConfig } from "../config/store_config.ts";
import { acquireLock } from "../sidecars/lock.ts";
import { summarize, syncKeys, type SyncResult } from "../sync/sync.ts";
import { headline } from "../view/keys.ts";
import { type Context, expandPaths, openContext } from "./context.ts";
import { color, debug, isQuiet, out, outJson, outLines, progress, table, warn } from "./output.ts";
import { untrustedProviders } from "../providers/trust.ts";

export interface SyncFlags {
  all?: boolean;
  provider?: string;
  json?: boolean;
  concurrency: number;
  git?: GitMode;
}

async function selectPaths(ctx: Context, args: string[], flags: SyncFlags): Promise<string[]> {
  if (!flags.all && args.length === 0 && !flags.provider) {
    throw new KeyzError(
      "usage",
      "nothing to sync",
      "name paths or folders, or use --all or --provider <id>",
    );
  }
  let paths = flags.all || args.length === 0
    ? await ctx.store.list()
    : await expandPaths(ctx, args);
  if (flags.provider) {
    if (!ctx.providers.providers.has(flags.provider)) {
      throw new KeyzError(
        "usage",
        `unknown provider ${flags.provider}`,
        "see `keyz providers list`",
      );
    }
    const { resolveMapping } = await import("../view/keys.ts");
    paths = paths.filter((p) =>
      resolveMapping(p, ctx.map, ctx.providers)?.provider === flags.provider
    );
  }
  return paths;
}

function commitMessage(results: SyncResult[]): string {
  const synced = results.filter((r) =>
    r.status === "ok" || r.status === "error" || r.status === "unsupported"
  );
  const providers = [...new Set(synced.map((r) => r.provider).filter(Boolean))].sort();
  const shown = providers.length > 4 ? [...providers.slice(0, 4), "..."] : providers;
  return `keyz: sync ${synced.length} key${synced.length === 1 ? "" : "s"} (${shown.join(", ")})`;
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
    ? "n/a"
    : "";
  const note = r.error
    ? `${r.error.kind}: ${r.error.message}`
    : r.status === "unsupported"
    ? r.metadata?.reason ?? ""
    : "";
  return [
    mark,
    r.path,
    r.provider ?? "-",
    figure,
    r.status === "error" ? color.red(note) : color.dim(note),
  ];
}

export async function syncCommand(args: string[], flags: SyncFlags): Promise<number> {
  const ctx = await openContext();
  const paths = await selectPaths(ctx, args, flags);
  const cfg = await readStoreConfig(ctx.storeDir);
  const lock = await acquireLock(ctx.storeDir, "sync", { warn });
  let results: SyncResult[];
  let gitError: KeyzError | undefined;
  const bar = progress();
  try {
    let done = 0;
    results = await syncKeys({
      store: ctx.store,
      sidecars: ctx.sidecars,
      providers: ctx.providers,
      map: ctx.map,
      paths,
      concurrency: flags.concurrency,
      http: kyClient,
      now: () => new Date(),
      baseUrlOverride: env.baseUrlOverride,
      retryBaseMs: env.retryBaseMs(),
      untrusted: await untrustedProviders(ctx.providers, env.configDir()),
      onResult: (r) => {
        bar.update(`syncing ${++done}/${paths.length} ${r.path}`);
        debug(`${r.path}: ${r.status}${r.error ? ` (${r.error.kind})` : ""}`);
      },
    });
    bar.done();
    const mode = flags.git ?? cfg.git ?? "commit";
    try {
      const message = commitMessage(results);
      const committed = await recordChanges(ctx.storeDir, mode, message, { note: debug });
      debug(`git (${mode}): ${committed ? `committed "${message}"` : "no commit"}`);
    } catch (e) {
      if (!(e instanceof KeyzError)) throw e;
      gitError = e;
    }
  } finally {
    bar.done();
    await lock.release();
  }
  const summary = summarize(results);
  if (flags.json) {
    outJson({ results, summary });
  } else {
    // --quiet: only the keys that failed (the exit code tells the rest).
    const shown = isQuiet() ? results.filter((r) => r.status === "error") : results;
    outLines(table(shown.map(humanLine)));
    for (const r of results) for (const w of r.warnings ?? []) warn(`${r.path}: ${w}`);
    if (!isQuiet()) {
      out(
        `${summary.ok} ok, ${summary.error} failed, ${summary.skipped} skipped, ${summary.unsupported} unsupported`,
      );
    }
  }
  if (gitError) {
    // Printed last so it is the line a user sees; the sidecars are written either way.
    warn(gitError.format().replace(/^keyz: /, ""));
    return ExitCode.git;
  }
  return summary.error > 0 ? ExitCode.attention : ExitCode.ok;
}
