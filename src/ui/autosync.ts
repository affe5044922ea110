/**
 * The browser's autosync, decided without a clock of its own: a small state machine fed by time
 * events (`tick` with the current time, from the runner) and by what happened (a sync ended, the
 * store lock is waited for). It answers which keys to sync now and when to wake it next; which
 * keys are due is plan.ts's rule (`duePaths`), passed in. The runner keeps the one timer and
 * effects.ts runs the syncs (state.ts wires the three).
 *
 * - On start, and then every CHECK_MINUTES, the keys that are due are synced in one background
 *   sync ("burst": one lock, one commit, the usual concurrency).
 * - A due key the cursor rests on for DEBOUNCE_MS is synced on its own.
 * - One burst at a time; what comes due meanwhile waits for the next tick after it.
 */
import { MINUTE_MS } from "../sync/plan.ts";

/**
 * How often the browser looks for keys that came due. Each look that finds some makes one
 * burst and one commit, so this bounds autosync's commits to 12 an hour however the keys' times
 * are spread; it is a third of the shortest built-in refresh interval (15 minutes), so no figure
 * is more than a third of its interval late.
 */
export const CHECK_MINUTES = 5;

/** How long the cursor rests on a due key before it is synced (moving through keys syncs none). */
export const DEBOUNCE_MS = 1500;

export interface AutosyncTiming {
  checkMs: number;
  debounceMs: number;
  /** How long a minute is for the due rule (KEYZ_MINUTE_MS shortens it in tests). */
  minuteMs: number;
}

export function autosyncTiming(minuteMs = MINUTE_MS): AutosyncTiming {
  return { checkMs: CHECK_MINUTES * minuteMs, debounceMs: DEBOUNCE_MS, minuteMs };
}

/** Which config turned autosync off for good (`autosync: false`). */
export type OffBy = "store config" | "user config";

export interface Autosync {
  readonly timing: AutosyncTiming;
  /** On, or off for this session (`a`). */
  readonly on: boolean;
  /** Off for good: `a` cannot turn it on. */
  readonly offBy?: OffBy;
  /** When to look for due keys next (epoch ms). */
  readonly nextCheckAt: number;
  /** A burst is running. */
  readonly running: boolean;
  /** The key under the cursor, since when, and whether its pause was acted on. */
  readonly selected?: { readonly path: string; readonly since: number; readonly done: boolean };
  /** Every failure of the last sync that reached out was the network's: how many, since when. */
  readonly unreachable?: { readonly providers: number; readonly since: string };
}

export function startAutosync(o: { now: number; timing: AutosyncTiming; offBy?: OffBy }): Autosync {
  return {
    timing: o.timing,
    on: o.offBy === undefined,
    ...(o.offBy ? { offBy: o.offBy } : {}),
    nextCheckAt: o.now,
    running: false,
  };
}

/** `a`: on <-> off for this session. Turned on, it looks for due keys at the next tick. */
export function toggleAutosync(a: Autosync): Autosync {
  if (a.offBy) return a;
  return a.on ? { ...a, on: false } : { ...a, on: true, nextCheckAt: 0 };
}

export interface TickInput {
  now: number;
  /** The key under the cursor (undefined on a folder). */
  selected?: string;
  /** The keys due for a sync now: all of them, or of `only`. */
  due(only?: readonly string[]): string[];
}

export interface Tick {
  autosync: Autosync;
  /** Sync these now (one burst). */
  burst?: string[];
}

export function tick(a: Autosync, input: TickInput): Tick {
  let next = a;
  if (input.selected !== a.selected?.path) {
    const { selected: _, ...rest } = a;
    next = input.selected === undefined
      ? rest
      : { ...rest, selected: { path: input.selected, since: input.now, done: false } };
  }
  if (!next.on || next.running) return { autosync: next };
  if (input.now >= next.nextCheckAt) {
    next = { ...next, nextCheckAt: input.now + next.timing.checkMs };
    const burst = input.due();
    if (burst.length) return start(next, burst);
  }
  const s = next.selected;
  if (s && !s.done && input.now - s.since >= next.timing.debounceMs) {
    next = { ...next, selected: { ...s, done: true } };
    const burst = input.due([s.path]);
    if (burst.length) return start(next, burst);
  }
  return { autosync: next };
}

function start(a: Autosync, burst: string[]): Tick {
  // The selected key is in this burst: its pause needs no sync of its own.
  const s = a.selected;
  const selected = s && burst.includes(s.path) ? { ...s, done: true } : s;
  return { autosync: { ...a, running: true, ...(selected ? { selected } : {}) }, burst };
}

/** When `tick` has something to decide next (epoch ms); undefined: not before something happens. */
export function wakeAt(a: Autosync): number | undefined {
  if (!a.on || a.running) return undefined;
  const s = a.selected;
  return s && !s.done ? Math.min(a.nextCheckAt, s.since + a.timing.debounceMs) : a.nextCheckAt;
}

/** A burst ended (however it ended). */
export function burstDone(a: Autosync): Autosync {
  return { ...a, running: false };
}

export interface SyncOutcome {
  /** Some key was tried (not every key left alone). */
  tried: boolean;
  /** Every failure was the network's (SyncReport.offline). */
  offline?: { providers: number; since: string };
}

/**
 * What a finished sync (autosync's or the user's) says about reaching the providers: offline
 * when every failure was the network's; reachable again once a sync tries keys without that.
 */
export function syncOutcome(a: Autosync, o: SyncOutcome): Autosync {
  if (o.offline) return { ...a, unreachable: o.offline };
  if (!o.tried || !a.unreachable) return a;
  const { unreachable: _, ...rest } = a;
  return rest;
}
