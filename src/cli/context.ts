/** What most commands need: the store, its sidecars, the providers and the mapping. */
import * as env from "../env.ts";
import { loadProviders, type ProviderSet } from "../providers/load.ts";
import { problemLines } from "../providers/lookup.ts";
import { PassCliStore } from "../store/pass_cli.ts";
import { noStoreError, type PassStore } from "../store/store.ts";
import { Sidecars } from "../sidecars/sidecars.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { KeyzError } from "../errors.ts";
import { normalizePassPath } from "../store/path.ts";
import { didYouMean, suggestEntries } from "../util/suggest.ts";
import { debug, warn } from "./output.ts";
import { type EntryView, viewEntry, type ViewSources } from "../view/entries.ts";
import { fileSources } from "../view/file_sources.ts";
import { escapeTerminal } from "../util/text.ts";

export interface Context {
  storeDir: string;
  /** `$XDG_CONFIG_HOME/keyz`: user manifests, trust records, browser prefs. */
  configDir: string;
  store: PassStore;
  sidecars: Sidecars;
  providers: ProviderSet;
  map: Record<string, Mapping>;
}

/** What entry views are built from, read from the files now. */
export async function sourcesOf(ctx: Context): Promise<ViewSources> {
  return await fileSources(ctx.sidecars, ctx.store, ctx.providers, ctx.configDir);
}

/** Views of some entries, read from the files now. */
export async function viewsOf(ctx: Context, paths: readonly string[]): Promise<EntryView[]> {
  const src = await sourcesOf(ctx);
  return paths.map((p) => viewEntry(src, p));
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
    for (const line of problemLines(providers.problems)) warn(`bad manifest skipped: ${line}`);
  }
  const sidecars = new Sidecars(storeDir);
  const { map, skipped } = haveStore
    ? await sidecars.readMapChecked()
    : { map: {}, skipped: [] as string[] };
  for (const line of skipped) warn(escapeTerminal(line));
  return {
    storeDir,
    configDir: env.configDir(),
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
    const all = await ctx.store.list();
    const below = all.filter((e) => e.startsWith(`${p}/`));
    if (below.length) {
      throw new KeyzError(
        "path",
        `${p} is a folder`,
        `name one of its ${below.length} entries, e.g. ${below[0]}`,
      );
    }
    throw noSuchPath(`no such entry: ${p}`, p, all, "see `keyz ls` or `pass ls` for the entries");
  }
  return p;
}

/** "no such entry: deepseek (did you mean api/deepseek/main?)", else the usual hint. */
export function noSuchPath(what: string, input: string, all: string[], hint: string): KeyzError {
  return new KeyzError("path", what, didYouMean(suggestEntries(input, all)) ?? hint);
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
      throw noSuchPath(`no such entry or folder: ${p}`, p, all, "see `keyz ls` for the entries");
    }
    below.forEach((e) => out.add(e));
  }
  return [...out];
}

/** Like expandPaths, and which of them were named one by one (not found inside a folder). */
export async function expandNamed(
  ctx: Context,
  inputs: string[],
): Promise<{ paths: string[]; named: Set<string> }> {
  const all = new Set(await ctx.store.list());
  const named = new Set<string>();
  for (const input of inputs) {
    const p = normalizePassPath(input);
    if (all.has(p)) named.add(p);
  }
  return { paths: await expandPaths(ctx, inputs), named };
}
