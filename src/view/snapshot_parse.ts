/**
 * The parsers behind snapshot.ts, loaded only when something the cache holds has changed
 * (they bring zod and jsonc-parser with them).
 */
import { readStoreConfig, type StoreConfig } from "../config/store_config.ts";
import { loadProviders, type ProviderSet } from "../providers/load.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { Sidecars } from "../sidecars/sidecars.ts";
import type { Stored } from "./snapshot.ts";

/** A key sidecar (by pass path) or account sidecar (by account id), validated. */
export function parseSidecar(
  storeDir: string,
  kind: "key" | "account",
  id: string,
): Stored<unknown> {
  const sidecars = new Sidecars(storeDir);
  // Found by the snapshot's walk of real folders: the link checks are done (see readKeyzText).
  const r = kind === "key" ? sidecars.readKeySync(id, true) : sidecars.readAccountSync(id, true);
  if (r.ok) return r;
  if (r.missing) return { ok: false, what: `${id} vanished while reading`, hint: "run it again" };
  return { ok: false, what: r.error.message, hint: r.error.hint ?? "" };
}

export function readMapFile(storeDir: string): Promise<Record<string, Mapping>> {
  return new Sidecars(storeDir).readMap();
}

export function readConfigFile(storeDir: string): Promise<StoreConfig> {
  return readStoreConfig(storeDir);
}

export function readProviders(configDir: string, storeDir: string): Promise<ProviderSet> {
  return loadProviders({ userDir: `${configDir}/providers`, storeDir });
}
