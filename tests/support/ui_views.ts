// Entry views for the browser's pure tests: built from the real built-in manifests, no store.
import { loadProviders, type ProviderSet } from "../../src/providers/load.ts";
import type { AccountSidecar, KeySidecar, Metadata } from "../../src/sidecars/schema.ts";
import { type EntryView, viewEntry } from "../../src/view/entries.ts";
import { emptyState } from "../../src/sidecars/state.ts";
import type { StoreConfig } from "../../src/config/store_config.ts";
import { initState, type UiState } from "../../src/ui/state.ts";

export const NOW = new Date("2026-03-01T12:00:00Z");

export interface ViewSpec {
  path: string;
  metadata?: Metadata | null;
  syncedAgoMin?: number;
  error?: string;
  key?: Partial<KeySidecar>;
  credential?: string;
}

let providers: ProviderSet | undefined;
export async function builtins(): Promise<ProviderSet> {
  providers ??= await loadProviders({});
  return providers;
}

export async function makeViews(specs: ViewSpec[]): Promise<EntryView[]> {
  const set = await builtins();
  const map = Object.fromEntries(
    specs.filter((s) => s.credential).map((s) => [
      s.path,
      { provider: "openai", credential: s.credential },
    ]),
  );
  const accounts = new Map<string, AccountSidecar>();
  const keys = new Map<string, KeySidecar>();
  const state = emptyState();
  const at = (s: ViewSpec) =>
    new Date(NOW.getTime() - (s.syncedAgoMin ?? 1) * 60_000).toISOString()
      .replace(/\.\d{3}Z$/, "Z");
  const src = {
    providers: set,
    map,
    config: {},
    state,
    untrusted: new Set<string>(),
    notYours: new Set<string>(),
    readKey: (p: string) => {
      const k = keys.get(p);
      return k ? { ok: true as const, value: k } : { ok: false as const, missing: true as const };
    },
    readAccount: (id: string) => {
      const a = accounts.get(id);
      return a ? { ok: true as const, value: a } : { ok: false as const, missing: true as const };
    },
  };
  return specs.map((s) => {
    if (s.key) keys.set(s.path, { schema_version: 2, path: s.path, ...s.key });
    const probe = viewEntry(src, s.path);
    if (probe.accountId && s.metadata !== undefined) {
      if (s.metadata) {
        accounts.set(probe.accountId, {
          schema_version: 2,
          account: probe.accountId,
          provider: probe.accountId.slice(0, probe.accountId.indexOf("/")),
          metadata: s.metadata,
          fetched_at: at(s),
        });
      }
      if (s.error) {
        state.accounts[probe.accountId] = {
          at: at(s),
          error: { kind: "auth", message: s.error },
          failures: 1,
        };
      }
    }
    return viewEntry(src, s.path);
  });
}

export const SAMPLE: ViewSpec[] = [
  {
    path: "api/deepseek/main",
    metadata: { kind: "balance", balance: 110, currency: "CNY" },
    key: { notes: "personal account", tags: ["home"] },
  },
  { path: "api/openrouter/team", metadata: { kind: "balance", balance: 0.42, currency: "USD" } },
  {
    path: "api/moonshot",
    metadata: { kind: "balance", balance: 49.59, currency: "USD" },
    key: { expires_at: "2026-03-05T00:00:00Z", env: "KIMI_KEY" },
  },
  { path: "work/siliconflow", metadata: null, error: "401 invalid api key" },
  { path: "work/zai", metadata: { kind: "quota", quota_used_percent: 37 }, syncedAgoMin: 600 },
  { path: "misc/wifi" },
];

export async function sampleState(
  opts: { width?: number; height?: number; config?: StoreConfig; expanded?: string[] } = {},
): Promise<UiState> {
  const set = await builtins();
  return initState({
    storeDir: "/tmp/store",
    views: await makeViews(SAMPLE),
    config: opts.config ?? { thresholds: { min_balance: 1 } },
    now: NOW,
    providers: [...set.providers.values()].map((p) => ({
      id: p.manifest.id,
      name: p.manifest.name,
      credential: p.manifest.credential
        ? {
          required: p.manifest.credential.required,
          description: p.manifest.credential.description,
        }
        : undefined,
    })).sort((a, b) => a.id.localeCompare(b.id)),
    viewport: { width: opts.width ?? 80, height: opts.height ?? 24 },
    expanded: opts.expanded,
  });
}
