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
  const problem = passPathProblem(p);
  if (problem) throw bad(problem);
  return p;
}

/**
 * What makes `p` no pass path by the command line's rules, or undefined when it is one. For
 * paths that come from data (map.json, sidecars), which are checked exactly as given.
 */
export function passPathProblem(p: string): string | undefined {
  if (p === "") return "empty";
  if (p.startsWith("/")) return "absolute paths are not allowed";
  const segments = p.split("/");
  if (segments.some((s) => s === "..")) return "`..` is not allowed";
  if (segments.some((s) => s === "" || s === ".")) return "empty path segment";
  if (segments.some((s) => s.startsWith("."))) return "hidden folders are not entries";
  if (hasControlChars(p)) return "control characters";
  return undefined;
}
