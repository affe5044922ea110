// KeyViews for the browser's pure tests: built from the real built-in manifests, no store.
import { loadProviders, type ProviderSet } from "../../src/providers/load.ts";
import type { AccountSidecar, KeySidecar, Metadata } from "../../src/sidecars/schema.ts";
import { deriveState, type KeyView, resolveMapping } from "../../src/view/keys.ts";
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

export async function makeViews(specs: ViewSpec[]): Promise<KeyView[]> {
  const set = await builtins();
  return specs.map((s) => {
    const explicit = s.credential
      ? { [s.path]: { provider: "openai", credential: s.credential } }
      : {};
    const mapping = resolveMapping(s.path, explicit, set);
    const provider = mapping ? set.providers.get(mapping.provider) : undefined;
    let account: AccountSidecar | undefined;
    if (mapping && s.metadata !== undefined) {
      const at = new Date(NOW.getTime() - (s.syncedAgoMin ?? 1) * 60_000).toISOString()
        .replace(/\.\d{3}Z$/, "Z");
      account = {
        schema_version: 1,
        account: `${mapping.provider}/${s.path}`,
        provider: mapping.provider,
        metadata: s.metadata,
        synced_at: at,
        last_success_at: s.error ? null : at,
        last_error: s.error ? { kind: "auth", message: s.error, at } : null,
      };
    }
    const key = s.key ? { schema_version: 1 as const, path: s.path, ...s.key } : undefined;
    const view: KeyView = {
      path: s.path,
      mapping,
      provider,
      account,
      key,
      state: "unmapped",
      problems: [],
    };
    view.state = deriveState(view, NOW);
    return view;
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
