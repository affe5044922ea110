/**
 * A config file's JSONC text to a validated value (the store config, the user config): nesting
 * bounded before parsing (trust rule 5), then zod; every error is one line naming the file.
 */
import { parse, type ParseError, printParseErrorCode } from "jsonc-parser";
import type { z } from "zod";
import { KeyzError } from "../errors.ts";
import { depthExceededAt } from "../util/jsonc_depth.ts";

/** Deepest nesting a config file may have (they need 3); checked before parsing. */
export const MAX_CONFIG_DEPTH = 16;

export function parseConfigText<T extends z.ZodType>(
  file: string,
  text: string,
  schema: T,
): z.infer<T> {
  if (depthExceededAt(text, MAX_CONFIG_DEPTH) !== undefined) {
    throw new KeyzError(
      "config",
      `${file}: nested deeper than ${MAX_CONFIG_DEPTH} levels`,
      "fix the file",
    );
  }
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true });
  if (errors.length) {
    throw new KeyzError(
      "config",
      `${file}: invalid JSONC (${printParseErrorCode(errors[0].error)})`,
      "fix the file",
    );
  }
  const r = schema.safeParse(value ?? {});
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
