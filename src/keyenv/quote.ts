/**
 * Environment assignments in the syntax of each consumer, quoted so that the consumer reads
 * back exactly the value: POSIX sh (eval, direnv), fish, dotenv files, JSON.
 */
import { KeyzError } from "../errors.ts";
import { hasControlChars } from "../util/text.ts";
import { refusedEnvName } from "./names.ts";

export const ENV_FORMATS = ["sh", "fish", "dotenv", "json"] as const;
export type EnvFormat = typeof ENV_FORMATS[number];

export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** POSIX single quotes: everything literal; a ' closes, escapes and reopens. */
export function shQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** fish single quotes: only \\ and \' are escapes inside them. */
export function fishQuote(value: string): string {
  return `'${value.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;
}

/**
 * dotenv has no escapes that every parser agrees on, so pick a quote the value does not
 * contain: '…' (literal), then `…`, then "…" (only without backslashes, which some parsers
 * expand as \n).
 */
export function dotenvQuote(value: string, name: string): string {
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes("`")) return `\`${value}\``;
  if (!value.includes('"') && !value.includes("\\")) return `"${value}"`;
  throw new KeyzError(
    "usage",
    `the value of ${name} cannot be written as dotenv (it holds ', \` and " or \\)`,
    "use --format sh or --format json",
  );
}

export interface EnvPair {
  name: string;
  value: string;
}

/** The whole output for one format, ending in a newline (empty for no pairs, except JSON). */
export function formatEnv(pairs: EnvPair[], format: EnvFormat): string {
  for (const p of pairs) {
    if (!ENV_NAME.test(p.name)) {
      throw new KeyzError("usage", `bad environment variable name ${JSON.stringify(p.name)}`);
    }
    const refused = refusedEnvName(p.name); // the last line of defence (select.ts refuses first)
    if (refused) throw new KeyzError("usage", `keyz never sets ${p.name} (${refused})`);
    if (hasControlChars(p.value)) {
      throw new KeyzError(
        "usage",
        `the value of ${p.name} holds control characters`,
        "keys are the first line of the entry; check the entry",
      );
    }
  }
  if (format === "json") {
    return JSON.stringify(Object.fromEntries(pairs.map((p) => [p.name, p.value])), null, 2) + "\n";
  }
  const line = {
    sh: (p: EnvPair) => `export ${p.name}=${shQuote(p.value)}`,
    fish: (p: EnvPair) => `set -gx ${p.name} ${fishQuote(p.value)}`,
    dotenv: (p: EnvPair) => `${p.name}=${dotenvQuote(p.value, p.name)}`,
  }[format];
  return pairs.map((p) => line(p) + "\n").join("");
}
