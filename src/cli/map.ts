/**
 * `keyz map` / `keyz unmap` / `keyz ignore` / `keyz unignore`: which entries are keys, and of
 * which provider. Mappings live in .keyz/map.json, ignore rules in .keyz/config.jsonc; every
 * change is one store write (lock, write, commit).
 */
import { KeyzError } from "../errors.ts";
import { providerByName } from "../providers/lookup.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { withStoreWrite } from "../git/store_write.ts";
import { readStoreConfig } from "../config/store_config.ts";
import { writeIgnore } from "../config/edit.ts";
import { compileGlob, globMatches } from "../util/glob.ts";
import { normalizePassPath } from "../store/path.ts";
import { recognizerOf } from "../view/entries.ts";
import { escapeTerminal } from "../util/text.ts";
import { type Context, existingEntry, openContext } from "./context.ts";
import { debug, out, outJson, warn } from "./output.ts";

export function parseParams(items: string[]): Record<string, string> {
  const params: Record<string, string> = {};
  for (const item of items) {
    const m = /^([a-z][a-z0-9_]*)=(.*)$/.exec(item);
    if (!m) {
      throw new KeyzError(
        "usage",
        `bad --param "${item}"`,
        "use --param name=value with a lower_snake_case name",
      );
    }
    params[m[1]] = m[2];
  }
  return params;
}

async function write<T>(ctx: Context, what: string, fn: () => Promise<T>): Promise<T> {
  const cfg = await readStoreConfig(ctx.storeDir);
  const r = await withStoreWrite(
    { storeDir: ctx.storeDir, what, gitMode: cfg.git ?? "commit", warn, note: debug },
    async () => ({ value: await fn(), message: `keyz: ${what}` }),
  );
  if (r.gitError) throw r.gitError;
  return r.value;
}

export async function mapCommand(
  path: string,
  provider: string,
  flags: { credential?: string; param: string[]; json?: boolean },
): Promise<number> {
  const ctx = await openContext();
  const p = await existingEntry(ctx, path);
  const loaded = providerByName(ctx.providers, provider);
  if (!loaded) {
    throw new KeyzError("usage", `unknown provider ${provider}`, "see `keyz providers list`");
  }
  const cfg = await readStoreConfig(ctx.storeDir);
  const rule = recognizerOf({ providers: ctx.providers, map: ctx.map, config: cfg }).ignoredBy(p);
  if (rule) {
    throw new KeyzError(
      "usage",
      `${p} is ignored (rule "${rule}")`,
      `keyz unignore ${rule} first`,
    );
  }
  const mapping: Mapping = { provider: loaded.manifest.id };
  if (flags.credential) mapping.credential = await existingEntry(ctx, flags.credential);
  const params = parseParams(flags.param);
  const { paramProblem } = await import("../providers/params.ts");
  for (const [name, value] of Object.entries(params)) {
    const problem = paramProblem(loaded.manifest, name, value);
    if (problem) throw new KeyzError("usage", `--param ${name}: ${problem.what}`, problem.hint);
  }
  if (Object.keys(params).length) mapping.params = params;
  await write(ctx, `map ${p} to ${mapping.provider}`, async () => {
    const map = await ctx.sidecars.readMap();
    map[p] = mapping;
    await ctx.sidecars.writeMap(map);
  });
  if (flags.json) outJson({ path: p, mapping });
  else {
    out(
      `${escapeTerminal(p)} -> ${mapping.provider}${
        mapping.credential ? ` (credential ${escapeTerminal(mapping.credential)})` : ""
      }`,
    );
  }
  return 0;
}

/**
 * Unmapping says "this is not a key": the explicit mapping goes, and an entry that would still
 * be recognised by its name (a folder called `github`) is ignored from then on.
 */
