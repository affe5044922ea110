/**
 * One sync, start to end, for every caller (the CLI, the browser, the demo): under the store
 * lock, read the entries as they are now, plan (plan.ts), run (sync.ts), save the untracked
 * state, and commit the figures with the store's git mode and one message.
 */
import { readStoreConfig } from "../config/store_config.ts";
import type { HttpClient } from "../fetch/http.ts";
import type { GitMode } from "../git/modes.ts";
import { type StoreWrite, withStoreWrite, type WriteOutcome } from "../git/store_write.ts";
import type { ProviderSet } from "../providers/load.ts";
import type { Sidecars } from "../sidecars/sidecars.ts";
import { type StateFile, writeState } from "../sidecars/state.ts";
import type { PassStore } from "../store/store.ts";
import { type EntryView, viewEntry } from "../view/entries.ts";
import { fileSources } from "../view/file_sources.ts";
import { summarize, type SyncResult, syncViews } from "./sync.ts";

export interface SyncSession {
  store: PassStore;
  sidecars: Sidecars;
  providers: ProviderSet;
  configDir: string;
  http: HttpClient;
  now: () => Date;
  baseUrlOverride: (providerId: string) => string | undefined;
  retryBaseMs: number;
  /** The git mode chosen on the command line; else the store config's; else commit. */
  gitMode?: GitMode;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
  /** Repairs made when taking the lock, and git's notes (see StoreWrite). */
  warn?: (line: string) => void;
  note?: (line: string) => void;
  /** How long a minute is for refresh intervals and the backoff (KEYZ_MINUTE_MS: tests). */
  minuteMs?: number;
}

export interface SyncRequest {
  /** The entries to consider (paths and folders already expanded). */
  paths: readonly string[];
  /** Entries the user named one by one (a folder's entries are not "named"). */
  named?: ReadonlySet<string>;
  /** Only keys not tried within their refresh interval (`--stale`, autosync). */
  staleOnly?: boolean;
  onResult?: (r: SyncResult) => void;
  /** Wait for another keyz's lock (the browser) instead of failing. */
  wait?: StoreWrite["wait"];
}

export interface SyncReport {
  results: SyncResult[];
  summary: ReturnType<typeof summarize>;
  /** The commit message for what the sync wrote, and the git mode it was recorded with. */
  message: string;
  gitMode: GitMode;
  /**
   * Every failure of this sync was the network's (unreachable, timed out): how many providers,
   * and since when the earliest of their accounts has been failing (the untracked state).
   */
  offline?: { providers: number; since: string };
}

export async function syncEntries(
  s: SyncSession,
  req: SyncRequest,
): Promise<WriteOutcome<SyncReport>> {
  const storeDir = s.sidecars.storeDir;
  const gitMode = s.gitMode ?? (await readStoreConfig(storeDir)).git ?? "commit";
  return await withStoreWrite(
    { storeDir, what: "sync", gitMode, wait: req.wait, warn: s.warn, note: s.note },
    async () => {
      // Read again under the lock: another keyz may have synced or mapped in the meantime.
      const src = await fileSources(s.sidecars, s.store, s.providers, s.configDir);
      const views = req.paths.map((p) => viewEntry(src, p));
      const { plan, results } = await syncViews(views, src.config, {
        store: s.store,
        sidecars: s.sidecars,
        state: src.state,
        http: s.http,
        now: s.now,
        concurrency: s.concurrency ?? 16,
        baseUrlOverride: s.baseUrlOverride,
        retryBaseMs: s.retryBaseMs,
        onResult: req.onResult,
      }, { staleOnly: req.staleOnly, named: req.named, minuteMs: s.minuteMs });
      if (plan.jobs.length || results.some((r) => r.status !== "skipped")) {
        await writeState(storeDir, src.state);
      }
      const message = commitMessage(results);
      const offline = offlineOf(results, views, src.state);
      return {
        value: {
          results,
          summary: summarize(results),
          message,
          gitMode,
          ...offline && { offline },
        },
        message,
      };
    },
  );
}

/**
 * "keyz: sync 3 keys (deepseek, openai)": figures only; attempts are not committed. A run that
 * synced nothing commits only what keeping `.keyz` needs (its first .gitignore and
 * .gitattributes, a broken sidecar moved aside), and says so.
 */
export function commitMessage(results: readonly SyncResult[]): string {
  const synced = results.filter((r) => r.status === "ok" || r.status === "unsupported");
  if (synced.length === 0) return "keyz: keep .keyz in order (no figures synced)";
  const providers = [...new Set(synced.map((r) => r.provider).filter(Boolean))].sort();
  const shown = providers.length > 4 ? [...providers.slice(0, 4), "..."] : providers;
  return `keyz: sync ${synced.length} key${synced.length === 1 ? "" : "s"} (${shown.join(", ")})`;
}

/** SyncReport.offline: when every failure of a sync was a network failure. */
function offlineOf(
  results: readonly SyncResult[],
  views: readonly EntryView[],
  state: StateFile,
): SyncReport["offline"] {
  const failed = results.filter((r) => r.status === "error");
  if (failed.length === 0 || failed.some((r) => r.error?.class !== "network")) return undefined;
  const accounts = new Map(views.map((v) => [v.path, v.accountId]));
  const since = failed.map((r) => {
    const a = state.accounts[accounts.get(r.path) ?? ""];
    return a?.failing_since ?? a?.at;
  }).filter((t): t is string => !!t).sort()[0];
  const providers = new Set(failed.map((r) => r.provider)).size;
  return since ? { providers, since } : undefined;
}
