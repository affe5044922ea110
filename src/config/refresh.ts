/** Refresh intervals as the store config writes them ("30m", "6h", "1d"); no zod (fast path). */

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a refresh interval; NaN when it is not one. */
export function refreshMs(text: string): number {
  const m = /^(\d{1,5})([mhd])$/.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
}