export async function unmapCommand(path: string, flags: { json?: boolean } = {}): Promise<number> {
  const ctx = await openContext();
  const p = await existingEntry(ctx, path);
  const cfg = await readStoreConfig(ctx.storeDir);
  const explicit = ctx.map[p];
  const withoutMap = recognizerOf({
    providers: ctx.providers,
    map: Object.fromEntries(Object.entries(ctx.map).filter(([k]) => k !== p)),
    config: cfg,
  }).recognize(p);
  const ignore = withoutMap.kind === "key";
  if (!explicit && !ignore) {
    throw new KeyzError("usage", `${p} is not a key keyz recognises`, `see \`keyz show ${p}\``);
  }
  await write(ctx, `unmap ${p}`, async () => {
    if (explicit) {
      const map = await ctx.sidecars.readMap();
      delete map[p];
      await ctx.sidecars.writeMap(map);
    }
    if (ignore) await writeIgnore(ctx.storeDir, [...cfg.ignore ?? [], p]);
  });
  if (flags.json) {
    outJson({ path: p, unmapped: !!explicit, ignored: ignore });
  } else {
    const shown = escapeTerminal(p);
    out(
      ignore
        ? `${shown} ${explicit ? "unmapped and " : ""}ignored (its name made it a ${
          withoutMap.kind === "key" ? withoutMap.provider : ""
        } key; keyz unignore ${shown} undoes this)`
        : `${shown} unmapped`,
    );
  }
  return 0;
}

/** Validate an ignore rule: an entry, a folder, or a glob. */
async function ignoreRule(ctx: Context, input: string): Promise<string> {
  const glob = compileGlob(input);
  if (!glob) {
    throw new KeyzError(
      "usage",
      `bad ignore rule "${input}"`,
      "give an entry, a folder or a glob such as bank/** or */github",
    );
  }
  if (glob.literal) return normalizePassPath(glob.text);
  const all = await ctx.store.list();
  if (!all.some((e) => globMatches(glob, e))) {
    throw new KeyzError("usage", `no entry matches "${glob.text}"`, "see `pass ls`");
  }
  return glob.text;
}

export async function ignoreCommand(inputs: string[], flags: { json?: boolean }): Promise<number> {
  const ctx = await openContext();
  const rules: string[] = [];
  const all = await ctx.store.list();
  for (const input of inputs) {
    const rule = await ignoreRule(ctx, input);
    if (!rule.includes("*") && !rule.includes("?")) {
      if (!all.some((e) => e === rule || e.startsWith(`${rule}/`))) {
        throw new KeyzError("path", `no such entry or folder: ${rule}`, "see `pass ls`");
      }
    }
    rules.push(rule);
  }
  const cfg = await readStoreConfig(ctx.storeDir);
  const list = await write(
    ctx,
    `ignore ${rules.join(" ")}`,
    () => writeIgnore(ctx.storeDir, [...cfg.ignore ?? [], ...rules]),
  );
  if (flags.json) outJson({ ignore: list });
  else for (const r of rules) out(`ignored ${escapeTerminal(r)}: never decrypted, not a key`);
  return 0;
}

export async function unignoreCommand(
  inputs: string[],
  flags: { json?: boolean },
): Promise<number> {
  const ctx = await openContext();
  const cfg = await readStoreConfig(ctx.storeDir);
  const have = cfg.ignore ?? [];
  const remove = new Set<string>();
  for (const input of inputs) {
    const t = compileGlob(input)?.text;
    if (t && have.includes(t)) {
      remove.add(t);
      continue;
    }
    const by = t
      ? have.find((r) => {
        const g = compileGlob(r);
        return g && globMatches(g, t);
      })
      : undefined;
    throw new KeyzError(
      "usage",
      by ? `${input} is ignored by the rule "${by}"` : `${input} is not ignored`,
      by ? `keyz unignore ${by}` : "see the ignore list in .keyz/config.jsonc",
    );
  }
  const list = await write(
    ctx,
    `unignore ${[...remove].join(" ")}`,
    () => writeIgnore(ctx.storeDir, have.filter((r) => !remove.has(r))),
  );
  if (flags.json) outJson({ ignore: list });
  else for (const r of remove) out(`no longer ignored: ${escapeTerminal(r)}`);
  return 0;
}
