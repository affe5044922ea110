/**
 * The sources of entry views read straight from the store's files (commands that read a few
 * entries, and every writer, which must see the files as they are under the lock), as opposed
 * to the snapshot cache of ls and the browser (snapshot.ts). tests/snapshot_test.ts proves both
 * give the same views.
 */
import { readStoreConfig } from "../config/store_config.ts";
import type { ProviderSet } from "../providers/load.ts";
import { untrustedProviders } from "../providers/trust.ts";
import type { Sidecars } from "../sidecars/sidecars.ts";
import type { PassStore } from "../store/store.ts";
import { readState } from "../sidecars/state.ts";
import type { ViewSources } from "./entries.ts";

export async function fileSources(
  sidecars: Sidecars,
  store: Pick<PassStore, "ownership">,
  providers: ProviderSet,
  configDir: string,
): Promise<ViewSources> {
  const [map, config, untrusted] = await Promise.all([
    sidecars.readMap(),
    readStoreConfig(sidecars.storeDir),
    untrustedProviders(providers, configDir),
  ]);
  return {
    providers,
    map,
    config,
    state: readState(sidecars.storeDir),
    untrusted,
    notYours: { has: (p) => store.ownership(p) === "not_yours" },
    readKey: (p) => sidecars.readKeySync(p),
    readAccount: (id) => sidecars.readAccountSync(id),
  };
}
