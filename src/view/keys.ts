/**
 * What keyz knows about each key, from the file tree and the sidecars only: no decryption,
 * no network. Shared by ls, show, check and the browser.
 */
import type { LoadedProvider, ProviderSet } from "../providers/load.ts";
import { providerByName } from "../providers/lookup.ts";
import type { AccountSidecar, KeySidecar, Mapping, Metadata } from "../sidecars/schema.ts";
import { accountId } from "../sidecars/layout.ts";
import type { Sidecars } from "../sidecars/sidecars.ts";
import type { ReadResult } from "../sidecars/files.ts";
import type { Snapshot } from "./snapshot.ts";

export type KeyState = "live" | "stale" | "error" | "unmapped" | "never" | "unavailable";

export interface ResolvedMapping extends Mapping {
  how: "explicit" | "auto";
}

export interface KeyView {
  path: string;
  mapping?: ResolvedMapping;
  provider?: LoadedProvider;
  account?: AccountSidecar;
  key?: KeySidecar;
  state: KeyState;
  /** Sidecar files that failed to parse (named in the message). */
  problems: string[];
}

/** The mapping for a path: explicit from map.json, else a path segment naming a provider. */
export function resolveMapping(
  path: string,
  explicit: Record<string, Mapping>,
  providers: ProviderSet,
): ResolvedMapping | undefined {
  const m = explicit[path];
  if (m) return { ...m, how: "explicit" };
  const segments = path.split("/");
  for (let i = segments.length - 1; i >= 0; i--) {
    const p = providerByName(providers, segments[i].toLowerCase());
    if (p) return { provider: p.manifest.id, how: "auto" };
  }
  return undefined;
}

/** live/stale/error from the account file and the provider's refresh interval. */
export function deriveState(
  view: Pick<KeyView, "mapping" | "provider" | "account">,
  now: Date,
): KeyState {
  if (!view.mapping || !view.provider) return "unmapped";
  const a = view.account;
  if (!a) return view.provider.manifest.kind === "unavailable" ? "unavailable" : "never";
  if (a.last_error) return "error";
  if (a.metadata?.kind === "unavailable") return "unavailable";
  const refreshMs = view.provider.manifest.refreshMinutes * 60_000;
  return now.getTime() - Date.parse(a.synced_at) > refreshMs ? "stale" : "live";
}

export interface ViewContext {
  sidecars: Pick<Sidecars, "readKeySync" | "readAccountSync">;
  providers: ProviderSet;
  map: Record<string, Mapping>;
  now: Date;
}

export async function viewKey(ctx: ViewContext, path: string): Promise<KeyView> {
  await Promise.resolve();
  return viewKeySync(ctx, path);
}

/** Views for many paths, read synchronously (thousands of small files). */
export async function viewKeys(ctx: ViewContext, paths: string[]): Promise<KeyView[]> {
  await Promise.resolve();
  return paths.map((p) => viewKeySync(ctx, p));
}

function viewKeySync(ctx: ViewContext, path: string): KeyView {
  return buildView(
    ctx,
    path,
    (p) => ctx.sidecars.readKeySync(p),
    (id) => ctx.sidecars.readAccountSync(id),
  );
}

/** Views of every entry in a snapshot (see snapshot.ts): no file is read. */
export function viewsFromSnapshot(s: Snapshot, now: Date, paths = s.entries): KeyView[] {
  const ctx = { providers: s.providers, map: s.map, now };
  return paths.map((p) => buildView(ctx, p, s.readKey, s.readAccount));
}

function buildView(
  ctx: Pick<ViewContext, "providers" | "map" | "now">,
  path: string,
  readKey: (path: string) => ReadResult<KeySidecar>,
  readAccount: (id: string) => ReadResult<AccountSidecar>,
): KeyView {
  const problems: string[] = [];
  const mapping = resolveMapping(path, ctx.map, ctx.providers);
  const provider = mapping ? ctx.providers.providers.get(mapping.provider) : undefined;
  const keyRead = readKey(path);
  const key = keyRead.ok ? keyRead.value : undefined;
  if (!keyRead.ok && !keyRead.missing) problems.push(keyRead.error.format());
  let account: AccountSidecar | undefined;
  if (mapping) {
    const r = readAccount(accountId(mapping.provider, path, mapping.credential));
    if (r.ok) account = r.value;
    else if (!r.missing) problems.push(r.error.format());
  }
  const view: KeyView = { path, mapping, provider, account, key, state: "unmapped", problems };
  view.state = deriveState(view, ctx.now);
  return view;
}

/** The headline figure of a key for one-line displays. */
export function headline(meta: Metadata | null | undefined): { amount?: number; label: string } {
  if (!meta) return { label: "" };
  const cur = meta.currency ? ` ${meta.currency}` : "";
  switch (meta.kind) {
    case "balance": {
      const amount = meta.balance ?? meta.limit_remaining;
      return amount === undefined
        ? { label: "" }
        : { amount, label: `${formatMoney(amount)}${cur}` };
    }
    case "spend":
      return meta.spend === undefined
        ? { label: "" }
        : { amount: meta.spend, label: `spent ${formatMoney(meta.spend)}${cur}` };
    case "quota":
      return meta.quota_used_percent === undefined
        ? { label: "" }
        : { label: `${meta.quota_used_percent}% used` };
    default:
      return { label: "n/a" };
  }
}

export function formatMoney(n: number): string {
  const abs = Math.abs(n);
  const digits = abs !== 0 && abs < 0.01 ? 4 : 2;
  return n.toFixed(digits);
}

/** "3m", "2h", "5d": how old a timestamp is. */
export function age(iso: string | undefined, now: Date): string {
  if (!iso) return "never";
  return ageSince(Date.parse(iso), now.getTime());
}

/** The same from epoch milliseconds. */
export function ageSince(ms: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
