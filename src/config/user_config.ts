/**
 * The user's own settings in `$XDG_CONFIG_HOME/keyz/config.jsonc` (default
 * `~/.config/keyz/config.jsonc`), for every store. Trusted (the user wrote it), unlike the store
 * config, which arrives with the store: either can turn autosync off, neither can force it on.
 */
import { z } from "zod";
import { parseConfigText } from "./jsonc.ts";

export const UserConfig = z.strictObject({
  $schema: z.string().optional(),
  /** `false`: the browser never syncs by itself, in any store (`a` cannot turn it on). */
  autosync: z.boolean().optional(),
});
export type UserConfig = z.infer<typeof UserConfig>;

export function userConfigFile(configDir: string): string {
  return `${configDir}/config.jsonc`;
}

/** The user config; `{}` when there is none. A file that does not validate is a KeyzError. */
export async function readUserConfig(configDir: string): Promise<UserConfig> {
  const file = userConfigFile(configDir);
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return {};
    throw e;
  }
  return parseConfigText(file, text, UserConfig);
}
