/**
 * "did you mean ...?" for names a person typed: store entries (`keyz show deepseek` ->
 * api/deepseek/main), by a folder or name segment equal to what was typed, a small edit distance,
 * or a substring. Pure.
 */

/** Levenshtein distance, giving up (returning max + 1) once it exceeds `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

/** Up to `limit` entries that the input may have meant, best first. */
export function suggestEntries(input: string, entries: readonly string[], limit = 3): string[] {
  const want = input.toLowerCase().replace(/\/+$/, "");
  if (!want) return [];
  const max = Math.max(1, Math.floor(want.length / 4));
  const scored: [number, string][] = [];
  for (const e of entries) {
    const lower = e.toLowerCase();
    const segments = lower.split("/");
    let score: number | undefined;
    if (segments.includes(want)) score = 0;
    else {
      const whole = editDistance(want, lower, max);
      const last = editDistance(want, segments.at(-1)!, max);
      const tail = editDistance(want, segments.slice(-want.split("/").length).join("/"), max);
      const d = Math.min(whole, last, tail);
      if (d <= max) score = 1 + d;
      else if (want.length >= 3 && lower.includes(want)) score = max + 2;
    }
    if (score !== undefined) scored.push([score, e]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].length - b[1].length || (a[1] < b[1] ? -1 : 1));
  return scored.slice(0, limit).map(([, e]) => e);
}

/** "did you mean a?" / "did you mean a, b or c?" (undefined when there is nothing to say). */
export function didYouMean(options: readonly string[]): string | undefined {
  if (options.length === 0) return undefined;
  const list = options.length === 1
    ? options[0]
    : `${options.slice(0, -1).join(", ")} or ${options.at(-1)}`;
  return `did you mean ${list}?`;
}
