/**
 * What a sync will do, decided before anything is decrypted: which accounts to fetch (keys that
 * share a credential share one account and one request), and why every other entry is left
 * alone. Pure: entry views, the store config and the clock in.
 */
import type { StoreConfig } from "../config/store_config.ts";
import { accountId } from "../sidecars/layout.ts";
import { hostsOf } from "../providers/hosts.ts";
import type { LoadedProvider } from "../providers/load.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { isoSeconds } from "../util/time.ts";
import { credentialOf, type EntryView, mappingOf, refreshMsOf } from "../view/entries.ts";

/** Why a sync leaves an entry alone (no decryption, no request). */
export type SkipReason =
  /** An ordinary entry: no provider recognised. */
  | "other"
  | "ignored"
  /** Decrypted before and found not to be a key of its provider; unchanged since. */
  | "not_a_key"
  /** Encrypted only for someone else's key (a teammate's). */
  | "not_yours"
  /** Its provider's manifest is not trusted in its current form. */
  | "untrusted"
  /** Its provider's manifest is not loaded. */
  | "unknown_provider"
  /** `--stale`: tried within its refresh interval. */
  | "fresh"
  /** `--stale`: failing, and waiting out its backoff (see `waitAfterMs`). */
  | "backoff";

export interface AccountJob {
  id: string;
  provider: LoadedProvider;
  mapping: Mapping;
  /** Every key path of the account; each is decrypted and checked before anything is sent. */
  paths: string[];
}

export interface SyncPlan {
  jobs: AccountJob[];
  /** With a sentence saying why, where there is more to say than the reason. */
  skipped: { path: string; reason: SkipReason; provider: string | null; note?: string }[];
}

export interface PlanOptions {
  /** `--stale`: only keys that were not tried within their refresh interval. */
  staleOnly?: boolean;
  /** Entries named one by one: a remembered "not a key" is looked at again. */
  named?: ReadonlySet<string>;
  /**
   * The sha256 of entries remembered as not keys or not ours (so a changed entry is looked at
   * again).
   */
  currentSha?: ReadonlyMap<string, string | undefined>;
  /** How long a minute is (refresh intervals, backoff); shortened only by tests. */
  minuteMs?: number;
}

/** A minute in ms. Refresh intervals and the backoff count in minutes (KEYZ_MINUTE_MS: tests). */
export const MINUTE_MS = 60_000;

/** The longest a failing account waits between two tries, in minutes. */
export const BACKOFF_CAP_MINUTES = 60;

/**
 * How long after its last attempt an account is tried again. After a success, or a first
 * failure: its refresh interval. After `failures` in a row: the interval doubled for each
 * failure after the first, at most an hour, but never less than the interval itself (backing
 * off never asks a provider more often than a success would). So a 15-minute key offline is
 * tried after 15, 30, 60, 60, ... minutes; a 6-hour key every 6 hours.
 */
export function waitAfterMs(refreshMs: number, failures: number, minuteMs = MINUTE_MS): number {
  if (failures <= 1) return refreshMs;
  const doubled = refreshMs * 2 ** Math.min(failures - 1, 30);
  return Math.max(refreshMs, Math.min(doubled, BACKOFF_CAP_MINUTES * minuteMs));
}

/** Whether a key is due for a sync now, and if not, why and until when. */
export type DueState = { due: true } | { due: false; why: "fresh" | "backoff"; until: number };

/**
 * Whether a key is due for a sync: never tried, or its last attempt (success or failure) is
 * older than its refresh interval (`keys.<path>.refresh`, `providers.<id>.refresh`, the
 * manifest's refreshMinutes), backed off after failures in a row (`waitAfterMs`). The one rule
 * for `sync --stale` and the browser's autosync.
 */
