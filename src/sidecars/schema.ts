/**
 * Plaintext sidecar files under <store>/.keyz/. No secret is ever stored in any of them.
 *
 *   .keyz/map.json                         mapping registry: pass path -> provider (+credential, params)
 *   .keyz/keys/<pass path>.json            key-level data: account link, notes, tags, expiry, env var
 *   .keyz/accounts/<provider>/<who>.json   account-level figures, shared by every key of one account
 *   .keyz/history/<pass path>.jsonl        append-only, one line per successful sync of the key
 *
 * Git records figures, not attempts: when a sync was last tried and why it failed is kept in the
 * untracked state file (state.ts), so a run whose only news is a failure commits nothing.
 */
import { z } from "zod";
import { FetchErrorKindSchema, FigureKind } from "../providers/manifest.ts";

import { SCHEMA_VERSION } from "./layout.ts";
export { SCHEMA_VERSION };

/** A UTC timestamp that is a real date (whatever keyz writes, it can read back). */
export const Iso = z.string().regex(
  /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/,
  "must be a UTC timestamp such as 2026-01-31T12:00:00Z",
).refine((s) => !Number.isNaN(Date.parse(s)), "must be a real date");
const Money = z.number().refine(Number.isFinite, "must be a finite number");

/** The normalized figures of one account, as printed by `keyz sync --json` and `keyz show`. */
export const Metadata = z.strictObject({
  kind: FigureKind,
  balance: Money.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  credits_total: Money.optional(),
  credits_used: Money.optional(),
  spend: Money.optional(),
  spend_window: z.string().optional(),
  limit: Money.optional(),
  limit_remaining: Money.optional(),
  quota_used_percent: Money.optional(),
  quota_resets_at: Iso.optional(),
  expires_at: Iso.optional(),
  label: z.string().optional(),
  plan: z.string().optional(),
  account_id: z.string().optional(),
  available: z.boolean().optional(),
  /** A key check answered: the key works (there is no figure to show). */
  key_valid: z.boolean().optional(),
  reason: z.string().optional(),
  dashboard: z.string().optional(),
});
export type Metadata = z.infer<typeof Metadata>;

export const LastError = z.strictObject({
  kind: FetchErrorKindSchema,
  message: z.string(),
  at: Iso,
});
export type LastError = z.infer<typeof LastError>;

/**
 * The last good figures of one account and when they were fetched. Written only by a successful
 * sync; a failure leaves the file as it was (and is recorded in the state file). `null`s only
 * come from migrating a v1 file that never had a good figure.
 */
export const AccountSidecar = z.strictObject({
  schema_version: z.literal(SCHEMA_VERSION),
  account: z.string(),
  provider: z.string(),
  metadata: Metadata.nullable(),
  fetched_at: Iso.nullable(),
});
export type AccountSidecar = z.infer<typeof AccountSidecar>;

export const KeySidecar = z.strictObject({
  schema_version: z.literal(SCHEMA_VERSION),
  path: z.string(),
  provider: z.string().optional(),
  account: z.string().optional(),
  notes: z.string().optional(),
  tags: z.array(z.string()).optional(),
  expires_at: Iso.optional(),
  env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  low_balance: z.number().min(0).optional(),
  /**
   * sha256 of the entry's .gpg file when keyz last saw it: `pass mv` keeps the ciphertext, so an
   * orphaned sidecar finds the entry it moved to.
   */
  gpg_sha256: z.string().regex(/^[0-9a-f]{64}$/).optional(),
});
export type KeySidecar = z.infer<typeof KeySidecar>;

export const Mapping = z.strictObject({
  provider: z.string(),
  credential: z.string().optional(),
  params: z.record(z.string(), z.string()).optional(),
});
export type Mapping = z.infer<typeof Mapping>;

export const MapFile = z.strictObject({
  schema_version: z.literal(SCHEMA_VERSION),
  keys: z.record(z.string(), Mapping),
});
export type MapFile = z.infer<typeof MapFile>;

export const HistoryLine = z.strictObject({
  at: Iso,
  status: z.enum(["ok", "error"]),
  provider: z.string(),
  kind: FigureKind.optional(),
  balance: Money.optional(),
  spend: Money.optional(),
  limit_remaining: Money.optional(),
  quota_used_percent: Money.optional(),
  currency: z.string().optional(),
  error: FetchErrorKindSchema.optional(),
});
export type HistoryLine = z.infer<typeof HistoryLine>;
