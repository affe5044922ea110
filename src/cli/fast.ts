/**
 * The start-up path for the commands people and cron run most, `keyz ls`, `keyz browse` and
 * `keyz sync`: their plain forms are recognised here without loading commander (an ES module
 * since v14, but it imports node:events, node:child_process and node:fs, which start Deno's Node
 * compatibility layer: 50-60 ms on the 2-core test machine). Anything else, including every
 * malformed or unusual form, returns undefined and goes to the full parser in program.ts, which
 * also owns help and error messages. tests/fast_path_test.ts proves both parsers agree.
 */
import type { SortBy } from "./ls.ts";
import type { SyncFlags } from "./sync.ts";
import { GIT_MODES } from "../git/modes.ts";

export type FastCommand =
  | { command: "ls"; flags: { json?: true; all?: true; sort: SortBy; provider?: string } }
  | { command: "sync"; paths: string[]; flags: SyncFlags }
  | { command: "browse" };

const SORTS: readonly string[] = ["name", "balance", "synced"];

export function parseFast(args: readonly string[]): FastCommand | undefined {
  if (args.length === 1 && args[0] === "browse") return { command: "browse" };
  if (args[0] === "sync") return parseSync(args);
  if (args[0] !== "ls") return undefined;
  const flags: { json?: true; all?: true; sort: SortBy; provider?: string } = { sort: "name" };
  const seen = new Set<string>();
  for (let i = 1; i < args.length; i++) {
    let name = args[i];
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (name.startsWith("--") && eq > 0) [name, value] = [name.slice(0, eq), name.slice(eq + 1)];
    if (name === "-p") name = "--provider";
    if (name === "-a") name = "--all";
    if (seen.has(name)) return undefined;
    seen.add(name);
    if (name === "--json" && value === undefined) flags.json = true;
    else if (name === "--all" && value === undefined) flags.all = true;
    else if (name === "--sort" || name === "--provider") {
      value ??= args[++i];
      if (value === undefined || value === "" || value.startsWith("-")) return undefined;
      if (name === "--sort") {
        if (!SORTS.includes(value)) return undefined;
        flags.sort = value as SortBy;
      } else flags.provider = value;
    } else return undefined;
  }
  return { command: "ls", flags };
}

/**
 * `sync [paths...] [-a|--all] [--stale] [-p|--provider id] [--json] [-c|--concurrency n]
 * [--git mode]`
 */
function parseSync(args: readonly string[]): FastCommand | undefined {
  const flags: SyncFlags = { concurrency: 16 };
  const paths: string[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < args.length; i++) {
    const arg = args[i];
    if (!arg.startsWith("-")) {
      paths.push(arg);
      continue;
    }
    let name = arg;
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (name.startsWith("--") && eq > 0) [name, value] = [name.slice(0, eq), name.slice(eq + 1)];
    name = { "-a": "--all", "-p": "--provider", "-c": "--concurrency" }[name] ?? name;
    if (seen.has(name)) return undefined;
    seen.add(name);
    if ((name === "--all" || name === "--json" || name === "--stale") && value === undefined) {
      flags[name === "--all" ? "all" : name === "--json" ? "json" : "stale"] = true;
      continue;
    }
    if (name !== "--provider" && name !== "--concurrency" && name !== "--git") return undefined;
    value ??= args[++i];
    if (value === undefined || value === "" || value.startsWith("-")) return undefined;
    if (name === "--provider") flags.provider = value;
    else if (name === "--git") {
      const mode = GIT_MODES.find((m) => m === value);
      if (!mode) return undefined;
      flags.git = mode;
    } else {
      const n = Number(value);
      if (!/^\d+$/.test(value) || n < 1 || n > 256) return undefined;
      flags.concurrency = n;
    }
  }
  return { command: "sync", paths, flags };
}
