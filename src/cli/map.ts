/** `keyz map` / `keyz unmap`: link a key to a provider (and a credential) in .keyz/map.json. */
import { KeyzError } from "../errors.ts";
import { providerByName } from "../providers/load.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { acquireLock } from "../sidecars/lock.ts";
import { recordChanges } from "../git/git.ts";
import { readStoreConfig } from "../config/store_config.ts";
import { existingEntry, openContext } from "./context.ts";
import { out, warn } from "./output.ts";

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

export async function mapCommand(
  path: string,
  provider: string,
  flags: { credential?: string; param: string[] },
): Promise<number> {
  const ctx = await openContext();
  const p = await existingEntry(ctx, path);
  const loaded = providerByName(ctx.providers, provider);
  if (!loaded) {
    throw new KeyzError("usage", `unknown provider ${provider}`, "see `keyz providers list`");
  }
  const mapping: Mapping = { provider: loaded.manifest.id };
  if (flags.credential) mapping.credential = await existingEntry(ctx, flags.credential);
  const params = parseParams(flags.param);
  if (Object.keys(params).length) mapping.params = params;
  const lock = await acquireLock(ctx.storeDir, "map", { warn });
  try {
    const map = await ctx.sidecars.readMap();
    map[p] = mapping;
    await ctx.sidecars.writeMap(map);
    const cfg = await readStoreConfig(ctx.storeDir);
    await recordChanges(ctx.storeDir, cfg.git ?? "commit", `keyz: map ${p} to ${mapping.provider}`);
  } finally {
    await lock.release();
  }
  out(
    `${p} -> ${mapping.provider}${mapping.credential ? ` (credential ${mapping.credential})` : ""}`,
  );
  return 0;
}

export async function unmapCommand(path: string): Promise<number> {
  const ctx = await openContext();
  const p = await existingEntry(ctx, path);
  const lock = await acquireLock(ctx.storeDir, "unmap", { warn });
  try {
    const map = await ctx.sidecars.readMap();
    if (!map[p]) {
      throw new KeyzError("usage", `${p} has no explicit mapping`, "see `keyz show " + p + "`");
    }
    delete map[p];
    await ctx.sidecars.writeMap(map);
    const cfg = await readStoreConfig(ctx.storeDir);
    await recordChanges(ctx.storeDir, cfg.git ?? "commit", `keyz: unmap ${p}`);
  } finally {
    await lock.release();
  }
  out(`${p} unmapped`);
  return 0;
}
