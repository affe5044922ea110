/** Where each sidecar lives under <store>/.keyz (no zod: the fast start-up path imports this). */
import { StoreFileError } from "../errors.ts";
import { passPathProblem } from "../store/path.ts";
import { KEYZ_DIR } from "./files.ts";

/** The sidecar format version, written into every file (readers migrate older ones). */
export const SCHEMA_VERSION = 2;

/**
 * File locations come only from here, and only from a valid pass path or account id (trust
 * rule 2): a path from data (map.json, a field inside a sidecar) that is not one, e.g. with
 * `..`, is refused before any file is touched.
 */
export const paths = {
  map: `${KEYZ_DIR}/map.json`,
  config: `${KEYZ_DIR}/config.jsonc`,
  providers: `${KEYZ_DIR}/providers`,
  key: (p: string) => `${KEYZ_DIR}/keys/${checkedPassPath(p)}.json`,
  account: (id: string) => `${KEYZ_DIR}/accounts/${checkedAccountId(id)}.json`,
  history: (p: string) => `${KEYZ_DIR}/history/${checkedPassPath(p)}.jsonl`,
  /** Untracked per-machine bookkeeping (attempts, errors, entries that are not keys). */
  state: `${KEYZ_DIR}/state/state.json`,
};

const PROVIDER_ID = /^[a-z][a-z0-9-]{0,39}$/;

function checkedPassPath(p: string): string {
  const problem = passPathProblem(p);
  if (problem) throw new StoreFileError(p, "bad_path", `is not a valid pass path (${problem})`);
  return p;
}

/** `<provider>/<pass path>` or `<provider>/@<credential pass path>` (see accountId). */
function checkedAccountId(id: string): string {
  const slash = id.indexOf("/");
  const provider = id.slice(0, slash);
  const rest = id.slice(slash + 1);
  const problem = slash < 0 || !PROVIDER_ID.test(provider)
    ? "no provider id"
    : passPathProblem(rest.startsWith("@") ? rest.slice(1) : rest);
  if (problem) throw new StoreFileError(id, "bad_path", `is not a valid account id (${problem})`);
  return id;
}

/**
 * The account a key's figures belong to: keys that share a credential share one account
 * file (fetched once per sync); a key without one is its own account.
 */
export function accountId(provider: string, keyPath: string, credential?: string): string {
  return credential ? `${provider}/@${credential}` : `${provider}/${keyPath}`;
}
