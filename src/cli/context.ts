/** What most commands need: the store, its sidecars, the providers and the mapping. */
import * as env from "../env.ts";
import { formatProblem, loadProviders, type ProviderSet } from "../providers/load.ts";
import { PassCliStore } from "../store/pass_cli.ts";
import { noStoreError, type PassStore } from "../store/store.ts";
import { Sidecars } from "../sidecars/sidecars.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { KeyzError } from "../errors.ts";
import { normalizePassPath } from "../store/path.ts";
import { debug, warn } from "./output.ts";
import { escapeTerminal } from "../util/text.ts";

export interface Context {
  storeDir: string;
  store: PassStore;
  sidecars: Sidecars;
  providers: ProviderSet;
  map: Record<string, Mapping>;
}

async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

export async function openContext(
  opts: { quietProblems?: boolean; storeOptional?: boolean } = {},
): Promise<Context> {
  const storeDir = env.storeDir();
  const haveStore = await isDir(storeDir);
  if (!haveStore && !opts.storeOptional) {
    throw noStoreError(storeDir);
  }
  const providers = await loadProviders({
    userDir: `${env.configDir()}/providers`,
    storeDir: haveStore ? storeDir : undefined,
  });
  const bySource = Map.groupBy(providers.providers.values(), (p) => p.source);
  debug(
    `store ${storeDir}${haveStore ? "" : " (missing)"}; providers: ` +
      [...bySource].map(([source, list]) => `${list.length} ${source}`).join(", "),
  );
  if (!opts.quietProblems) {
    for (const p of providers.problems) warn(`bad manifest skipped: ${formatProblem(p)}`);
  }
  const sidecars = new Sidecars(storeDir);
  const { map, skipped } = haveStore
    ? await sidecars.readMapChecked()
    : { map: {}, skipped: [] as string[] };
  for (const line of skipped) warn(escapeTerminal(line));
  return {
    storeDir,
    store: new PassCliStore(storeDir),
    sidecars,
    providers,
    map,
  };
}

/** Validate a pass path argument and check that the entry exists. */
export async function existingEntry(ctx: Context, input: string): Promise<string> {
  const p = normalizePassPath(input);
  if (!(await ctx.store.exists(p))) {
    throw new KeyzError(
      "path",
      `no such entry: ${p}`,
      "see `keyz ls` or `pass ls` for the entries",
    );
  }
  return p;
}

/**
 * Expand path arguments: an entry stays itself, a folder becomes every entry below it.
 * Unknown paths are an error naming them.
 */
export async function expandPaths(ctx: Context, inputs: string[]): Promise<string[]> {
  const all = await ctx.store.list();
  const out = new Set<string>();
  for (const input of inputs) {
    const p = normalizePassPath(input);
    if (all.includes(p)) {
      out.add(p);
      continue;
    }
    const below = all.filter((e) => e.startsWith(`${p}/`));
    if (below.length === 0) {
      throw new KeyzError("path", `no such entry or folder: ${p}`, "see `keyz ls` for the entries");
    }
    below.forEach((e) => out.add(e));
  }
  return [...out];
}
