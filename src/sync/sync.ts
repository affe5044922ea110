/**
 * Running a sync plan (plan.ts): decrypt only the keys being synced, send a secret only after it
 * matched its provider's key shape, fetch once per account, run providers concurrently under a
 * global and a per-provider cap, and record every outcome: figures in the sidecars (git), and
 * attempts, failures and entries that are not keys in the untracked state. One key's failure
 * never stops the others; last good figures are kept.
 */
import {
  FetchError,
  type FetchErrorKind,
  KeyzError,
  NotAKeyError,
  StoreFileError,
} from "../errors.ts";
import { keyShape } from "../providers/key_shape.ts";
import type { PassStore } from "../store/store.ts";
import { DecryptError, decryptionWidth } from "../store/store.ts";
import type { Secret } from "../store/secret.ts";
import type { HttpClient } from "../fetch/http.ts";
import { fetchMetadata } from "../fetch/run.ts";
import type { Manifest } from "../providers/manifest.ts";
import type { Metadata } from "../sidecars/schema.ts";
import type { Sidecars } from "../sidecars/sidecars.ts";
import { recordFigures } from "../sidecars/record.ts";
import type { StateFile } from "../sidecars/state.ts";
import { Limiter } from "../util/limit.ts";
import { Redactor } from "../util/redact.ts";
import { isoSeconds } from "../util/time.ts";
import { type ErrorClass, errorClassOf } from "../view/judge.ts";
import type { StoreConfig } from "../config/store_config.ts";
import type { EntryView } from "../view/entries.ts";
import {
  type AccountJob,
  type PlanOptions,
  planSync,
  type SkipReason,
  type SyncPlan,
} from "./plan.ts";

export type SyncStatus =
  | "ok"
  | "error"
  | "unsupported"
  | "not_a_key"
  | "not_yours"
  | "skipped";

export interface SyncedMetadata extends Metadata {
  synced_at: string;
  last_success_at: string | null;
  status: "live" | "error";
}

export interface SyncResult {
  path: string;
  provider: string | null;
  status: SyncStatus;
  error?: { kind: FetchErrorKind; class: ErrorClass; message: string };
  /** Why the key was left alone (status skipped, not_a_key, not_yours). */
  reason?: SkipReason;
  /** More about why, where the reason alone does not say it (e.g. which manifest, which host). */
  note?: string;
  /** The figures now on record (the last good ones after a failure). */
  metadata: SyncedMetadata | null;
  /** Broken sidecars moved aside during this key's sync (named, with why). */
  warnings?: string[];
}

export interface SyncDeps {
  store: PassStore;
  sidecars: Sidecars;
  /** The untracked state, updated in place (the caller saves it). */
  state: StateFile;
  http: HttpClient;
  now: () => Date;
  concurrency: number;
  baseUrlOverride: (providerId: string) => string | undefined;
  retryBaseMs: number;
  /** Called as each key finishes (progress). */
  onResult?: (r: SyncResult) => void;
}

/** Whether a secret may be sent as this provider's key (or credential). */
function shapeVerdict(
  manifest: Manifest,
  secret: Secret,
  role: "key" | "credential",
): "ok" | "blank" | "mismatch" {
  const v = keyShape(manifest, secret.reveal(), role);
  return v.ok ? "ok" : v.why;
}

/** A failure of one account, before or after talking to the provider. */
class JobFailure {
  constructor(readonly error: FetchError) {}
}

/** A key that turned out not to be one (or not ours): recorded, never a failure. */
class JobLeftAlone {
  constructor(
    readonly status: "not_a_key" | "not_yours",
    readonly path: string,
    readonly message: string,
  ) {}
}

/**
 * Plan and run a sync of these entries: entries remembered as not keys (or not ours) are
 * looked at again only when their .gpg file changed.
 */
export async function syncViews(
  views: readonly EntryView[],
  config: StoreConfig,
  deps: SyncDeps,
  opts: Omit<PlanOptions, "currentSha"> = {},
): Promise<{ plan: SyncPlan; results: SyncResult[] }> {
  const currentSha = new Map<string, string | undefined>();
  for (const v of views) {
    if (v.record?.not_a_key || v.record?.not_yours) {
      currentSha.set(v.path, await deps.store.fileSha256(v.path));
    }
  }
  const plan = planSync(views, config, deps.now().getTime(), { ...opts, currentSha });
  return { plan, results: await runPlan(plan, deps) };
}

