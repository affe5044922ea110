/**
 * A key's recorded figures over time, and what they say about the future: burn rate per day
 * and the date the balance runs out. Pure.
 */
import type { AccountSidecar, HistoryLine, Metadata } from "../sidecars/schema.ts";

/** Which figure a series follows: money left, money spent, or percent of a quota used. */
export type Figure = "balance" | "spend" | "quota";

export interface Point {
  at: string;
  value: number;
  figure: Figure;
  currency?: string;
  /** Where it was found: the append-only history file, or a committed account snapshot. */
  source: "history" | "git";
}

type Figures = Pick<
  Metadata,
  "kind" | "balance" | "spend" | "limit_remaining" | "quota_used_percent" | "currency"
>;

function headlineOf(f: Figures): { figure: Figure; value: number } | undefined {
  if (f.kind === "balance") {
    const v = f.balance ?? f.limit_remaining;
    return v === undefined ? undefined : { figure: "balance", value: v };
  }
  if (f.kind === "spend" && f.spend !== undefined) return { figure: "spend", value: f.spend };
  if (f.kind === "quota" && f.quota_used_percent !== undefined) {
    return { figure: "quota", value: f.quota_used_percent };
  }
  return undefined;
}

export function pointFromHistory(line: HistoryLine): Point | undefined {
  if (line.status !== "ok" || !line.kind) return undefined;
  const h = headlineOf({ ...line, kind: line.kind });
  return h &&
    { at: line.at, ...h, ...(line.currency ? { currency: line.currency } : {}), source: "history" };
}

/** A committed snapshot; dated by its last success (a failed sync keeps older figures). */
export function pointFromSnapshot(a: AccountSidecar): Point | undefined {
  if (!a.metadata || !a.last_success_at) return undefined;
  const h = headlineOf(a.metadata);
  return h && {
    at: a.last_success_at,
    ...h,
    ...(a.metadata.currency ? { currency: a.metadata.currency } : {}),
    source: "git",
  };
}

/**
 * One series from both sources: deduplicated by time (the history line wins), oldest first,
 * keeping only the figure of the newest point (a provider whose kind changed is not mixed).
 */
export function mergeSeries(history: Point[], snapshots: Point[], since?: Date): Point[] {
  const byAt = new Map<number, Point>();
  for (const p of [...snapshots, ...history]) byAt.set(Date.parse(p.at), p);
  const all = [...byAt.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
  const last = all.at(-1);
  if (!last) return [];
  return all.filter((p) =>
    p.figure === last.figure && (!since || Date.parse(p.at) >= since.getTime())
  );
}

const DAY = 86_400_000;

/**
 * Consumption per day over the series: balance going down, spend or quota going up. A rise of
 * the balance is a top-up, a fall of spend or quota a reset: neither counts as negative use
 * (after a reset the new value is what was used since). Undefined with under an hour of data.
 */
export function burnRate(points: Point[]): number | undefined {
  if (points.length < 2) return undefined;
  const span = Date.parse(points.at(-1)!.at) - Date.parse(points[0].at);
  if (span < DAY / 24) return undefined;
  let used = 0;
  for (let i = 1; i < points.length; i++) {
    const d = points[i].value - points[i - 1].value;
    if (points[i].figure === "balance") used += d < 0 ? -d : 0;
    else used += d >= 0 ? d : points[i].value;
  }
  return used / (span / DAY);
}

/** When the balance reaches 0 (or the quota 100 %) at the burn rate; undefined if never. */
export function projectRunOut(points: Point[], rate: number | undefined): Date | undefined {
  const last = points.at(-1);
  if (!last || !rate || rate <= 0) return undefined;
  const left = last.figure === "balance"
    ? last.value
    : last.figure === "quota"
    ? 100 - last.value
    : 0;
  if (left <= 0) return last.figure === "spend" ? undefined : new Date(last.at);
  return new Date(Date.parse(last.at) + (left / rate) * DAY);
}

const BARS = "▁▂▃▄▅▆▇█";

/** A one-line chart: values averaged into at most `width` buckets, scaled min..max. */
export function sparkline(values: number[], width = 40): string {
  if (values.length === 0) return "";
  const buckets: number[] = [];
  const n = Math.min(width, values.length);
  for (let i = 0; i < n; i++) {
    const from = Math.floor((i * values.length) / n);
    const to = Math.floor(((i + 1) * values.length) / n);
    const slice = values.slice(from, Math.max(to, from + 1));
    buckets.push(slice.reduce((s, v) => s + v, 0) / slice.length);
  }
  const min = Math.min(...buckets);
  const max = Math.max(...buckets);
  if (max === min) return BARS[3].repeat(buckets.length);
  return buckets.map((v) => BARS[Math.round(((v - min) / (max - min)) * (BARS.length - 1))])
    .join("");
}

/** `--since`: a date (2026-01-31), a timestamp, or an age such as 30d or 8w. */
export function parseSince(text: string, now: Date): Date | undefined {
  const rel = /^(\d+)([dw])$/.exec(text.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * (rel[2] === "w" ? 7 : 1) * DAY);
  if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) return undefined;
  const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? `${text.trim()}T00:00:00Z` : text);
  return Number.isNaN(t) ? undefined : new Date(t);
}
