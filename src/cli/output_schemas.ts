/**
 * The documented shapes of every `--json` output, as zod schemas. `deno task schema` writes
 * them to schema/output/<name>.schema.json; tests parse each command's real output with them.
 * Changing a shape is a breaking change for scripts: add fields, never rename or remove.
 */
import { z } from "zod";
import { FetchErrorKindSchema } from "../providers/manifest.ts";
import { LastError, Metadata } from "../sidecars/schema.ts";
import { ISSUE_KINDS, KEY_STATES } from "../view/judge.ts";
import { DoctorCheck } from "../doctor/checks.ts";

const Iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
const KeyState = z.enum(KEY_STATES).describe(
  "live, stale: figures and their age; never: not synced yet; unavailable: no account API; " +
    "network, auth, provider, config: the last sync failed (figures are the last good ones); " +
    "not_a_key, not_yours, untrusted: recognised but not synced; ignored, other: not keys",
);
const IssueKind = z.enum(ISSUE_KINDS);
const Issue = z.strictObject({ kind: IssueKind, message: z.string() });

/** One key, as in `keyz ls --json` items and `keyz show --json`. */
export const KeyOutput = z.strictObject({
  path: z.string(),
  provider: z.string().nullable(),
  mapped: z.enum(["explicit", "auto"]).nullable(),
  /** How keyz recognised the entry (see `keyz help keys`). */
  recognized: z.discriminatedUnion("how", [
    z.strictObject({ how: z.literal("explicit") }),
    z.strictObject({ how: z.literal("auto"), segment: z.string() }),
    z.strictObject({ how: z.literal("ignored"), rule: z.string() }),
    z.strictObject({ how: z.literal("none") }),
  ]),
  credential: z.string().nullable(),
  params: z.record(z.string(), z.string()),
  state: KeyState,
  /** What needs attention, as `keyz check` reports it. */
  issues: z.array(Issue),
  metadata: Metadata.nullable(),
  synced_at: Iso.nullable(),
  last_success_at: Iso.nullable(),
  last_error: LastError.nullable(),
  age: z.string().nullable(),
  notes: z.string().nullable(),
  tags: z.array(z.string()),
  expires_at: Iso.nullable(),
  env: z.string().nullable(),
  /**
   * The balance below which the key needs attention, in judge.ts's order (the key sidecar,
   * the store config's key and provider entries, the manifest, the store-wide setting); null:
   * only a used-up balance does.
   */
  low_balance: z.number().nullable(),
  problems: z.array(z.string()),
  /** The entry was decrypted by a sync and is not a key of this provider. */
  not_a_key: z.strictObject({ provider: z.string(), at: Iso }).optional(),
});

export type KeyOutput = z.infer<typeof KeyOutput>;

export const LsOutput = z.strictObject({
  keys: z.array(KeyOutput),
  /** Entries that are not keys, counted (listed with `ls --all`). */
  others: z.strictObject({ other: z.int(), ignored: z.int(), not_a_key: z.int() }).optional(),
});
export const ShowOutput = KeyOutput;

/** `keyz show FOLDER --json`: what the keys below a folder add up to. */
export const ShowFolderOutput = z.strictObject({
  folder: z.string(),
  keys: z.int(),
  states: z.partialRecord(KeyState, z.int()),
  /** Keys with at least one issue, and how many keys have each kind. */
  attention: z.int(),
  issues: z.partialRecord(IssueKind, z.int()),
  /** Money left per currency (balance, else remaining limit), each account counted once. */
  balances: z.array(z.strictObject({ currency: z.string(), total: z.number() })),
  /** Entries below that are not keys. */
  others: z.int(),
});

const SyncStatus = z.enum(["ok", "error", "skipped", "unsupported", "not_a_key", "not_yours"])
  .describe(
    "ok; error (the last good figures are kept); unsupported (no account API); not_a_key (the " +
      "secret does not have the provider's key shape: nothing was sent); not_yours (encrypted " +
      "for someone else's key); skipped (see reason)",
  );
