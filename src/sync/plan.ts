/**
 * What a sync will do, decided before anything is decrypted: which accounts to fetch (keys that
 * share a credential share one account and one request), and why every other entry is left
 * alone. Pure: entry views, the store config and the clock in.
 */
import type { StoreConfig } from "../config/store_config.ts";
import { accountId } from "../sidecars/layout.ts";
import { hostsOf, type LoadedProvider } from "../providers/load.ts";
import type { Mapping } from "../sidecars/schema.ts";
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
  | "fresh";

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
}

/**
 * Whether a key is due for a sync: never tried, or its last attempt (success or failure) is
 * older than its refresh interval. One rule for `sync --stale` and the browser's autosync, so
 * a failing provider is asked again once per interval, not on every run.
 */
export function isDue(v: EntryView, config: StoreConfig, now: number): boolean {
  const last = Math.max(
    v.account?.fetched_at ? Date.parse(v.account.fetched_at) : -Infinity,
    v.attempt ? Date.parse(v.attempt.at) : -Infinity,
  );
  return now - last >= refreshMsOf(config, v.path, v.provider);
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
    if (opts.staleOnly && !isDue(v, config, now)) {
      skip("fresh");
      continue;
    }
    const id = accountId(r.provider, v.path, credentialOf(r));
    const job = jobs.get(id) ?? { id, provider: v.provider, mapping: mappingOf(r), paths: [] };
    job.paths.push(v.path);
    jobs.set(id, job);
  }
  return { jobs: [...jobs.values()], skipped };
}
