/** Durations on the command line: `30m`, `12h`, `7d`, `2w` (a bare number is days). */
import { KeyzError } from "../errors.ts";

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$/.exec(text);
  if (!m) {
    throw new KeyzError(
      "usage",
      `bad duration "${text}"`,
      "use a number with a unit: 30m, 12h, 7d or 2w",
    );
  }
  return Number(m[1]) * UNIT_MS[m[2] || "d"];
}

/** "7d", "12h", "90m": the largest whole unit, for messages. */
export function formatDuration(ms: number): string {
  for (const u of ["w", "d", "h", "m"] as const) {
    if (ms >= UNIT_MS[u] && ms % UNIT_MS[u] === 0) return `${ms / UNIT_MS[u]}${u}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