export async function runPlan(plan: SyncPlan, deps: SyncDeps): Promise<SyncResult[]> {
  const results: SyncResult[] = [];
  const record = (r: SyncResult) => {
    results.push(r);
    deps.onResult?.(r);
  };
  for (const s of plan.skipped) {
    record({
      path: s.path,
      provider: s.provider,
      status: s.reason === "not_a_key" || s.reason === "not_yours" ? s.reason : "skipped",
      reason: s.reason,
      ...(s.note ? { note: s.note } : {}),
      metadata: null,
    });
  }

  const global = new Limiter(deps.concurrency);
  // Decryption is CPU work (one gpg per key) and requests are waiting: cap them separately, so
  // many requests can be in flight while gpg runs about as wide as the CPU allows.
  const decrypt = new Limiter(decryptionWidth());
  const perProvider = new Map<string, Limiter>();
  const credentials = new Map<string, Promise<Secret>>();
  const secrets: string[] = [];
  const show = async (path: string) => {
    const entry = await decrypt.run(() => deps.store.show(path));
    secrets.push(entry.key.reveal());
    return entry;
  };
  const credentialFor = (path: string) => {
    let p = credentials.get(path);
    if (!p) credentials.set(path, p = show(path).then((e) => e.key));
    return p;
  };
  const providerLimiter = (m: Manifest) => {
    let limiter = perProvider.get(m.id);
    if (!limiter) perProvider.set(m.id, limiter = new Limiter(m.concurrency));
    return limiter;
  };

  // Results are recorded only once every secret of the run is known, so that whatever a
  // provider echoes, of this key or of any other, is redacted (requests still go out as soon as
  // their own key is decrypted).
  const decryptPhases: Promise<void>[] = [];
  let allDecrypted: Promise<unknown> = Promise.resolve();
  let runRedactor: Redactor | undefined;
  const redactor = async () => {
    await allDecrypted;
    return runRedactor ??= new Redactor(secrets);
  };

  const syncAccount = async (job: AccountJob): Promise<void> => {
    const manifest = job.provider.manifest;
    const shas = new Map<string, string | undefined>();
    let metadata: Metadata | undefined;
    let failure: FetchError | undefined;
    let leftAlone: JobLeftAlone | undefined;
    let decrypted!: () => void;
    decryptPhases.push(new Promise<void>((r) => decrypted = r));
    try {
      // Every key of the account is decrypted and checked: none may be something else.
      const entries = [];
      for (const path of job.paths) {
        shas.set(path, await deps.store.fileSha256(path));
        const entry = await show(path).catch((e) => {
          if (e instanceof DecryptError && e.notYours) {
            throw new JobLeftAlone("not_yours", path, "encrypted for someone else's key");
          }
          throw e;
        });
        const verdict = shapeVerdict(manifest, entry.key, "key");
        if (verdict === "blank") {
          throw new JobFailure(
            new FetchError("config", `${path}: the first line is empty (pass keeps the key there)`),
          );
        }
        if (verdict === "mismatch") {
          throw new JobLeftAlone(
            "not_a_key",
            path,
            `not ${article(manifest.name)} ${manifest.name} key (its shape does not match)`,
          );
        }
        entries.push(entry);
      }
      const credentialPath = job.mapping.credential;
      let credential: Secret | undefined;
      if (credentialPath) {
        credential = await credentialFor(credentialPath);
        const verdict = shapeVerdict(manifest, credential, "credential");
        if (verdict !== "ok") {
          throw new JobFailure(
            new FetchError(
              "config",
              `credential ${credentialPath} ${
                verdict === "blank"
                  ? "has an empty first line"
                  : `is not ${
                    manifest.credential?.description ?? `a ${manifest.name} credential`
                  } (its shape does not match)`
              }`,
            ),
          );
        }
      }
      decrypted();
      const first = entries[0];
      const vars = { ...first.fields, ...job.mapping.params };
      const network = providerLimiter(manifest);
      const outcome = await network.run(() =>
        global.run(() =>
          fetchMetadata({
            manifest,
            path: job.paths[0],
            key: first.key,
            credential,
            credentialPath,
            vars,
            now: deps.now(),
            baseUrlOverride: deps.baseUrlOverride(manifest.id),
            retryBaseMs: deps.retryBaseMs,
          }, deps.http)
        )
      );
      metadata = outcome.metadata;
    } catch (e) {
      if (e instanceof JobLeftAlone) leftAlone = e;
      else if (e instanceof NotAKeyError && e.role === "key") {
        leftAlone = new JobLeftAlone("not_a_key", e.path ?? job.paths[0], e.message);
      } else if (e instanceof NotAKeyError) failure = new FetchError("config", e.message);
      else if (e instanceof JobFailure) failure = e.error;
      else if (e instanceof FetchError) failure = e;
      else if (e instanceof KeyzError) failure = new FetchError("config", e.message);
      else failure = new FetchError("provider", e instanceof Error ? e.message : String(e));
    }
    decrypted();
    const r = await redactor();
    // Every text figure against every secret of the run (a provider may echo any key).
    if (metadata) metadata = r.redactStrings(metadata);
    const now = deps.now();
    const at = isoSeconds(now);
    if (leftAlone) {
      const sha = shas.get(leftAlone.path);
      if (sha) {
        deps.state.entries[leftAlone.path] = leftAlone.status === "not_a_key"
          ? { not_a_key: { provider: manifest.id, gpg_sha256: sha, at } }
          : { not_yours: { gpg_sha256: sha, at } };
      }
      for (const path of job.paths) {
        record({
          path,
          provider: manifest.id,
          status: path === leftAlone.path ? leftAlone.status : "skipped",
          reason: path === leftAlone.path ? leftAlone.status : "not_a_key",
          metadata: null,
          ...(path === leftAlone.path ? {} : {
            warnings: [`not synced: ${leftAlone.path} shares its account and ${leftAlone.message}`],
          }),
        });
      }
      return;
    }
    for (const path of job.paths) delete deps.state.entries[path];
    const previous = deps.state.accounts[job.id];
    let warnings: string[] = [];
    let message: string | undefined;
    if (metadata) {
      try {
        warnings = await recordFigures(deps.sidecars, {
          account: job.id,
          provider: manifest.id,
          keys: job.paths.map((path) => ({ path, gpgSha256: shas.get(path) })),
          metadata,
          at: now,
        });
        deps.state.accounts[job.id] = { at, failures: 0 };
      } catch (e) {
        // A file of this account that cannot be written (a link in its path, a name too long)
        // fails this account alone, naming the file; a full or read-only disk fails the run.
        if (e instanceof StoreFileError && e.wholeStore) throw e;
        const why = e instanceof KeyzError ? `${e.message}${e.hint ? ` (${e.hint})` : ""}` : e;
        failure = new FetchError("config", why instanceof Error ? why.message : String(why));
        metadata = undefined;
      }
    }
    if (failure) {
      message = r.redact(failure.message);
      deps.state.accounts[job.id] = {
        at,
        error: { kind: failure.kind, message },
        failures: (previous?.error ? previous.failures : 0) + 1,
        failing_since: previous?.error ? previous.failing_since ?? previous.at : at,
      };
    }
    const shown = metadata ? { metadata, fetchedAt: at } : await lastGood(deps.sidecars, job.id);
    for (const path of job.paths) {
      record({
        path,
        provider: manifest.id,
        status: failure ? "error" : metadata?.kind === "unavailable" ? "unsupported" : "ok",
        ...(failure
          ? { error: { kind: failure.kind, class: errorClassOf(failure.kind), message: message! } }
          : {}),
        metadata: shown
          ? {
            ...shown.metadata,
            synced_at: at,
            last_success_at: shown.fetchedAt,
            status: failure ? "error" : "live",
          }
          : null,
        ...(warnings.length ? { warnings } : {}),
      });
    }
  };

  const jobs = plan.jobs.map(syncAccount);
  allDecrypted = Promise.all(decryptPhases);
  await Promise.all(jobs);
  return results;
}

async function lastGood(
  sidecars: Sidecars,
  id: string,
): Promise<{ metadata: Metadata; fetchedAt: string } | undefined> {
  const r = await sidecars.readAccount(id);
  if (!r.ok || !r.value.metadata || !r.value.fetched_at) return undefined;
  return { metadata: r.value.metadata, fetchedAt: r.value.fetched_at };
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? "an" : "a";
}

export function summarize(results: readonly SyncResult[]) {
  const s = { ok: 0, error: 0, skipped: 0, unsupported: 0, not_a_key: 0, not_yours: 0 };
  for (const r of results) s[r.status]++;
  return s;
}
