/**
 * Recording one successful sync of an account: its figures, the link from each of its keys to
 * it, and one history line per key. The one call the sync orchestration makes into the
 * sidecar layer for good news (failures touch only the untracked state, state.ts).
 */
import type { KeyzError } from "../errors.ts";
import type { HistoryLine, KeySidecar, Metadata } from "./schema.ts";
import { SCHEMA_VERSION } from "./schema.ts";
import { paths, type Sidecars } from "./sidecars.ts";
import { isoSeconds } from "../util/time.ts";

export interface FetchedFigures {
  account: string;
  provider: string;
  /** Every key of the account, with the sha256 of its .gpg file when it was read. */
  keys: { path: string; gpgSha256?: string }[];
  metadata: Metadata;
  at: Date;
}

/** Write an account's new figures; returns warnings about broken files moved aside. */
export async function recordFigures(sidecars: Sidecars, f: FetchedFigures): Promise<string[]> {
  const at = isoSeconds(f.at);
  const warnings: string[] = [];
  const previous = await sidecars.readAccount(f.account);
  if (!previous.ok && !previous.missing) {
    // Broken or hand-edited beyond repair: kept aside for the user, rebuilt from this fetch.
    warnings.push(await moveAside(sidecars, paths.account(f.account), previous.error));
  }
  await sidecars.writeAccount({
    schema_version: SCHEMA_VERSION,
    account: f.account,
    provider: f.provider,
    metadata: f.metadata,
    fetched_at: at,
  });
  for (const k of f.keys) {
    const w = await linkKey(sidecars, k.path, f.provider, f.account, k.gpgSha256);
    if (w) warnings.push(w);
    await sidecars.appendHistory(k.path, historyLine(f.provider, f.metadata, at));
  }
  return warnings;
}

function historyLine(provider: string, m: Metadata, at: string): HistoryLine {
  return {
    at,
    status: "ok",
    provider,
    kind: m.kind,
    ...(m.balance !== undefined ? { balance: m.balance } : {}),
    ...(m.spend !== undefined ? { spend: m.spend } : {}),
    ...(m.limit_remaining !== undefined ? { limit_remaining: m.limit_remaining } : {}),
    ...(m.quota_used_percent !== undefined ? { quota_used_percent: m.quota_used_percent } : {}),
    ...(m.currency ? { currency: m.currency } : {}),
  };
}

async function moveAside(sidecars: Sidecars, rel: string, why: KeyzError): Promise<string> {
  const dest = await sidecars.quarantine(rel);
  return `${why.message}; moved aside to ${dest} and rebuilt`;
}

/** Make the key sidecar name its provider, account and ciphertext; warns if one was moved. */
async function linkKey(
  sidecars: Sidecars,
  path: string,
  provider: string,
  account: string,
  gpgSha256: string | undefined,
): Promise<string | undefined> {
  const r = await sidecars.readKey(path);
  let current: KeySidecar | undefined;
  let warning: string | undefined;
  if (r.ok) current = r.value;
  else if (!r.missing) warning = await moveAside(sidecars, paths.key(path), r.error);
  const sha = gpgSha256 ?? current?.gpg_sha256;
  if (
    current?.provider === provider && current.account === account && current.gpg_sha256 === sha
  ) return warning;
  await sidecars.writeKey({
    ...(current ?? { schema_version: SCHEMA_VERSION, path }),
    path,
    provider,
    account,
    ...(sha ? { gpg_sha256: sha } : {}),
  });
  return warning;
}
