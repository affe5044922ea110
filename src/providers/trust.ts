/**
 * Trust for drop-in manifests (like `direnv allow`): a manifest decides where a key is sent,
 * so a user or store manifest is used only after `keyz providers trust <id>` has recorded
 * the sha256 of its text. A changed file needs trusting again. Built-ins are always trusted.
 * Records live in the user's config folder, never in the (shared) store.
 */
import { z } from "zod";
import type { LoadedProvider, ProviderSet } from "./load.ts";

const TrustFile = z.strictObject({
  schema_version: z.literal(1),
  trusted: z.record(z.string(), z.array(z.string())),
});

function trustPath(configDir: string): string {
  return `${configDir}/trust.json`;
}

async function readTrust(configDir: string): Promise<Record<string, string[]>> {
  try {
    const r = TrustFile.safeParse(JSON.parse(await Deno.readTextFile(trustPath(configDir))));
    return r.success ? r.data.trusted : {};
  } catch {
    return {};
  }
}

export function isTrusted(p: LoadedProvider, trusted: Record<string, string[]>): boolean {
  return p.source === "built-in" || (trusted[p.manifest.id] ?? []).includes(p.hash);
}

/** Ids of loaded providers whose manifest has not been trusted in its current form. */
export async function untrustedProviders(
  set: ProviderSet,
  configDir: string,
): Promise<Set<string>> {
  const trusted = await readTrust(configDir);
  return new Set(
    [...set.providers.values()].filter((p) => !isTrusted(p, trusted)).map((p) => p.manifest.id),
  );
}

/** Record the current hash of a provider's manifest as trusted. */
export async function trustProvider(p: LoadedProvider, configDir: string): Promise<void> {
  const trusted = await readTrust(configDir);
  trusted[p.manifest.id] = [p.hash];
  await Deno.mkdir(configDir, { recursive: true });
  const tmp = `${trustPath(configDir)}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify({ schema_version: 1, trusted }, null, 2) + "\n");
  await Deno.rename(tmp, trustPath(configDir));
}
