/**
 * Sync orchestration: decrypt only the keys being synced, fetch once per account, run
 * providers concurrently under a global and a per-provider cap, and record every outcome in
 * the sidecars. One key's failure never stops the others; last good figures are kept.
 */
import { FetchError, type FetchErrorKind, KeyzError, StoreFileError } from "../errors.ts";
import { hostsOf, type ProviderSet } from "../providers/load.ts";
import type { PassStore } from "../store/store.ts";
import type { Secret } from "../store/secret.ts";
import type { HttpClient } from "../fetch/http.ts";
import { fetchMetadata } from "../fetch/run.ts";
import type { AccountSidecar, KeySidecar, Metadata } from "../sidecars/schema.ts";
import { SCHEMA_VERSION } from "../sidecars/schema.ts";
import { accountId, paths as sidecarPaths, type Sidecars } from "../sidecars/sidecars.ts";
import { type ResolvedMapping, resolveMapping } from "../view/keys.ts";
import { Limiter } from "../util/limit.ts";
import type { Mapping } from "../sidecars/schema.ts";

export type SyncStatus = "ok" | "error" | "skipped" | "unsupported";

export interface SyncedMetadata extends Metadata {
  synced_at: string;
  last_success_at: string | null;
  status: "live" | "error";
}

export interface SyncResult {
  path: string;
  provider: string | null;
  status: SyncStatus;
  error?: { kind: FetchErrorKind | "unmapped" | "untrusted"; message: string };
  metadata: SyncedMetadata | null;
  /** Broken sidecars moved aside during this key's sync (named, with why). */
  warnings?: string[];
}

export interface SyncOptions {
  store: PassStore;
  sidecars: Sidecars;
  providers: ProviderSet;
  map: Record<string, Mapping>;
  paths: string[];
  concurrency: number;
  http: HttpClient;
  now: () => Date;
  baseUrlOverride: (providerId: string) => string | undefined;
  retryBaseMs: number;
  /** Provider ids whose manifest is not trusted yet: their keys are skipped. */
  untrusted?: ReadonlySet<string>;
  /** Called as each key finishes (progress). */
  onResult?: (r: SyncResult) => void;
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

/** Replace every known secret in a text (provider messages can echo a key). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join("[redacted]");
  return out;
}

interface AccountJob {
  id: string;
  providerId: string;
  mapping: ResolvedMapping;
  /** Every key path that shares this account; the first is the one decrypted. */
  paths: string[];
}

