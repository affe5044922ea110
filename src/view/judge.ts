/**
 * How a key is judged: the one place that turns what is known about a key into its state and
 * the issues that need attention. Pure: facts, thresholds and the clock in; a judgement out.
 * The browser's badges, `keyz ls`, `show`, `check` and the Prometheus output are projections
 * of it, so they cannot disagree.
 *
 * Thresholds, most authoritative first (the first that is set wins):
 *   min_balance:     the command line (`check --min-balance`), the key sidecar's low_balance
 *                    (`keyz edit --low-balance`, the browser), config keys.<path>, config
 *                    providers.<id>, the manifest's lowBalance, config thresholds.
 *   expiring_within: the command line, config keys.<path>, providers.<id>, thresholds, then
 *                    DEFAULT_EXPIRING_DAYS (for check too).
 *   stale_after:     the command line, config keys.<path>, providers.<id>, thresholds; unset
 *                    means figures never count as too old for `check`.
 * A balance (or remaining limit) at or below zero is low even without a threshold: the key
 * cannot pay for anything.
 */
import type { FetchErrorKind } from "../errors.ts";

export const DEFAULT_EXPIRING_DAYS = 14;
const DAY = 86_400_000;
const HOUR = 3_600_000;

/**
 * A key's state without the clock. `fresh`: it has figures and the last attempt did not fail
 * (live or stale once the clock is known). The error classes mean the last attempt failed;
 * the figures, if any, are the last good ones.
 */
export type BaseState = Exclude<KeyState, "live" | "stale"> | "fresh";

export const KEY_STATES = [
  "live",
  "stale",
  "never",
  "unavailable",
  "network",
  "auth",
  "provider",
  "config",
  "not_a_key",
  "not_yours",
  "untrusted",
  "ignored",
  "other",
] as const;
export type KeyState = typeof KEY_STATES[number];

/** What a user can do about a failure: the network, the key, the provider, or the setup. */
export type ErrorClass = "network" | "auth" | "provider" | "config";
export const ERROR_CLASSES: readonly ErrorClass[] = ["network", "auth", "provider", "config"];

export function errorClassOf(kind: FetchErrorKind): ErrorClass {
  switch (kind) {
    case "network":
    case "timeout":
      return "network";
    case "auth":
    case "forbidden":
      return "auth";
    case "config":
      return "config";
    default:
      return "provider";
  }
}

/** A Set, not `includes`: judged once per row on every listing of 10,000 keys. */
const ERROR_CLASS_SET: ReadonlySet<string> = new Set(ERROR_CLASSES);

export function isErrorState(s: KeyState | BaseState): s is ErrorClass {
  return ERROR_CLASS_SET.has(s);
}

/** States of entries that are not keys keyz syncs (kept out of key listings and checks). */
export function isKeyState(s: KeyState | BaseState): boolean {
  return s !== "not_a_key" && s !== "ignored" && s !== "other";
}

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

export interface Thresholds {
  min_balance?: number;
  expiring_within_ms?: number;
  stale_after_ms?: number;
}

/** The facts judge() needs: no clock in them, so they can be cached (the listing). */
export interface JudgeInput {
  base: BaseState;
  /** When the figures shown were fetched (epoch ms). */
  fetchedMs?: number;
  /** Live until the figures are this old; stale after. */
  refreshMs: number;
  /** The balance, else the remaining limit: what min_balance is compared with. */
  remaining?: number;
  currency?: string;
  expiresAt?: string;
  /** The provider says the key cannot be used. */
  disabled?: boolean;
  /** Thresholds from the store (sidecar, config, manifest), resolved by thresholdsFrom. */
  thresholds: Thresholds;
  /** The last failure (for messages); the class is in `base`. */
  error?: { kind: string; message: string };
  /** Sidecars that could not be read, as one-line messages. */
  problems?: readonly string[];
}

export interface Judgement {
  state: KeyState;
  /** Every threshold that applied, after the command line. */
  thresholds: Required<{ [K in keyof Thresholds]: number | null }>;
  issues: Issue[];
}

