/**
 * The untracked per-machine state in <store>/.keyz/state/state.json: when each account was last
 * tried and why it failed, and which entries turned out not to be keys (or not ours). It is
 * bookkeeping, not figures: git ignores it (`.keyz/.gitignore`), so a run whose only news is a
 * failure commits nothing, and two machines never conflict over attempt times.
 *
 * The file may still arrive from a teammate (forced into git), so it is read as untrusted input:
 * validated, and replaced by an empty state when it does not validate (nothing in it is needed
 * to keep figures correct; the worst loss is a forgotten backoff).
 */
import { z } from "zod";
import { FetchErrorKindSchema } from "../providers/manifest.ts";
import { Iso } from "./schema.ts";
import { readJsonSync, stableJson, writeAtomic } from "./files.ts";
import { paths } from "./layout.ts";

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

export const AttemptRecord = z.strictObject({
  /** The last attempt to fetch this account's figures. */
  at: Iso,
  /** Why the last attempt failed; absent when it succeeded. */
  error: z.strictObject({ kind: FetchErrorKindSchema, message: z.string().max(2000) }).optional(),
  /** Failed attempts in a row (`sync --stale` and autosync back off by them: sync/plan.ts). */
  failures: z.int().min(0).max(1_000_000),
  /** The first failure of those in a row ("providers unreachable since"); absent after a success. */
  failing_since: Iso.optional(),
});
export type AttemptRecord = z.infer<typeof AttemptRecord>;

/** An entry keyz decrypted and found not to be a key of the provider it was recognised as. */
const NotAKey = z.strictObject({ provider: z.string(), gpg_sha256: Sha256, at: Iso });

/** An entry `pass show` could not decrypt for lack of a secret key (a teammate's). */
const NotYours = z.strictObject({ gpg_sha256: Sha256, at: Iso });

export const EntryRecord = z.strictObject({
  not_a_key: NotAKey.optional(),
  not_yours: NotYours.optional(),
});
export type EntryRecord = z.infer<typeof EntryRecord>;

export const StateFile = z.strictObject({
  schema_version: z.literal(1),
  /** By account id. */
  accounts: z.record(z.string(), AttemptRecord),
  /** By pass path. */
  entries: z.record(z.string(), EntryRecord),
});
export type StateFile = z.infer<typeof StateFile>;

export function emptyState(): StateFile {
  return { schema_version: 1, accounts: {}, entries: {} };
}

/** The state file as it is on disk; an empty state when it is missing or does not validate. */
export function readState(storeDir: string): StateFile {
  try {
    const r = readJsonSync(storeDir, paths.state, StateFile);
    return r.ok ? r.value : emptyState();
  } catch {
    return emptyState();
  }
}

export async function writeState(storeDir: string, state: StateFile): Promise<void> {
  await writeAtomic(storeDir, paths.state, stableJson(state));
}

/**
 * Whether an entry is remembered as not a key of `provider` in its current form: a changed
 * .gpg file (a new secret) is looked at again.
 */
export function isKnownNotAKey(
  state: StateFile,
  path: string,
  provider: string,
  sha256: string | undefined,
): boolean {
  const r = state.entries[path]?.not_a_key;
  return !!r && r.provider === provider && r.gpg_sha256 === sha256;
}
