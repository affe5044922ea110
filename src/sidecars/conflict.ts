/**
 * Repair of sidecar files git left with conflict markers (two machines synced the same account,
 * then one pulled). Pure. The winner is decided the same way on every machine, whichever side
 * is "ours": the snapshot with the newest `fetched_at` (`synced_at` in version 1 files); files
 * without one are merged field by field, a clash going to the larger JSON text (arbitrary but
 * symmetric).
 */
import { stableJson } from "./files.ts";

const START = /^<{7}(?: |$)/;
const BASE = /^\|{7}(?: |$)/;
const MID = /^={7}$/;
const END = /^>{7}(?: |$)/;

/** Whether a text holds git conflict markers. */
export function hasConflictMarkers(text: string): boolean {
  const lines = text.split("\n");
  return lines.some((l) => START.test(l)) && lines.some((l) => MID.test(l)) &&
    lines.some((l) => END.test(l));
}

/** The two sides of a conflicted text (diff3 base sections dropped), or undefined. */
export function splitConflict(text: string): { ours: string; theirs: string } | undefined {
  if (!hasConflictMarkers(text)) return undefined;
  const ours: string[] = [];
  const theirs: string[] = [];
  let state: "both" | "ours" | "base" | "theirs" = "both";
  for (const line of text.split("\n")) {
    if (state === "both" && START.test(line)) state = "ours";
    else if (state === "ours" && BASE.test(line)) state = "base";
    else if ((state === "ours" || state === "base") && MID.test(line)) state = "theirs";
    else if (state === "theirs" && END.test(line)) state = "both";
    else if (state === "both") {
      ours.push(line);
      theirs.push(line);
    } else if (state === "ours") ours.push(line);
    else if (state === "theirs") theirs.push(line);
  }
  if (state !== "both") return undefined; // unterminated conflict: not something to guess at
  return { ours: ours.join("\n"), theirs: theirs.join("\n") };
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is Record<string, Json> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** When an account snapshot's figures were fetched (v2), or last synced (v1). */
function snapshotTime(o: Record<string, Json>): string | undefined {
  if (typeof o.fetched_at === "string") return o.fetched_at;
  return typeof o.synced_at === "string" ? o.synced_at : undefined;
}

/** Merge two JSON values symmetrically (see the module comment). */
export function mergeJson(a: Json, b: Json): Json {
  if (isObject(a) && isObject(b)) {
    const sa = snapshotTime(a);
    const sb = snapshotTime(b);
    if (sa !== undefined && sb !== undefined) {
      // Snapshots are never mixed: the newer one wins whole (a tie: the larger text).
      if (sa !== sb) return Date.parse(sa) > Date.parse(sb) ? a : b;
      return stableJson(a) >= stableJson(b) ? a : b;
    }
    const out: Record<string, Json> = {};
    for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      if (!(k in a)) out[k] = b[k];
      else if (!(k in b)) out[k] = a[k];
      else out[k] = mergeJson(a[k], b[k]);
    }
    return out;
  }
  const ta = stableJson(a);
  const tb = stableJson(b);
  return ta >= tb ? a : b;
}

/** The repaired value of a conflicted JSON sidecar, or undefined when it cannot be repaired. */
export function resolveConflictedJson(text: string): unknown {
  const sides = splitConflict(text);
  if (!sides) return undefined;
  try {
    return mergeJson(JSON.parse(sides.ours) as Json, JSON.parse(sides.theirs) as Json);
  } catch {
    return undefined;
  }
}