const SkipReason = z.enum([
  "other",
  "ignored",
  "not_a_key",
  "not_yours",
  "untrusted",
  "unknown_provider",
  "fresh",
  "backoff",
]);
export const SyncOutput = z.strictObject({
  results: z.array(z.strictObject({
    path: z.string(),
    provider: z.string().nullable(),
    status: SyncStatus,
    error: z.strictObject({
      kind: FetchErrorKindSchema,
      class: z.enum(["network", "auth", "provider", "config"]),
      message: z.string(),
    }).optional(),
    reason: SkipReason.optional(),
    /** Why, in a sentence, where the reason alone does not say it. */
    note: z.string().optional(),
    metadata: Metadata.extend({
      synced_at: Iso,
      last_success_at: Iso.nullable(),
      status: z.enum(["live", "error"]),
    }).nullable(),
    warnings: z.array(z.string()).optional(),
  })),
  summary: z.strictObject({
    ok: z.int(),
    error: z.int(),
    skipped: z.int(),
    unsupported: z.int(),
    not_a_key: z.int(),
    not_yours: z.int(),
    /** Entries that are not keys (ordinary passwords, ignored): not listed in results. */
    other_entries: z.int(),
    /** `--stale`: keys synced within their refresh interval, left alone. */
    fresh: z.int(),
    /** `--stale`: failing keys waiting out their backoff, left alone. */
    backing_off: z.int(),
  }),
});

/** `keyz discover --json`: what decrypting the entries that are not keys yet found. */
export const DiscoverOutput = z.strictObject({
  /** The folder (or entry) given, or null for the whole store. */
  folder: z.string().nullable(),
  /** Entries that were not keys yet (neither mapped, named after a provider, nor ignored). */
  looked_at: z.int(),
  /** Keys exactly one provider's documented shape accepts: the mappings proposed. */
  proposals: z.array(z.strictObject({
    path: z.string(),
    provider: z.string(),
    last4: z.string().nullable().describe("the key's last 4 characters (null for short keys)"),
  })),
  /** Keys several providers' documented shapes accept: not proposed. */
  ambiguous: z.array(z.strictObject({
    path: z.string(),
    providers: z.array(z.string()),
    last4: z.string().nullable(),
  })),
  /** Decrypted entries without a documented key shape (ordinary passwords). */
  not_keys: z.int(),
  /** Encrypted only for someone else's key: not decrypted. */
  not_yours: z.int(),
  failed: z.array(z.strictObject({ path: z.string(), message: z.string() })),
  /** The entries mapped by this run (--apply). */
  applied: z.array(z.string()),
});

export const CheckOutput = z.strictObject({
  ok: z.boolean().describe("true when no key needs attention (exit code 0)"),
  checked_at: Iso,
  summary: z.strictObject({
    checked: z.int(),
    attention: z.int(),
    ok: z.int(),
    by_kind: z.record(IssueKind, z.int()),
  }),
  keys: z.array(z.strictObject({
    path: z.string(),
    provider: z.string().nullable(),
    state: KeyState,
    thresholds: z.strictObject({
      min_balance: z.number().nullable(),
      expiring_within_ms: z.number().nullable(),
      stale_after_ms: z.number().nullable(),
    }),
    issues: z.array(Issue),
  })),
});

export const ProvidersListOutput = z.strictObject({
  providers: z.array(z.strictObject({
    id: z.string(),
    name: z.string(),
    source: z.enum(["built-in", "user", "store"]),
    kind: z.enum(["balance", "spend", "quota", "unavailable"]),
    key_type: z.string(),
    credential: z.string().nullable(),
    hosts: z.array(z.string()),
    aliases: z.array(z.string()),
    env: z.string().nullable(),
    trusted: z.boolean(),
    file: z.string(),
  })),
  problems: z.array(z.string()),
});

