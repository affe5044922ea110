/** Build the browser's first state from the file tree and the sidecars: no decryption, no network. */
import { readStoreConfig } from "../config/store_config.ts";
import type { ProviderSet } from "../providers/load.ts";
import type { PassStore } from "../store/store.ts";
import type { Mapping } from "../sidecars/schema.ts";
import type { Sidecars } from "../sidecars/sidecars.ts";
import { viewKeys } from "../view/keys.ts";
import { initState, type UiState } from "./state.ts";
import { providerChoices } from "../view/listing.ts";
import type { StorePrefs } from "./prefs.ts";

export interface LoadContext {
  storeDir: string;
  store: PassStore;
  sidecars: Sidecars;
  providers: ProviderSet;
  map: Record<string, Mapping>;
}

export async function loadState(
  ctx: LoadContext,
  opts: { now: Date; viewport: { width: number; height: number }; prefs?: StorePrefs },
): Promise<UiState> {
  const [paths, config] = await Promise.all([ctx.store.list(), readStoreConfig(ctx.storeDir)]);
  const views = await viewKeys({ ...ctx, now: opts.now }, paths);
  return initState({
    storeDir: ctx.storeDir,
    views,
    config,
    now: opts.now,
    providers: providerChoices(ctx.providers),
    viewport: opts.viewport,
    expanded: opts.prefs?.expanded,
    sort: opts.prefs?.sort,
  });
}
