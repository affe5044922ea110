/** Threshold look-up (no zod or JSONC: the browser's fast start imports this). */
import type { StoreConfig, Threshold } from "./store_config.ts";

/** The threshold that applies to a key: key, then provider, then store default. */
export function thresholdFor(cfg: StoreConfig, path: string, provider?: string): Threshold {
  return {
    ...cfg.thresholds,
    ...(provider ? cfg.providers?.[provider] : {}),
    ...cfg.keys?.[path],
  };
}