/** `keyz providers trust ID --json`: what the manifest would receive, and whether it is trusted. */
export const ProvidersTrustOutput = z.strictObject({
  id: z.string(),
  source: z.enum(["built-in", "user", "store"]),
  file: z.string(),
  /** The https hosts the manifest sends keys to. */
  hosts: z.array(z.string()),
  /** Only a secret whose first line matches this is ever sent. */
  key_pattern: z.string(),
  /** Every entry of the store it would receive (none for a built-in). */
  keys: z.array(z.strictObject({
    path: z.string(),
    role: z.enum(["key", "credential"]),
    how: z.enum(["explicit", "auto"]),
  })),
  trusted: z.boolean(),
});

/** `keyz env --format json`: variable name to key. */
export const EnvOutput = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string());

/** `keyz history --json`: every recorded headline figure of one key. */
export const HistoryOutput = z.strictObject({
  path: z.string(),
  provider: z.string().nullable(),
  figure: z.enum(["balance", "spend", "quota"]).nullable(),
  currency: z.string().nullable(),
  points: z.array(z.strictObject({
    at: Iso,
    value: z.number(),
    source: z.enum(["history", "git"]),
  })),
  failed_syncs: z.int().min(0),
  burn_per_day: z.number().nullable(),
  runs_out_at: z.string().nullable(),
});

/** `keyz doctor --json`: each check with what to do. */
export const DoctorOutput = z.strictObject({ healthy: z.boolean(), checks: z.array(DoctorCheck) });

/** `keyz map --json`: the mapping written. */
export const MapOutput = z.strictObject({
  path: z.string(),
  mapping: z.strictObject({
    provider: z.string(),
    credential: z.string().optional(),
    params: z.record(z.string(), z.string()).optional(),
  }),
});

/** `keyz unmap --json`: whether an explicit mapping went, and whether the entry is now ignored. */
export const UnmapOutput = z.strictObject({
  path: z.string(),
  unmapped: z.boolean(),
  ignored: z.boolean(),
});

/** `keyz ignore --json` and `keyz unignore --json`: the store's ignore rules afterwards. */
export const IgnoreOutput = z.strictObject({ ignore: z.array(z.string()) });

/** `keyz edit --json`: the key's edited fields after the edit (null: not set). */
export const EditOutput = z.strictObject({
  path: z.string(),
  changed: z.array(z.enum(["notes", "tags", "expires_at", "env", "low_balance"])),
  /** Whether a git commit recorded it (false: unchanged, or the store's git mode is not commit). */
  committed: z.boolean(),
  key: z.strictObject({
    notes: z.string().nullable(),
    tags: z.array(z.string()),
    expires_at: Iso.nullable(),
    env: z.string().nullable(),
    low_balance: z.number().nullable(),
  }),
});

export const OUTPUT_SCHEMAS = {
  check: CheckOutput,
  discover: DiscoverOutput,
  doctor: DoctorOutput,
  edit: EditOutput,
  history: HistoryOutput,
  ignore: IgnoreOutput,
  map: MapOutput,
  "show-folder": ShowFolderOutput,
  unmap: UnmapOutput,
  env: EnvOutput,
  ls: LsOutput,
  "providers-list": ProvidersListOutput,
  "providers-trust": ProvidersTrustOutput,
  show: ShowOutput,
  sync: SyncOutput,
} as const;

/** schema/output/<name>.schema.json for each output (draft 2020-12). */
export function outputSchemaFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, schema] of Object.entries(OUTPUT_SCHEMAS)) {
    const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "output" });
    files[`schema/output/${name}.schema.json`] = JSON.stringify(
      {
        ...json,
        $id: `https://keyz.invalid/schema/output/${name}.schema.json`,
        title: `keyz ${name.replace("-", " ")} --json`,
      },
      null,
      2,
    ) + "\n";
  }
  return files;
}