/** The store's thresholds for a key, in the documented order (the command line comes later). */
export function thresholdsFrom(sources: {
  sidecarLowBalance?: number;
  key?: StoreThreshold;
  provider?: StoreThreshold;
  manifestLowBalance?: number;
  store?: StoreThreshold;
}): Thresholds {
  const { key = {}, provider = {}, store = {} } = sources;
  const days = (d: number | undefined) => d === undefined ? undefined : d * DAY;
  const hours = (h: number | undefined) => h === undefined ? undefined : h * HOUR;
  const out: Thresholds = {};
  const min = sources.sidecarLowBalance ?? key.min_balance ?? provider.min_balance ??
    sources.manifestLowBalance ?? store.min_balance;
  if (min !== undefined) out.min_balance = min;
  const exp = days(key.expiring_within_days) ?? days(provider.expiring_within_days) ??
    days(store.expiring_within_days);
  if (exp !== undefined) out.expiring_within_ms = exp;
  const stale = hours(key.stale_after_hours) ?? hours(provider.stale_after_hours) ??
    hours(store.stale_after_hours);
  if (stale !== undefined) out.stale_after_ms = stale;
  return out;
}

/** The threshold part of the store config's key, provider and store-wide settings. */
export interface StoreThreshold {
  min_balance?: number;
  expiring_within_days?: number;
  stale_after_hours?: number;
}

/** live or stale by the figures' age; every other base state is shown as it is. */
export function stateAt(input: Pick<JudgeInput, "base" | "fetchedMs" | "refreshMs">, now: number) {
  if (input.base !== "fresh") return input.base;
  return now - (input.fetchedMs ?? 0) > input.refreshMs ? "stale" : "live";
}

export function judge(input: JudgeInput, now: number, commandLine: Thresholds = {}): Judgement {
  const state = stateAt(input, now);
  // The command line wins over every threshold from the store (no spread: ls judges every key).
  const t = input.thresholds;
  const thresholds = {
    min_balance: commandLine.min_balance ?? t.min_balance ?? null,
    expiring_within_ms: commandLine.expiring_within_ms ?? t.expiring_within_ms ??
      DEFAULT_EXPIRING_DAYS * DAY,
    stale_after_ms: commandLine.stale_after_ms ?? t.stale_after_ms ?? null,
  };
  const issues: Issue[] = [];
  if (!isKeyState(state) || state === "ignored") return { state, thresholds, issues };
  if (input.problems?.length) {
    for (const p of input.problems) issues.push({ kind: "error", message: `bad sidecar: ${p}` });
  }
  if (isErrorState(state)) {
    const e = input.error;
    issues.push({
      kind: "error",
      message: e
        ? `last sync failed (${e.kind === state ? state : `${state}: ${e.kind}`}): ${e.message}`
        : `last sync failed (${state})`,
    });
  }
  if (input.disabled) {
    issues.push({ kind: "disabled", message: "the provider says this key cannot be used" });
  }
  const amount = input.remaining;
  if (amount !== undefined) {
    const cur = input.currency ? ` ${input.currency}` : "";
    if (thresholds.min_balance !== null && amount < thresholds.min_balance) {
      issues.push({
        kind: "low_balance",
        message: `balance ${fmt(amount)}${cur} is below ${fmt(thresholds.min_balance)}${cur}`,
      });
    } else if (amount <= 0) {
      issues.push({ kind: "low_balance", message: `balance ${fmt(amount)}${cur} is used up` });
    }
  }
  if (input.expiresAt) {
    const left = Date.parse(input.expiresAt) - now;
    if (left <= 0) issues.push({ kind: "expired", message: `expired ${span(left)} ago` });
    else if (left <= thresholds.expiring_within_ms) {
      issues.push({ kind: "expiring", message: `expires in ${span(left)} (${input.expiresAt})` });
    }
  }
  const synced = state !== "unavailable" && state !== "untrusted" && state !== "not_yours";
  if (thresholds.stale_after_ms !== null && synced) {
    if (input.fetchedMs === undefined) {
      issues.push({
        kind: "never_synced",
        message: isErrorState(state) ? "never synced successfully" : "never synced",
      });
    } else if (now - input.fetchedMs > thresholds.stale_after_ms) {
      issues.push({ kind: "stale", message: `last good sync ${span(now - input.fetchedMs)} ago` });
    }
  }
  return { state, thresholds, issues };
}

/** An amount for messages: whole numbers as they are, else two decimals (four below a cent). */
export function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(Math.abs(n) < 0.01 ? 4 : 2);
}

/** "3d", "5h", "12m": the largest whole unit of a time span. */
export function span(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= DAY) return `${Math.floor(abs / DAY)}d`;
  if (abs >= HOUR) return `${Math.floor(abs / HOUR)}h`;
  return `${Math.max(1, Math.floor(abs / 60_000))}m`;
}
