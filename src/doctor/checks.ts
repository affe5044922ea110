/** The pure parts of `keyz doctor`: check results and the verdict on one sidecar file. */
import { z } from "zod";
import type { ProviderSet } from "../providers/load.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { AccountSidecar, KeySidecar, MapFile } from "../sidecars/schema.ts";
import { migrating, type SidecarKind } from "../sidecars/migrate.ts";
import { parseJsonText, type ReadResult, stableJson } from "../sidecars/files.ts";
import { hasConflictMarkers, resolveConflictedJson } from "../sidecars/conflict.ts";

export const CheckStatus = z.enum(["ok", "info", "warn", "fail"]);
export type CheckStatus = z.infer<typeof CheckStatus>;

/** One doctor finding (also the item of `keyz doctor --json`). */
export const DoctorCheck = z.strictObject({
  /** Stable id of the check, e.g. "pass", "git", "sidecar". */
  id: z.string(),
  status: CheckStatus,
  message: z.string(),
  /** What to do about it. */
  hint: z.string().optional(),
  /** The file concerned, relative to the store when inside it. */
  file: z.string().optional(),
  /** Set when `--fix` repaired it (status then says what it was). */
  fixed: z.boolean().optional(),
});
export type Check = z.infer<typeof DoctorCheck>;

/** Whether a set of checks needs the user's attention (exit 1). */
export function needsAttention(checks: Check[]): boolean {
  return checks.some((c) => (c.status === "warn" || c.status === "fail") && !c.fixed);
}

/** Explicit mappings that point nowhere: a missing entry, provider or credential. */
export function mappingChecks(
  map: Record<string, Mapping>,
  entries: ReadonlySet<string>,
  providers: ProviderSet,
): Check[] {
  const out: Check[] = [];
  for (const [path, m] of Object.entries(map).sort(([a], [b]) => a.localeCompare(b))) {
    if (!entries.has(path)) {
      out.push({
        id: "mapping",
        status: "warn",
        message: `${path} is mapped to ${m.provider} but there is no such entry`,
        hint: `keyz unmap ${path}`,
      });
    }
    if (!providers.providers.has(m.provider)) {
      out.push({
        id: "mapping",
        status: "warn",
        message: `${path} is mapped to provider ${m.provider}, which is not loaded`,
        hint: `see \`keyz providers list\`; map it again with \`keyz map ${path} <provider>\``,
      });
    }
    if (m.credential && !entries.has(m.credential)) {
      out.push({
        id: "credential",
        status: "fail",
        message: `${path} uses credential ${m.credential}, which is not in the store`,
        hint: `insert it with \`pass insert ${m.credential}\` or re-map with another --credential`,
      });
    }
  }
  return out;
}

const schemas: Record<SidecarKind, z.ZodType<unknown>> = {
  account: AccountSidecar,
  key: KeySidecar,
  map: MapFile,
};

export type SidecarVerdict =
  | { state: "ok" }
  | { state: "old"; upgraded: string }
  | { state: "conflicted"; repaired: string }
  | { state: "broken"; message: string; conflicted: boolean };

function errorText(r: ReadResult<unknown>): string {
  return !r.ok && !r.missing ? r.error.message : "unreadable";
}

/** What is wrong with one sidecar's text and, if it can be repaired, its repaired text. */
export function judgeSidecar(kind: SidecarKind, text: string, file: string): SidecarVerdict {
  const current = parseJsonText(text, file, schemas[kind]);
  if (current.ok) return { state: "ok" };
  const conflicted = hasConflictMarkers(text);
  const value = conflicted ? resolveConflictedJson(text) : undefined;
  const source = conflicted ? (value === undefined ? undefined : JSON.stringify(value)) : text;
  if (source !== undefined) {
    const migrated = parseJsonText(source, file, migrating(kind, schemas[kind]));
    if (migrated.ok) {
      return conflicted
        ? { state: "conflicted", repaired: stableJson(migrated.value) }
        : { state: "old", upgraded: stableJson(migrated.value) };
    }
    if (!conflicted) return { state: "broken", message: errorText(migrated), conflicted };
  }
  return {
    state: "broken",
    message: conflicted
      ? `${file} has git conflict markers keyz cannot resolve`
      : errorText(current),
    conflicted,
  };
}
