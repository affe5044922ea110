/**
 * A key's recorded figures over time, and what they say about the future: burn rate per day
 * and the date the balance runs out. Pure.
 */
import type { AccountSidecar, HistoryLine } from "../sidecars/schema.ts";
import { type FigureKind, headline } from "../view/format.ts";

/** Which figure a series follows: money left, money spent, or percent of a quota used. */
export type Figure = FigureKind;

export interface Point {
  at: string;
  value: number;
  figure: Figure;
  currency?: string;
  /** Where it was found: the append-only history file, or a committed account snapshot. */
  source: "history" | "git";
}

/** The headline figure as a point (the same figure ls and the browser show). */
function pointOf(
  figures: Parameters<typeof headline>[0],
  at: string,
  source: Point["source"],
): Point | undefined {
  const h = headline(figures);
  if (h.figure === undefined || h.value === undefined) return undefined;
  return {
    at,
    value: h.value,
    figure: h.figure,
    ...(h.currency ? { currency: h.currency } : {}),
    source,
  };
}

export function pointFromHistory(line: HistoryLine): Point | undefined {
  if (line.status !== "ok" || !line.kind) return undefined;
  const { at: _at, status: _s, provider: _p, error: _e, ...figures } = line;
  return pointOf({ ...figures, kind: line.kind }, line.at, "history");
}

/** A committed snapshot, dated by when its figures were fetched. */
export function pointFromSnapshot(a: AccountSidecar): Point | undefined {
  if (!a.metadata || !a.fetched_at) return undefined;
  return pointOf(a.metadata, a.fetched_at, "git");
}

/**
 * One series from both sources: deduplicated by time, oldest first, keeping only the figure of
 * the newest point (a provider whose kind changed is not mixed). `snapshots` come newest first
 * (as git logs them) and `history` in the order it was written; of points at the same second
 * the one recorded last wins (the history line over a snapshot, a newer commit over an older).
 */
export function mergeSeries(history: Point[], snapshots: Point[], since?: Date): Point[] {
  const byAt = new Map<number, Point>();
  for (const p of [...[...snapshots].reverse(), ...history]) byAt.set(Date.parse(p.at), p);
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
