/**
 * `keyz env`: decrypt the selected keys and print them as environment assignments for
 * `eval`, direnv, fish or a dotenv file. The only keyz command that prints keys, and only to
 * stdout (refused on a terminal unless --force: a key on screen ends up in scrollback).
 */
import { KeyzError } from "../errors.ts";
import { type EnvFormat, type EnvPair, formatEnv } from "../keyenv/quote.ts";
import {
  type Assignment,
  type Candidate,
  defaultEnvName,
  parseSelector,
  resolveAssignments,
} from "../keyenv/select.ts";
import { escapeTerminal } from "../util/text.ts";
import { normalizePassPath } from "../store/path.ts";
import { baseStateOf, viewEntry } from "../view/entries.ts";
import { isKeyState } from "../view/judge.ts";
import { type Context, expandPaths, openContext, sourcesOf } from "./context.ts";
import { debug, warn, writeStdout } from "./output.ts";

export interface SelectOptions {
  provider: string[];
  use: string[];
}

/** Resolve selectors (`PATH`, `FOLDER`, `NAME=PATH`, --provider, --use) to variables. */
export async function selectAssignments(
  ctx: Context,
  args: string[],
  opts: SelectOptions,
): Promise<Assignment[]> {
  if (args.length === 0 && opts.provider.length === 0 && opts.use.length === 0) {
    throw new KeyzError("usage", "no keys selected", "name entries, folders or --provider <id>");
  }
  const wanted: { path: string; name?: string; direct: boolean }[] = [];
  const all = await ctx.store.list();
  const src = await sourcesOf(ctx);
  // A folder or provider selects its keys only: never an ordinary password beside them.
  const isKey = (path: string) => isKeyState(baseStateOf(viewEntry(src, path)));
  for (const arg of args) {
    const sel = parseSelector(arg);
    const p = normalizePassPath(sel.raw);
    if (sel.name !== undefined) {
      if (!all.includes(p)) {
        throw new KeyzError(
          "path",
          `no such entry: ${p}`,
          "NAME=PATH needs one entry, not a folder",
        );
      }
      wanted.push({ path: p, name: sel.name, direct: true });
    } else {
      const direct = all.includes(p);
      for (const e of await expandPaths(ctx, [p])) {
        if (direct || isKey(e)) wanted.push({ path: e, direct });
        else debug(`left out ${e}: not a key`);
      }
    }
  }
  for (const id of opts.provider) {
    if (!ctx.providers.providers.has(id)) {
      throw new KeyzError("usage", `unknown provider ${id}`, "see `keyz providers list`");
    }
    for (const e of all) {
      const v = viewEntry(src, e);
      if (v.recognition.kind === "key" && v.recognition.provider === id && isKey(e)) {
        wanted.push({ path: e, direct: false });
      }
    }
  }
  const use = opts.use.map(normalizePassPath);
  for (const u of use) {
    if (!all.includes(u)) {
      throw new KeyzError("path", `no such entry: ${u}`, "--use takes an entry");
    }
    if (!wanted.some((w) => w.path === u)) wanted.push({ path: u, direct: true });
  }
  const views = new Map(
    [...new Set(wanted.map((w) => w.path))].map((p) => [p, viewEntry(src, p)]),
  );
  const candidates: Candidate[] = wanted.map((w) => {
    const v = views.get(w.path);
    const byDefault = defaultEnvName(v?.key?.env, v?.provider?.manifest.env);
    if (w.name === undefined) {
      for (const why of byDefault.refused) warn(`${escapeTerminal(w.path)}: ${why}`);
    }
    return {
      path: w.path,
      explicitName: w.name,
      defaultName: byDefault.name,
      direct: w.direct,
    };
  });
  const r = resolveAssignments(candidates, use);
  for (const s of r.skipped) debug(`left out ${s.path}: ${s.reason}`);
  if (r.assignments.length === 0) {
    throw new KeyzError(
      "usage",
      "none of the selected keys has a known environment variable",
      "name one: NAME=PATH",
    );
  }
  return r.assignments;
}

/** Decrypt the assigned keys (only those) into name/value pairs. */
export async function decryptAssignments(ctx: Context, list: Assignment[]): Promise<EnvPair[]> {
  const pairs: EnvPair[] = [];
  for (const a of list) {
    const entry = await ctx.store.show(a.path);
    const value = entry.key.reveal();
    if (value === "") warn(`${a.path} is empty`);
    pairs.push({ name: a.name, value });
  }
  return pairs;
}

export async function envCommand(
  args: string[],
  opts: SelectOptions & { format: EnvFormat; force?: boolean },
): Promise<number> {
  if (Deno.stdout.isTerminal() && !opts.force) {
    throw new KeyzError(
      "usage",
      "env prints keys; refusing to print them on a terminal",
      'use eval "$(keyz env ...)", redirect to a file, or pass --force',
    );
  }
  const ctx = await openContext({ quietProblems: true });
  const pairs = await decryptAssignments(ctx, await selectAssignments(ctx, args, opts));
  writeStdout(formatEnv(pairs, opts.format));
  return 0;
}
