/** Timing helpers for the benchmark scripts. */

/**
 * Medians of `runs` timings each of `a` and `b`, run in turns so both see the same machine (its
 * load drifts by more than the differences measured). A function may return its own figure in
 * ms (e.g. the time to a first frame); otherwise its whole run is timed.
 */
export async function alternated(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  runs: number,
): Promise<[number, number]> {
  const ta: number[] = [], tb: number[] = [];
  for (let i = 0; i < runs; i++) {
    for (const [fn, out] of [[a, ta], [b, tb]] as const) {
      const t = performance.now();
      const own = await fn();
      out.push(typeof own === "number" ? own : performance.now() - t);
    }
  }
  const median = (x: number[]) => x.sort((p, q) => p - q)[Math.floor(x.length / 2)];
  return [median(ta), median(tb)];
}
