/**
 * `keyz discover`: find the API keys among the entries keyz does not treat as keys yet, by
 * decrypting them and matching their first line against the providers' documented key shapes.
 * A proposal names the provider and, at most, the key's last 4 characters; the secret never
 * leaves this module (no network here, nothing written, nothing printed).
 *
 * Only `documented` shapes count (a distinct prefix such as `sk-or-v1-`): a conservative shape
 * (any printable string) matches most passwords. A secret that two providers' documented shapes
 * accept is ambiguous: it is reported with both, and nothing is proposed for it.
 */
import { keyShape } from "../providers/key_shape.ts";
import type { LoadedProvider } from "../providers/load.ts";
import type { SecretEntry } from "../store/secret.ts";
import { DecryptError, type PassStore } from "../store/store.ts";
import { Limiter } from "../util/limit.ts";

/** What decrypting one entry found (never the secret itself). */
export type Finding =
  | { path: string; kind: "key"; provider: string; last4?: string }
  | { path: string; kind: "ambiguous"; providers: string[]; last4?: string }
  /** Decrypted; its first line has no documented key shape (an ordinary password). */
  | { path: string; kind: "not_a_key" }
  /** Encrypted only for someone else's key (told before or by gpg): not decrypted. */
  | { path: string; kind: "not_yours" }
  | { path: string; kind: "failed"; message: string };

/** The providers whose documented key shape may identify a key: trusted, shape documented. */
export function identifyingProviders(
  providers: Iterable<LoadedProvider>,
  untrusted: ReadonlySet<string>,
): LoadedProvider[] {
  return [...providers].filter((p) =>
    p.manifest.keyPatternSource === "documented" && !untrusted.has(p.manifest.id)
  ).sort((a, b) => a.manifest.id.localeCompare(b.manifest.id));
}

/** Which providers' documented shapes accept this secret (ids, sorted). */
export function matchingProviders(secret: string, candidates: readonly LoadedProvider[]): string[] {
  return candidates.filter((p) => keyShape(p.manifest, secret).ok).map((p) => p.manifest.id);
}

/** Keys shorter than this get no last characters shown (the built-in shapes are 39+ long). */
export const MIN_LENGTH_FOR_LAST4 = 20;

/** The finding for one decrypted entry. */
export function judgeEntry(
  path: string,
  entry: SecretEntry,
  candidates: readonly LoadedProvider[],
): Finding {
  const secret = entry.key.reveal();
  const ids = matchingProviders(secret, candidates);
  if (ids.length === 0) return { path, kind: "not_a_key" };
  // The last 4 characters tell two keys apart without saying much of either; a short secret
  // (only a user manifest could document such a shape) gets none shown.
  const end = secret.length >= MIN_LENGTH_FOR_LAST4 ? { last4: secret.slice(-4) } : {};
  return ids.length === 1
    ? { path, kind: "key", provider: ids[0], ...end }
    : { path, kind: "ambiguous", providers: ids, ...end };
}

export interface DiscoverRun {
  store: Pick<PassStore, "show" | "ownership">;
  /** The entries to look at: not keys yet, not ignored (the caller chose them). */
  paths: readonly string[];
  candidates: readonly LoadedProvider[];
  /** `pass show` processes at once. */
  concurrency: number;
  /** Called as each entry is done (progress). */
  onFinding?: (f: Finding, done: number) => void;
}

/**
 * Decrypt the entries (those told not ours without decrypting are skipped) and judge each.
 * Findings come back in the order of `paths`.
 */
export async function discoverKeys(run: DiscoverRun): Promise<Finding[]> {
  const limiter = new Limiter(run.concurrency);
  let done = 0;
  const one = async (path: string): Promise<Finding> => {
    let f: Finding;
    if (run.store.ownership(path) === "not_yours") f = { path, kind: "not_yours" };
    else {
      try {
        f = judgeEntry(path, await limiter.run(() => run.store.show(path)), run.candidates);
      } catch (e) {
        if (e instanceof DecryptError && e.notYours) f = { path, kind: "not_yours" };
        else if (e instanceof Error) f = { path, kind: "failed", message: e.message };
        else throw e;
      }
    }
    run.onFinding?.(f, ++done);
    return f;
  };
  return await Promise.all(run.paths.map(one));
}
