/** The snapshot and listing of the user's store for ls and browse (see src/view/snapshot.ts). */
import * as env from "../env.ts";
import { problemLines } from "../providers/lookup.ts";
import type { Listing } from "../view/listing.ts";
import { readListing } from "../view/listing_cache.ts";
import {
  cacheFileFor,
  readSnapshot,
  type Snapshot,
  type SnapshotOptions,
} from "../view/snapshot.ts";
import { warn } from "./output.ts";

export function snapshotOptions(): SnapshotOptions {
  const storeDir = env.storeDir();
  return {
    storeDir,
    configDir: env.configDir(),
    cacheFile: env.noCache() ? undefined : cacheFileFor(env.cacheDir(), storeDir),
  };
}

export async function openSnapshot(opts: { quietProblems?: boolean } = {}) {
  const snapshot: Snapshot = await readSnapshot(snapshotOptions());
  if (!opts.quietProblems) {
    for (const line of problemLines(snapshot.providers.problems)) {
      warn(`bad manifest skipped: ${line}`);
    }
  }
  return snapshot;
}

/** The listing (what plain `keyz ls` prints), warning about manifests that failed to load. */
export async function openListing(opts = snapshotOptions()): Promise<Listing> {
  const listing = await readListing(opts);
  for (const p of listing.problems) warn(`bad manifest skipped: ${p}`);
  return listing;
}
