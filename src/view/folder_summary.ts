/**
 * `keyz show FOLDER`: what the keys below a folder add up to: how many, in which states, what
 * needs attention, and the money left per currency. Pure: views, config and clock in.
 */
import type { StoreConfig } from "../config/store_config.ts";
import { add, type Decimal, parseDecimal, toString, ZERO } from "../util/decimal.ts";
import type { EntryView } from "./entries.ts";
import { isKeyState, type IssueKind, judge, type KeyState } from "./judge.ts";
import { byName, rowOfView } from "./listing.ts";

export interface FolderSummary {
  folder: string;
  keys: number;
  /** Keys per state, e.g. {live: 3, auth: 1}. */
  states: Partial<Record<KeyState, number>>;
  /** Keys that need attention, and how many have each kind of issue. */
  attention: number;
  issues: Partial<Record<IssueKind, number>>;
  /** Money left (balance, else remaining limit) per currency, each account counted once. */
  balances: { currency: string; total: number }[];
  /** Entries below that are not keys (ordinary passwords, ignored, not a key). */
  others: number;
}

export function summarizeFolder(
  folder: string,
  views: readonly EntryView[],
  config: StoreConfig,
  now: number,
): FolderSummary {
  const s: FolderSummary = {
    folder,
    keys: 0,
    states: {},
    attention: 0,
    issues: {},
    balances: [],
    others: 0,
  };
  const totals = new Map<string, Decimal>();
  const counted = new Set<string>();
  for (const v of views) {
    const row = rowOfView(v, config);
    if (!isKeyState(row.base)) {
      s.others++;
      continue;
    }
    s.keys++;
    const j = judge(row, now);
    s.states[j.state] = (s.states[j.state] ?? 0) + 1;
    if (j.issues.length) s.attention++;
    for (const kind of new Set(j.issues.map((i) => i.kind))) {
      s.issues[kind] = (s.issues[kind] ?? 0) + 1;
    }
    // Keys sharing an account (one admin credential) share one balance.
    const account = v.accountId ?? v.path;
    if (row.remaining === undefined || !row.currency || counted.has(account)) continue;
    counted.add(account);
    const d = parseDecimal(row.remaining);
    if (d) totals.set(row.currency, add(totals.get(row.currency) ?? ZERO, d));
  }
  s.balances = [...totals].sort(([a], [b]) => byName(a, b))
    .map(([currency, d]) => ({ currency, total: Number(toString(d)) }));
  return s;
}
