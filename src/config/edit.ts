/**
 * Changes keyz makes to `.keyz/config.jsonc` itself (the `ignore` list), keeping the user's
 * comments and layout: the file is edited, not rewritten (jsonc-parser's modify).
 */
import { applyEdits, modify } from "jsonc-parser";
import { paths } from "../sidecars/layout.ts";
import { writeAtomic } from "../sidecars/files.ts";
import { readStoreConfig } from "./store_config.ts";

async function configText(storeDir: string): Promise<string> {
  try {
    return await Deno.readTextFile(`${storeDir}/${paths.config}`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "{}\n";
    throw e;
  }
}

/** Set the `ignore` list (sorted, without duplicates); returns it. */
export async function writeIgnore(storeDir: string, rules: readonly string[]): Promise<string[]> {
  await readStoreConfig(storeDir); // a broken config is reported, never overwritten
  const list = [...new Set(rules)].sort();
  const text = await configText(storeDir);
  const edits = modify(text, ["ignore"], list.length ? list : undefined, {
    formattingOptions: { insertSpaces: true, tabSize: 2, eol: "\n" },
  });
  const next = applyEdits(text, edits);
  await writeAtomic(storeDir, paths.config, next.endsWith("\n") ? next : `${next}\n`);
  return list;
}
