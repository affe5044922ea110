/** Where each sidecar lives under <store>/.keyz (no zod: the fast start-up path imports this). */
import { KEYZ_DIR } from "./files.ts";

/** The sidecar format version, written into every file (readers migrate older ones). */
export const SCHEMA_VERSION = 2;

export const paths = {
  map: `${KEYZ_DIR}/map.json`,
  config: `${KEYZ_DIR}/config.jsonc`,
  providers: `${KEYZ_DIR}/providers`,
  key: (p: string) => `${KEYZ_DIR}/keys/${p}.json`,
  account: (id: string) => `${KEYZ_DIR}/accounts/${id}.json`,
  history: (p: string) => `${KEYZ_DIR}/history/${p}.jsonl`,
  /** Untracked per-machine bookkeeping (attempts, errors, entries that are not keys). */
  state: `${KEYZ_DIR}/state/state.json`,
};

/**
 * The account a key's figures belong to: keys that share a credential share one account
 * file (fetched once per sync); a key without one is its own account.
 */
export function accountId(provider: string, keyPath: string, credential?: string): string {
  return credential ? `${provider}/@${credential}` : `${provider}/${keyPath}`;
}
