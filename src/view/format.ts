/** How figures and ages read in one-line displays (ls, show, sync, the browser). Pure. */
import type { Metadata } from "../sidecars/schema.ts";

/** What a figure measures: money left, money spent, or percent of a quota used. */
export type FigureKind = "balance" | "spend" | "quota";

export interface Headline {
  /** The figure a key is known by, e.g. "110.00 CNY", "spent 3.20 USD", "42% used". */
  label: string;
  figure?: FigureKind;
  /** The headline number (the balance, spend or percentage). */
  value?: number;
  /** Money left to spend: the balance, else the remaining limit (what min_balance is about). */
  remaining?: number;
  currency?: string;
}

/**
 * The headline figure of a set of figures: the one place that decides which field a key is
 * known by (ls, show, the browser, history, check all use it).
 */
export function headline(meta: Metadata | null | undefined): Headline {
  if (!meta) return { label: "" };
  const cur = meta.currency ? ` ${meta.currency}` : "";
  const remaining = meta.balance ?? meta.limit_remaining;
  const base = {
    ...(remaining !== undefined ? { remaining } : {}),
    ...(meta.currency ? { currency: meta.currency } : {}),
  };
  switch (meta.kind) {
    case "balance": {
      if (remaining === undefined) return { label: "", ...base };
      const of = meta.balance === undefined ? " (key limit left)" : "";
      return {
        label: `${formatMoney(remaining)}${cur}${of}`,
        figure: "balance",
        value: remaining,
        ...base,
      };
    }
    case "spend":
      return meta.spend === undefined ? { label: "", ...base } : {
        label: `spent ${formatMoney(meta.spend)}${cur}`,
        figure: "spend",
        value: meta.spend,
        ...base,
      };
    case "quota":
      return meta.quota_used_percent === undefined ? { label: "", ...base } : {
        label: `${meta.quota_used_percent}% used`,
        figure: "quota",
        value: meta.quota_used_percent,
        ...base,
      };
    default:
      return { label: meta.key_valid ? "key valid" : "n/a", ...base };
  }
}

export function formatMoney(n: number): string {
  const abs = Math.abs(n);
  const digits = abs !== 0 && abs < 0.01 ? 4 : 2;
  return n.toFixed(digits);
}

/** "3m", "2h", "5d": how old a timestamp is. */
export function age(iso: string | undefined | null, now: Date): string {
  if (!iso) return "never";
  return ageSince(Date.parse(iso), now.getTime());
}

/** The same from epoch milliseconds. */
export function ageSince(ms: number, nowMs: number): string {
  const s = Math.max(0, Math.round((nowMs - ms) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
