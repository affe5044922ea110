/**
 * What the browser remembers between runs (folder expansion, sort), per store, in the user's
 * config dir (`<config>/browse.json`), never in the store.
 */
import { z } from "zod";
import { type SortBy, SORTS } from "./state.ts";

const StorePrefs = z.object({
  expanded: z.array(z.string()).default([]),
  sort: z.enum(SORTS as [SortBy, ...SortBy[]]).optional(),
});
const PrefsFile = z.object({
  schema_version: z.literal(1),
  stores: z.record(z.string(), StorePrefs),
});
export type StorePrefs = z.infer<typeof StorePrefs>;
type PrefsFile = z.infer<typeof PrefsFile>;

export function prefsPath(configDir: string): string {
  return `${configDir}/browse.json`;
}

async function readFile(configDir: string): Promise<PrefsFile> {
  try {
    const r = PrefsFile.safeParse(JSON.parse(await Deno.readTextFile(prefsPath(configDir))));
    if (r.success) return r.data;
  } catch { /* missing or unreadable: start afresh */ }
  return { schema_version: 1, stores: {} };
}

/** The remembered prefs of one store, or undefined on a first run. */
export async function readPrefs(
  configDir: string,
  storeDir: string,
): Promise<StorePrefs | undefined> {
  return (await readFile(configDir)).stores[storeDir];
}

export async function writePrefs(
  configDir: string,
  storeDir: string,
  prefs: StorePrefs,
): Promise<void> {
  const file = await readFile(configDir);
  file.stores[storeDir] = {
    expanded: [...prefs.expanded].sort(),
    ...(prefs.sort ? { sort: prefs.sort } : {}),
  };
  await Deno.mkdir(configDir, { recursive: true });
  const tmp = `${prefsPath(configDir)}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(file, null, 2) + "\n");
  await Deno.rename(tmp, prefsPath(configDir));
}
