/**
 * Globs over pass paths, for `ignore` rules: `*` matches within one segment, `?` one character,
 * `**` any number of segments; a pattern without wildcards names an entry or a whole folder.
 * Matching is by hand with bounded work (segments x segments, characters x characters), never a
 * RegExp built from data: the rules come from the shared store config (untrusted).
 */

export interface Glob {
  /** The pattern as written (for messages). */
  text: string;
  segments: string[];
  /** No wildcard at all: also matches everything below it (a folder). */
  literal: boolean;
}

const WILD = /[*?]/;

/** A pattern, or undefined when it is not a usable relative pattern. */
export function compileGlob(text: string): Glob | undefined {
  const t = text.trim().replace(/^\/+|\/+$/g, "");
  if (t === "" || t.length > 500) return undefined;
  const segments = t.split("/");
  if (segments.some((s) => s === "" || s === "." || s === "..")) return undefined;
  return { text: t, segments, literal: !WILD.test(t) };
}

export function globMatches(glob: Glob, path: string): boolean {
  const parts = path.split("/");
  if (glob.literal) {
    return glob.segments.length <= parts.length &&
      glob.segments.every((s, i) => s === parts[i]);
  }
  return matchSegments(glob.segments, parts);
}

/** `**`-aware segment matching, as dynamic programming over (pattern, path) positions. */
function matchSegments(pattern: string[], parts: string[]): boolean {
  const n = pattern.length, m = parts.length;
  // ok[j]: pattern[i..] matches parts[j..]; filled from the end.
  let next = new Array<boolean>(m + 1).fill(false);
  next[m] = true;
  for (let i = n - 1; i >= 0; i--) {
    const cur = new Array<boolean>(m + 1).fill(false);
    for (let j = m; j >= 0; j--) {
      if (pattern[i] === "**") cur[j] = next[j] || (j < m && cur[j + 1]);
      else cur[j] = j < m && segmentMatches(pattern[i], parts[j]) && next[j + 1];
    }
    next = cur;
  }
  return next[0];
}

/** `*` and `?` within one segment (the classic two-pointer match with one backtrack point). */
export function segmentMatches(pattern: string, text: string): boolean {
  let p = 0, t = 0, star = -1, mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = t;
    } else if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}
