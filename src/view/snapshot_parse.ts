/**
 * The parsers behind snapshot.ts, loaded only when something the cache holds has changed
 * (they bring zod and jsonc-parser with them).
 */
import { readStoreConfig, type StoreConfig } from "../config/store_config.ts";
import { loadProviders, type ProviderSet } from "../providers/load.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { Sidecars } from "../sidecars/sidecars.ts";
import { readState, type StateFile } from "../sidecars/state.ts";
import { untrustedProviders } from "../providers/trust.ts";
import { entryFile } from "../store/store.ts";
import { ownershipOf, readSecretKeyring, recipientsOfFile } from "../store/recipients.ts";
import { Recognizer } from "./recognize.ts";

/** A stored read: the validated value, or the problem to report (snapshot.ts keeps these). */
export type Stored<T> = { ok: true; value: T } | { ok: false; what: string; hint: string };

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

export function readStateFile(storeDir: string): StateFile {
  return readState(storeDir);
}

export async function readUntrusted(set: ProviderSet, configDir: string): Promise<string[]> {
  return [...await untrustedProviders(set, configDir)].sort();
}

/**
 * The keys among `entries` that are encrypted only for someone else's key (read from the .gpg
 * files' recipients and the GNUPGHOME keyring, never decrypted).
 */
export function notYoursKeys(
  storeDir: string,
  gnupgHome: string | undefined,
  entries: readonly string[],
  rules: { map: Record<string, Mapping>; config: StoreConfig; providers: ProviderSet },
): string[] {
  const keyring = gnupgHome === undefined ? undefined : readSecretKeyring(gnupgHome);
  if (!keyring) return [];
  const r = new Recognizer({
    map: rules.map,
    ignore: rules.config.ignore,
    providers: rules.providers,
  });
  return entries.filter((p) =>
    r.recognize(p).kind === "key" &&
    ownershipOf(recipientsOfFile(entryFile(storeDir, p)), keyring) === "not_yours"
  );
}