export async function syncKeys(opts: SyncOptions): Promise<SyncResult[]> {
  const results = new Map<string, SyncResult>();
  const record = (r: SyncResult) => {
    results.set(r.path, r);
    opts.onResult?.(r);
  };
  const accounts = new Map<string, AccountJob>();
  for (const path of opts.paths) {
    const mapping = resolveMapping(path, opts.map, opts.providers);
    const provider = mapping && opts.providers.providers.get(mapping.provider);
    if (!mapping || !provider) {
      record({
        path,
        provider: mapping?.provider ?? null,
        status: "skipped",
        error: {
          kind: "unmapped",
          message: mapping
            ? `provider ${mapping.provider} is not loaded`
            : "no provider for this path (keyz map <path> <provider>)",
        },
        metadata: null,
      });
      continue;
    }
    if (opts.untrusted?.has(provider.manifest.id)) {
      record({
        path,
        provider: provider.manifest.id,
        status: "skipped",
        error: {
          kind: "untrusted",
          message: `manifest ${provider.file} would send keys to ${
            hostsOf(provider.manifest).join(", ")
          } and is not trusted (keyz providers trust ${provider.manifest.id})`,
        },
        metadata: null,
      });
      continue;
    }
    const id = accountId(provider.manifest.id, path, mapping.credential);
    const job = accounts.get(id) ??
      { id, providerId: provider.manifest.id, mapping, paths: [] };
    job.paths.push(path);
    accounts.set(id, job);
  }

  const global = new Limiter(opts.concurrency);
  // Decryption is CPU work (one gpg per key) and requests are waiting: cap them separately,
  // so many requests can be in flight while gpg runs about as wide as the CPU allows. Two per
  // core, because each `pass show` also waits on gpg-agent: 200 keys on 2 cores decrypt in
  // 2.5 s two at a time and 2.2 s four at a time (more gains nothing).
  const decrypt = new Limiter(2 * Math.max(1, navigator.hardwareConcurrency ?? 1));
  const perProvider = new Map<string, Limiter>();
  const credentials = new Map<string, Promise<Secret>>();
  const knownSecrets: string[] = [];
  const credentialFor = (path: string) => {
    let p = credentials.get(path);
    if (!p) {
      p = decrypt.run(() => opts.store.show(path)).then((e) => {
        knownSecrets.push(e.key.reveal());
        return e.key;
      });
      credentials.set(path, p);
    }
    return p;
  };

  const providerLimiter = (id: string, concurrency: number) => {
    let limiter = perProvider.get(id);
    if (!limiter) {
      limiter = new Limiter(concurrency);
      perProvider.set(id, limiter);
    }
    return limiter;
  };

  await Promise.all(
    [...accounts.values()].map((job) => syncAccount(job).catch((e) => fileFailed(job, e))),
  );

  /**
   * A file of one account that cannot be written (a link in its path, a name too long) fails
   * that account's keys, with the line naming the file; a full or read-only disk fails the run.
   */
  function fileFailed(job: AccountJob, e: unknown): void {
    if (!(e instanceof StoreFileError) || e.wholeStore) throw e;
    for (const path of job.paths) {
      if (results.has(path)) continue;
      record({
        path,
        provider: job.providerId,
        status: "error",
        error: { kind: "config", message: `${e.message} (${e.hint})` },
        metadata: null,
      });
    }
  }

  async function syncAccount(job: AccountJob): Promise<void> {
    const manifest = opts.providers.providers.get(job.providerId)!.manifest;
    const network = providerLimiter(job.providerId, manifest.concurrency);
    const keyPath = job.paths[0];
    let metadata: Metadata | undefined;
    let failure: FetchError | undefined;
    const secrets: string[] = [];
    try {
      const entry = await decrypt.run(() => opts.store.show(keyPath));
      secrets.push(entry.key.reveal());
      const credential = job.mapping.credential
        ? await credentialFor(job.mapping.credential)
        : undefined;
      const vars = { ...entry.fields, ...job.mapping.params };
      // Requests are capped per provider and overall; decryption (above) is not held up by them.
      const outcome = await network.run(() =>
        global.run(() =>
          fetchMetadata({
            manifest,
            path: keyPath,
            key: entry.key,
            credential,
            vars,
            now: opts.now(),
            baseUrlOverride: opts.baseUrlOverride(manifest.id),
            retryBaseMs: opts.retryBaseMs,
          }, opts.http)
        )
      );
      metadata = outcome.metadata;
    } catch (e) {
      if (e instanceof FetchError) failure = e;
      else if (e instanceof KeyzError) failure = new FetchError("config", e.message);
      else failure = new FetchError("provider", e instanceof Error ? e.message : String(e));
    }
    const now = iso(opts.now());
    const previous = await opts.sidecars.readAccount(job.id);
    const prev = previous.ok ? previous.value : undefined;
    const warnings: string[] = [];
    if (!previous.ok && !previous.missing) {
      // Broken or hand-edited beyond repair: keep it for the user, rebuild from this fetch.
      warnings.push(await moveAside(opts.sidecars, sidecarPaths.account(job.id), previous.error));
    }
    const message = failure ? redact(failure.message, [...secrets, ...knownSecrets]) : undefined;
    const account: AccountSidecar = {
      schema_version: SCHEMA_VERSION,
      account: job.id,
      provider: job.providerId,
      metadata: metadata ?? prev?.metadata ?? null,
      synced_at: now,
      last_success_at: metadata ? now : prev?.last_success_at ?? null,
      last_error: failure ? { kind: failure.kind, message: message!, at: now } : null,
    };
    await opts.sidecars.writeAccount(account);
    for (const path of job.paths) {
      const keyWarning = await ensureKeySidecar(opts.sidecars, path, job);
      const pathWarnings = keyWarning ? [...warnings, keyWarning] : warnings;
      await opts.sidecars.appendHistory(path, {
        at: now,
        status: failure ? "error" : "ok",
        provider: job.providerId,
        ...(metadata ? pickHistory(metadata) : {}),
        ...(failure ? { error: failure.kind } : {}),
      });
      const unsupported = metadata?.kind === "unavailable";
      record({
        path,
        provider: job.providerId,
        status: failure ? "error" : unsupported ? "unsupported" : "ok",
        ...(failure ? { error: { kind: failure.kind, message: message! } } : {}),
        metadata: account.metadata
          ? {
            ...account.metadata,
            synced_at: now,
            last_success_at: account.last_success_at,
            status: failure ? "error" : "live",
          }
          : null,
        ...(pathWarnings.length ? { warnings: pathWarnings } : {}),
      });
    }
  }

  return opts.paths.map((p) => results.get(p)!);
}

function pickHistory(m: Metadata) {
  return {
    kind: m.kind,
    ...(m.balance !== undefined ? { balance: m.balance } : {}),
    ...(m.spend !== undefined ? { spend: m.spend } : {}),
    ...(m.limit_remaining !== undefined ? { limit_remaining: m.limit_remaining } : {}),
    ...(m.quota_used_percent !== undefined ? { quota_used_percent: m.quota_used_percent } : {}),
    ...(m.currency ? { currency: m.currency } : {}),
  };
}

async function moveAside(sidecars: Sidecars, rel: string, why: KeyzError): Promise<string> {
  const dest = await sidecars.quarantine(rel);
  return `${why.message}; moved aside to ${dest} and rebuilt`;
}

/** Make sure the key sidecar links the account; returns a warning if a broken one was moved. */
async function ensureKeySidecar(
  sidecars: Sidecars,
  path: string,
  job: AccountJob,
): Promise<string | undefined> {
  const r = await sidecars.readKey(path);
  let current: KeySidecar | undefined;
  let warning: string | undefined;
  if (r.ok) current = r.value;
  else if (!r.missing) warning = await moveAside(sidecars, sidecarPaths.key(path), r.error);
  if (current?.provider === job.providerId && current.account === job.id) return warning;
  await sidecars.writeKey({
    ...(current ?? { schema_version: SCHEMA_VERSION, path }),
    path, // the file's location comes from the entry, never from a field inside the file
    provider: job.providerId,
    account: job.id,
  });
  return warning;
}

export function summarize(results: SyncResult[]): Record<SyncStatus, number> {
  const s: Record<SyncStatus, number> = { ok: 0, error: 0, skipped: 0, unsupported: 0 };
  for (const r of results) s[r.status]++;
  return s;
}
