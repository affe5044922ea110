import { KeyzError } from "../errors.ts";
import { hasControlChars } from "../util/text.ts";

/**
 * Check a pass path given on the command line: relative, no `..`, no empty or hidden
 * segments. Returns it without a trailing `.gpg` or slashes.
 */
export function normalizePassPath(input: string): string {
  const bad = (why: string) =>
    new KeyzError(
      "path",
      `bad pass path "${input}": ${why}`,
      "give a path as `pass ls` shows it, e.g. api/openai/main",
    );
  if (input.startsWith("/")) throw bad("absolute paths are not allowed");
  const p = input.replace(/\.gpg$/, "").replace(/\/+$/, "");
  if (p === "") throw bad("empty");
  const segments = p.split("/");
  if (segments.some((s) => s === "..")) throw bad("`..` is not allowed");
  if (segments.some((s) => s === "" || s === ".")) throw bad("empty path segment");
  if (segments.some((s) => s.startsWith("."))) throw bad("hidden folders are not entries");
  if (hasControlChars(p)) throw bad("control characters");
  return p;
}
