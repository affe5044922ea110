/**
 * `keyz check` as a projection of the judge (src/view/judge.ts): each key's issues, with the
 * command line's thresholds winning over the store's. No network, no decryption, no clock
 * other than `now`.
 */
import type { StoreConfig } from "../config/store_config.ts";
import { type EntryView, inputOf } from "../view/entries.ts";
import {
  type Issue,
  ISSUE_KINDS,
  type IssueKind,
  judge,
  type Judgement,
  type KeyState,
  type Thresholds,
} from "../view/judge.ts";

export { type Issue, ISSUE_KINDS, type IssueKind };

/** Thresholds given on the command line: they win over every threshold of the store. */
export interface CheckFlags {
  minBalance?: number;
  expiringWithinMs?: number;
  staleAfterMs?: number;
}

export interface KeyCheck {
  path: string;
  provider: string | null;
  state: KeyState;
  thresholds: Judgement["thresholds"];
  issues: Issue[];
}

export function commandLineThresholds(flags: CheckFlags): Thresholds {
  const t: Thresholds = {};
  if (flags.minBalance !== undefined) t.min_balance = flags.minBalance;
  if (flags.expiringWithinMs !== undefined) t.expiring_within_ms = flags.expiringWithinMs;
  if (flags.staleAfterMs !== undefined) t.stale_after_ms = flags.staleAfterMs;
  return t;
}

export function checkKey(
  view: EntryView,
  cfg: StoreConfig,
  flags: CheckFlags,
  now: Date,
): KeyCheck {
  const j = judge(inputOf(view, cfg), now.getTime(), commandLineThresholds(flags));
  return {
    path: view.path,
    provider: view.recognition.kind === "key" ? view.recognition.provider : null,
    state: j.state,
    thresholds: j.thresholds,
    issues: j.issues,
  };
}

export function summarizeChecks(checks: KeyCheck[]) {
  const by_kind = Object.fromEntries(ISSUE_KINDS.map((k) => [k, 0])) as Record<IssueKind, number>;
  for (const c of checks) for (const i of c.issues) by_kind[i.kind]++;
  const attention = checks.filter((c) => c.issues.length > 0).length;
  return { checked: checks.length, attention, ok: checks.length - attention, by_kind };
}
