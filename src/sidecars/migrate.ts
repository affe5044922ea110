/**
 * Upgrades of older sidecar formats to the current SCHEMA_VERSION, applied before validation
 * (every reader in sidecars.ts goes through `migrating()`), one version at a time. Pure.
 *
 * Version 0 is the pre-release format, recognised by the absence of `schema_version`:
 *   account: { account, provider, figures: {...metadata} | null, synced_at,
 *              last_success_at?, error?: {kind, message, at} }
 *   key:     { path, provider?, account?, notes?, tags?: "a, b" | string[], expires?: iso, env? }
 *   map:     { "<pass path>": "<provider>" | { provider, credential?, params? } }   (flat)
 * Version 1 recorded attempts in the account file:
 *   account: { schema_version: 1, account, provider, metadata | null, synced_at,
 *              last_success_at | null, last_error | null }
 * Version 2 keeps only the figures and when they were fetched (attempts and errors moved to the
 * untracked state file); key and map files are unchanged apart from the version.
 * A file from a newer keyz is refused with a message saying so, never rewritten.
 */
import { z } from "zod";
import { SCHEMA_VERSION } from "./schema.ts";

export type SidecarKind = "account" | "key" | "map";

type Raw = Record<string, unknown>;

function isObject(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function withoutUndefined(o: Raw): Raw {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const fromV0: Record<SidecarKind, (raw: Raw) => Raw> = {
  account: (raw) => {
    const { figures, error, ...rest } = raw;
    return withoutUndefined({
      ...rest,
      schema_version: 1,
      metadata: figures ?? null,
      last_success_at: raw.last_success_at ?? (figures ? raw.synced_at : null),
      last_error: error ?? null,
    });
  },
  key: (raw) => {
    const { expires, tags, ...rest } = raw;
    return withoutUndefined({
      ...rest,
      schema_version: 1,
      expires_at: raw.expires_at ?? expires,
      tags: typeof tags === "string" ? tags.split(",").map((t) => t.trim()).filter(Boolean) : tags,
    });
  },
  map: (raw) => ({
    schema_version: 1,
    keys: Object.fromEntries(
      Object.entries(raw).map(([path, m]) => [path, typeof m === "string" ? { provider: m } : m]),
    ),
  }),
};

const fromV1: Record<SidecarKind, (raw: Raw) => Raw> = {
  account: (raw) => {
    const { synced_at: _attempted, last_error: _error, last_success_at, metadata, ...rest } = raw;
    const good = typeof last_success_at === "string" && metadata != null;
    return {
      ...rest,
      schema_version: 2,
      metadata: good ? metadata : null,
      fetched_at: good ? last_success_at : null,
    };
  },
  key: (raw) => ({ ...raw, schema_version: 2 }),
  map: (raw) => ({ ...raw, schema_version: 2 }),
};

const UPGRADES: Record<number, Record<SidecarKind, (raw: Raw) => Raw>> = { 0: fromV0, 1: fromV1 };

export type MigrateResult =
  | { ok: true; value: unknown; from: number }
  | { ok: false; message: string };

/** Bring a parsed sidecar up to the current version; `from` is the version it had. */
export function migrateSidecar(kind: SidecarKind, raw: unknown): MigrateResult {
  if (!isObject(raw)) return { ok: true, value: raw, from: SCHEMA_VERSION };
  const v = raw.schema_version ?? 0;
  if (typeof v === "number" && Number.isInteger(v) && v > SCHEMA_VERSION) {
    return {
      ok: false,
      message:
        `written by a newer keyz (schema_version ${v}; this keyz reads ${SCHEMA_VERSION}): upgrade keyz`,
    };
  }
  if (typeof v !== "number" || !(v in UPGRADES)) {
    return { ok: true, value: raw, from: SCHEMA_VERSION };
  }
  let value = raw;
  for (let at = v; at < SCHEMA_VERSION; at++) value = UPGRADES[at][kind](value);
  return { ok: true, value, from: v };
}

/** A schema that migrates its input first: the hook used by every sidecar reader. */
export function migrating<T>(kind: SidecarKind, schema: z.ZodType<T>): z.ZodType<T> {
  return z.preprocess((raw, ctx) => {
    const r = migrateSidecar(kind, raw);
    if (r.ok) return r.value;
    ctx.addIssue({ code: "custom", message: r.message, path: ["schema_version"] });
    return z.NEVER;
  }, schema) as unknown as z.ZodType<T>;
}
