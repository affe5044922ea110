/** Per-store settings in <store>/.keyz/config.jsonc (versioned with the store). */
import { z } from "zod";
import { GIT_MODES } from "../git/git.ts";
import { paths } from "../sidecars/sidecars.ts";
import { parseConfigText } from "./jsonc.ts";
import { refreshMs } from "./refresh.ts";

/**
 * How often a key's figures are refreshed ("30m", "6h", "1d"). The store config is shared and
 * untrusted, so the interval is bounded: at least a minute (nobody asks a provider more often on
 * another's behalf), at most 30 days.
 */
export const RefreshInterval = z.string().regex(
  /^\d{1,5}[mhd]$/,
  'must be a duration such as "30m", "6h" or "1d"',
).refine((t) => {
  const ms = refreshMs(t);
  return ms >= 60_000 && ms <= 30 * 86_400_000;
}, "must be between 1m and 30d");
import { readKeyzText } from "../sidecars/files.ts";

const Threshold = z.strictObject({
  min_balance: z.number().min(0).optional(),
  expiring_within_days: z.number().min(0).optional(),
  stale_after_hours: z.number().min(0).optional(),
  /** Refresh interval (per provider or key): replaces the manifest's refreshMinutes. */
  refresh: RefreshInterval.optional(),
});

export const StoreConfig = z.strictObject({
  $schema: z.string().optional(),
  git: z.enum(GIT_MODES).optional(),
  /** Defaults for `keyz check` and the browser's low-balance badge. */
  thresholds: Threshold.optional(),
  providers: z.record(z.string(), Threshold).optional(),
  keys: z.record(z.string(), Threshold).optional(),
  /**
   * Entries keyz leaves alone (never decrypted, never listed as keys): pass paths or globs
   * (`*` within a segment, `**` across segments); a plain path covers a whole folder.
   */
  ignore: z.array(z.string().min(1).max(500)).max(10_000).optional(),
  /** `false`: the browser never syncs by itself (see also the user config). */
  autosync: z.boolean().optional(),
});
export type StoreConfig = z.infer<typeof StoreConfig>;
export type Threshold = z.infer<typeof Threshold>;

export async function readStoreConfig(storeDir: string): Promise<StoreConfig> {
  const file = `${storeDir}/${paths.config}`;
  await Promise.resolve();
  const text = readKeyzText(storeDir, paths.config); // never through a link
  if (text === undefined) return {};
  return parseConfigText(file, text, StoreConfig);
}
