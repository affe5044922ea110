/** Per-store settings in <store>/.keyz/config.jsonc (versioned with the store). */
import { parse, type ParseError, printParseErrorCode } from "jsonc-parser";
import { z } from "zod";
import { KeyzError } from "../errors.ts";
import { GIT_MODES } from "../git/git.ts";
import { paths } from "../sidecars/sidecars.ts";
import { readKeyzText } from "../sidecars/files.ts";

const Threshold = z.strictObject({
  min_balance: z.number().min(0).optional(),
  expiring_within_days: z.number().min(0).optional(),
  stale_after_hours: z.number().min(0).optional(),
});

export const StoreConfig = z.strictObject({
  $schema: z.string().optional(),
  git: z.enum(GIT_MODES).optional(),
  /** Defaults for `keyz check` and the browser's low-balance badge. */
  thresholds: Threshold.optional(),
  providers: z.record(z.string(), Threshold).optional(),
  keys: z.record(z.string(), Threshold).optional(),
});
export type StoreConfig = z.infer<typeof StoreConfig>;
export type Threshold = z.infer<typeof Threshold>;

export async function readStoreConfig(storeDir: string): Promise<StoreConfig> {
  const file = `${storeDir}/${paths.config}`;
  await Promise.resolve();
  const text = readKeyzText(storeDir, paths.config); // never through a link
  if (text === undefined) return {};
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true });
  if (errors.length) {
    throw new KeyzError(
      "config",
      `${file}: invalid JSONC (${printParseErrorCode(errors[0].error)})`,
      "fix the file",
    );
  }
  const r = StoreConfig.safeParse(value ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    throw new KeyzError(
      "config",
      `${file}: ${i.path.join(".") || "(top level)"}: ${i.message}`,
      "fix the file",
    );
  }
  return r.data;
}

export { thresholdFor } from "./threshold.ts";
