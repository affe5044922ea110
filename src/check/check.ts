/**
 * `keyz check` as pure logic: from key views (sidecars only) and thresholds, the issues of
 * each key. No network, no decryption, no clock other than `now`.
 */
import type { StoreConfig } from "../config/store_config.ts";
import type { KeyView } from "../view/keys.ts";

export const ISSUE_KINDS = [
  "low_balance",
  "expired",
  "expiring",
  "stale",
  "never_synced",
  "error",
  "disabled",
] as const;
export type IssueKind = typeof ISSUE_KINDS[number];

export interface Issue {
  kind: IssueKind;
  message: string;
}

/** Thresholds given on the command line (they replace the store-wide defaults). */
export interface CheckFlags {
  minBalance?: number;
  expiringWithinMs?: number;
  staleAfterMs?: number;
}

export interface EffectiveThresholds {
  min_balance: number | null;
  expiring_within_ms: number | null;
  stale_after_ms: number | null;
}

export interface KeyCheck {
  path: string;
  provider: string | null;
  state: KeyView["state"];
  thresholds: EffectiveThresholds;
  issues: Issue[];
}

const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * Most specific wins: config `keys.<path>`, the key sidecar's `low_balance`, config
 * `providers.<id>`, the manifest's `lowBalance`, the command line, config `thresholds`.
 */
export function effectiveThresholds(
  view: KeyView,
  cfg: StoreConfig,
  flags: CheckFlags,
): EffectiveThresholds {
  const key = cfg.keys?.[view.path] ?? {};
  const prov = view.mapping ? cfg.providers?.[view.mapping.provider] ?? {} : {};
  const store = cfg.thresholds ?? {};
  const days = (d: number | undefined) => d === undefined ? undefined : d * DAY;
  const hours = (h: number | undefined) => h === undefined ? undefined : h * HOUR;
  return {
    min_balance: key.min_balance ?? view.key?.low_balance ?? prov.min_balance ??
      view.provider?.manifest.lowBalance ?? flags.minBalance ?? store.min_balance ?? null,
    expiring_within_ms: days(key.expiring_within_days) ?? days(prov.expiring_within_days) ??
      flags.expiringWithinMs ?? days(store.expiring_within_days) ?? null,
    stale_after_ms: hours(key.stale_after_hours) ?? hours(prov.stale_after_hours) ??
      flags.staleAfterMs ?? hours(store.stale_after_hours) ?? null,
  };
}

/** The amount compared with min_balance: the balance, else the remaining limit. */
export function remainingAmount(view: KeyView): number | undefined {
  const m = view.account?.metadata;
  if (!m) return undefined;
  return m.balance ?? m.limit_remaining;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 0.01 ? 4 : 2);
}

function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= DAY) return `${Math.floor(abs / DAY)}d`;
  if (abs >= HOUR) return `${Math.floor(abs / HOUR)}h`;
  return `${Math.max(1, Math.floor(abs / 60_000))}m`;
}

export function checkKey(
  view: KeyView,
  cfg: StoreConfig,
  flags: CheckFlags,
  now: Date,
): KeyCheck {
  const t = effectiveThresholds(view, cfg, flags);
  const issues: Issue[] = [];
  const a = view.account;
  const meta = a?.metadata;
  for (const p of view.problems) issues.push({ kind: "error", message: `bad sidecar: ${p}` });
  if (a?.last_error) {
    issues.push({
      kind: "error",
      message: `last sync failed (${a.last_error.kind}): ${a.last_error.message}`,
    });
  }
  if (meta?.available === false) {
    issues.push({ kind: "disabled", message: "the provider says this key cannot be used" });
  }
  const amount = remainingAmount(view);
  if (t.min_balance !== null && amount !== undefined && amount < t.min_balance) {
    const cur = meta?.currency ? ` ${meta.currency}` : "";
    issues.push({
      kind: "low_balance",
      message: `balance ${fmt(amount)}${cur} is below ${fmt(t.min_balance)}${cur}`,
    });
  }
  const expires = view.key?.expires_at ?? meta?.expires_at;
  if (expires) {
    const left = Date.parse(expires) - now.getTime();
    if (left <= 0) issues.push({ kind: "expired", message: `expired ${span(left)} ago` });
    else if (t.expiring_within_ms !== null && left <= t.expiring_within_ms) {
      issues.push({ kind: "expiring", message: `expires in ${span(left)} (${expires})` });
    }
  }
  if (t.stale_after_ms !== null && view.mapping && view.state !== "unavailable") {
    if (!a) issues.push({ kind: "never_synced", message: "never synced" });
    else {
      const old = now.getTime() - Date.parse(a.last_success_at ?? a.synced_at);
      if (!a.last_success_at || old > t.stale_after_ms) {
        issues.push({
          kind: "stale",
          message: a.last_success_at
            ? `last good sync ${span(old)} ago`
            : "never synced successfully",
        });
      }
    }
  }
  return {
    path: view.path,
    provider: view.mapping?.provider ?? null,
    state: view.state,
    thresholds: t,
    issues,
  };
}

export function summarizeChecks(checks: KeyCheck[]) {
  const by_kind = Object.fromEntries(ISSUE_KINDS.map((k) => [k, 0])) as Record<IssueKind, number>;
  for (const c of checks) for (const i of c.issues) by_kind[i.kind]++;
  const attention = checks.filter((c) => c.issues.length > 0).length;
  return { checked: checks.length, attention, ok: checks.length - attention, by_kind };
}
