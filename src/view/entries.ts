/**
 * What keyz knows about each entry of the store, from the file tree, the sidecars and the
 * untracked state only: no decryption, no network. Shared by ls, show, check and the browser;
 * `inputOf` turns it into what judge.ts decides a key's state from.
 */
import type { LoadedProvider, ProviderSet } from "../providers/load.ts";
import type { AccountSidecar, KeySidecar, Mapping } from "../sidecars/schema.ts";
import { accountId } from "../sidecars/layout.ts";
import type { ReadResult } from "../sidecars/files.ts";
import type { AttemptRecord, EntryRecord, StateFile } from "../sidecars/state.ts";
import type { StoreConfig } from "../config/store_config.ts";
import { refreshMs as refreshIntervalMs } from "../config/refresh.ts";
import { type KeyRecognition, type Recognition, Recognizer } from "./recognize.ts";
import { type BaseState, errorClassOf, type JudgeInput, thresholdsFrom } from "./judge.ts";
import { headline } from "./format.ts";
import type { Snapshot } from "./snapshot.ts";

export interface EntryView {
  path: string;
  recognition: Recognition;
  /** The provider a key was recognised as, when its manifest is loaded. */
  provider?: LoadedProvider;
  /** The account whose figures a key shows. */
  accountId?: string;
  account?: AccountSidecar;
  key?: KeySidecar;
  /** The last attempt to fetch the account's figures (untracked state). */
  attempt?: AttemptRecord;
  /** Not a key / not ours, as found by an earlier sync (untracked state). */
  record?: EntryRecord;
  /** The provider's manifest has not been trusted in its current form. */
  untrusted: boolean;
  /** Encrypted only for someone else's key (a teammate's): never decrypted, never synced. */
  notYours: boolean;
  /** Sidecar files that failed to parse (named in the message). */
  problems: string[];
}

/** Everything an entry view is built from: a snapshot, or files read one by one. */
export interface ViewSources {
  providers: ProviderSet;
  map: Record<string, Mapping>;
  config: StoreConfig;
  state: StateFile;
  /** Ids of providers whose manifest is not trusted. */
  untrusted: ReadonlySet<string>;
  /** Keys encrypted only for someone else's key (told without decrypting). */
  notYours: { has(path: string): boolean };
  readKey(path: string): ReadResult<KeySidecar>;
  readAccount(id: string): ReadResult<AccountSidecar>;
}

const recognizers = new WeakMap<ViewSources, Recognizer>();

export function recognizerOf(src: Pick<ViewSources, "providers" | "map" | "config">): Recognizer {
  return new Recognizer({ map: src.map, ignore: src.config.ignore, providers: src.providers });
}

export function viewEntry(src: ViewSources, path: string): EntryView {
  let recognizer = recognizers.get(src);
  if (!recognizer) recognizers.set(src, recognizer = recognizerOf(src));
  const recognition = recognizer.recognize(path);
  const problems: string[] = [];
  const view: EntryView = { path, recognition, untrusted: false, notYours: false, problems };
  const keyRead = src.readKey(path);
  if (keyRead.ok) view.key = keyRead.value;
  else if (!keyRead.missing) problems.push(keyRead.error.text());
  const record = src.state.entries[path];
  if (record) view.record = record;
  if (recognition.kind !== "key") return view;
  view.provider = src.providers.providers.get(recognition.provider);
  view.untrusted = src.untrusted.has(recognition.provider);
  view.notYours = src.notYours.has(path) || !!record?.not_yours;
  const id = accountId(recognition.provider, path, credentialOf(recognition));
  view.accountId = id;
  const r = src.readAccount(id);
  if (r.ok) view.account = r.value;
  else if (!r.missing) problems.push(r.error.text());
  const attempt = src.state.accounts[id];
  if (attempt) view.attempt = attempt;
  return view;
}

export function credentialOf(r: KeyRecognition): string | undefined {
  return r.how === "explicit" ? r.credential : undefined;
}

/** The mapping a key's recognition amounts to (provider, credential, params). */
export function mappingOf(r: KeyRecognition): Mapping {
  return r.how === "explicit"
    ? {
      provider: r.provider,
      ...(r.credential !== undefined ? { credential: r.credential } : {}),
      ...(r.params !== undefined ? { params: r.params } : {}),
    }
    : { provider: r.provider };
}

/** The base state: what the files say, before the clock decides live or stale. */
export function baseStateOf(v: EntryView): BaseState {
  const r = v.recognition;
  if (r.kind !== "key") return r.kind;
  const notAKey = v.record?.not_a_key;
  if (notAKey && notAKey.provider === r.provider) return "not_a_key";
  if (!v.provider) return "config";
  if (v.untrusted) return "untrusted";
  if (v.attempt?.error) return errorClassOf(v.attempt.error.kind);
  const meta = v.account?.metadata;
  if (meta && v.account?.fetched_at) {
    return meta.kind === "unavailable" && !meta.key_valid ? "unavailable" : "fresh";
  }
  if (v.notYours) return "not_yours";
  return v.provider.manifest.kind === "unavailable" ? "unavailable" : "never";
}

/**
 * The refresh interval of a key: config keys.<path>.refresh, else providers.<id>.refresh, else
 * the manifest's refreshMinutes.
 */
export function refreshMsOf(
  config: StoreConfig,
  path: string,
  provider: LoadedProvider | undefined,
): number {
  const id = provider?.manifest.id;
  const text = config.keys?.[path]?.refresh ?? (id ? config.providers?.[id]?.refresh : undefined);
  return text ? refreshIntervalMs(text) : (provider?.manifest.refreshMinutes ?? 60) * 60_000;
}

/** The facts judge() decides from (see judge.ts for the threshold order). */
export function inputOf(v: EntryView, config: StoreConfig): JudgeInput {
  const base = baseStateOf(v);
  const meta = v.account?.metadata ?? undefined;
  const h = headline(meta);
  const providerId = v.recognition.kind === "key" ? v.recognition.provider : undefined;
  const input: JudgeInput = {
    base,
    refreshMs: refreshMsOf(config, v.path, v.provider),
    thresholds: thresholdsFrom({
      sidecarLowBalance: v.key?.low_balance,
      key: config.keys?.[v.path],
      provider: providerId ? config.providers?.[providerId] : undefined,
      manifestLowBalance: v.provider?.manifest.lowBalance,
      store: config.thresholds,
    }),
  };
  if (v.account?.fetched_at && meta) input.fetchedMs = Date.parse(v.account.fetched_at);
  if (h.remaining !== undefined) input.remaining = h.remaining;
  if (h.currency) input.currency = h.currency;
  const expires = v.key?.expires_at ?? meta?.expires_at;
  if (expires) input.expiresAt = expires;
  if (meta?.available === false) input.disabled = true;
  if (v.attempt?.error) input.error = v.attempt.error;
  else if (base === "config" && !v.provider) {
    input.error = { kind: "config", message: `provider ${providerId} is not loaded` };
  }
  if (v.problems.length) input.problems = v.problems;
  return input;
}

/** Views of every entry of a snapshot (see snapshot.ts): no file is read. */
export function viewsFromSnapshot(s: Snapshot, paths: readonly string[] = s.entries): EntryView[] {
  return paths.map((p) => viewEntry(s, p));
}
