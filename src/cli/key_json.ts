/** The stable JSON shape of one entry: `ls --json` items and `show --json`. */
import type { StoreConfig } from "../config/store_config.ts";
import { type EntryView, inputOf } from "../view/entries.ts";
import { age } from "../view/format.ts";
import { judge } from "../view/judge.ts";
import type { KeyOutput } from "./output_schemas.ts";

export function keyJson(v: EntryView, config: StoreConfig, now: Date): KeyOutput {
  const a = v.account;
  const r = v.recognition;
  const j = judge(inputOf(v, config), now.getTime());
  const fetched = a?.fetched_at && a.metadata ? a.fetched_at : null;
  const attempt = v.attempt;
  return {
    path: v.path,
    provider: r.kind === "key" ? r.provider : null,
    mapped: r.kind === "key" ? r.how : null,
    recognized: r.kind === "key"
      ? (r.how === "auto" ? { how: "auto", segment: r.segment } : { how: "explicit" })
      : r.kind === "ignored"
      ? { how: "ignored", rule: r.rule }
      : { how: "none" },
    credential: r.kind === "key" && r.how === "explicit" ? r.credential ?? null : null,
    params: r.kind === "key" && r.how === "explicit" ? r.params ?? {} : {},
    state: j.state,
    issues: j.issues,
    metadata: fetched ? a!.metadata : null,
    synced_at: attempt?.at ?? fetched,
    last_success_at: fetched,
    last_error: attempt?.error ? { ...attempt.error, at: attempt.at } : null,
    age: fetched ? age(fetched, now) : null,
    notes: v.key?.notes ?? null,
    tags: v.key?.tags ?? [],
    expires_at: v.key?.expires_at ?? a?.metadata?.expires_at ?? null,
    env: v.key?.env ?? v.provider?.manifest.env ?? null,
    low_balance: j.thresholds.min_balance,
    problems: v.problems,
    ...(v.record?.not_a_key
      ? { not_a_key: { provider: v.record.not_a_key.provider, at: v.record.not_a_key.at } }
      : {}),
  };
}