export function dueState(
  v: EntryView,
  config: StoreConfig,
  now: number,
  minuteMs = MINUTE_MS,
): DueState {
  const last = Math.max(
    v.account?.fetched_at ? Date.parse(v.account.fetched_at) : -Infinity,
    v.attempt ? Date.parse(v.attempt.at) : -Infinity,
  );
  if (last === -Infinity) return { due: true };
  const refresh = refreshMsOf(config, v.path, v.provider) / MINUTE_MS * minuteMs;
  const failures = v.attempt?.error ? v.attempt.failures : 0;
  const until = last + waitAfterMs(refresh, failures, minuteMs);
  if (now >= until) return { due: true };
  return { due: false, why: now >= last + refresh ? "backoff" : "fresh", until };
}

export function isDue(v: EntryView, config: StoreConfig, now: number, minuteMs = MINUTE_MS) {
  return dueState(v, config, now, minuteMs).due;
}

export function planSync(
  views: readonly EntryView[],
  config: StoreConfig,
  now: number,
  opts: PlanOptions = {},
): SyncPlan {
  const jobs = new Map<string, AccountJob>();
  const skipped: SyncPlan["skipped"] = [];
  for (const v of views) {
    const r = v.recognition;
    const skip = (reason: SkipReason, note?: string) =>
      skipped.push({
        path: v.path,
        reason,
        provider: r.kind === "key" ? r.provider : null,
        ...(note ? { note } : {}),
      });
    if (r.kind !== "key") {
      skip(r.kind);
      continue;
    }
    const notAKey = v.record?.not_a_key;
    if (
      notAKey?.provider === r.provider && !opts.named?.has(v.path) &&
      notAKey.gpg_sha256 === opts.currentSha?.get(v.path)
    ) {
      skip("not_a_key");
      continue;
    }
    if (!v.provider) {
      skip("unknown_provider", `provider ${r.provider} is not loaded (keyz providers list)`);
      continue;
    }
    if (v.untrusted) {
      const p = v.provider;
      skip(
        "untrusted",
        `manifest ${p.file} would send keys to ${hostsOf(p.manifest).join(", ")} and is not ` +
          `trusted (keyz providers trust ${p.manifest.id})`,
      );
      continue;
    }
    const notYours = v.record?.not_yours;
    const rememberedNotYours = !!notYours && !opts.named?.has(v.path) &&
      notYours.gpg_sha256 === opts.currentSha?.get(v.path);
    // Told from the recipients without decrypting, or remembered from a failed decryption.
    const toldNotYours = v.notYours && !notYours;
    if (toldNotYours || rememberedNotYours) {
      skip("not_yours");
      continue;
    }
    const due: DueState = opts.staleOnly ? dueState(v, config, now, opts.minuteMs) : { due: true };
    if (!due.due) {
      const n = v.attempt?.failures ?? 0;
      skip(
        due.why,
        due.why === "backoff"
          ? `failed ${n} times in a row; next try after ${isoSeconds(new Date(due.until))}`
          : undefined,
      );
      continue;
    }
    const id = accountId(r.provider, v.path, credentialOf(r));
    const job = jobs.get(id) ?? { id, provider: v.provider, mapping: mappingOf(r), paths: [] };
    job.paths.push(v.path);
    jobs.set(id, job);
  }
  return { jobs: [...jobs.values()], skipped };
}

/**
 * The keys a background sync would fetch now (the browser's autosync): the keys of
 * `planSync(..., {staleOnly})`, taking the untracked state's "not a key" and "not yours" as
 * still true (checking that reads each .gpg file; the sync itself does, under the lock).
 */
export function duePaths(
  views: readonly EntryView[],
  config: StoreConfig,
  now: number,
  minuteMs = MINUTE_MS,
): string[] {
  const currentSha = new Map<string, string | undefined>();
  for (const v of views) {
    const r = v.record;
    if (r) currentSha.set(v.path, r.not_a_key?.gpg_sha256 ?? r.not_yours?.gpg_sha256);
  }
  const plan = planSync(views, config, now, { staleOnly: true, currentSha, minuteMs });
  return plan.jobs.flatMap((j) => j.paths);
}
