/**
 * The thin runner: raw mode, the alternate screen, key decoding, full-frame redraws on every
 * change and on resize, and effects. The terminal is restored on every way out.
 */
import { decodeKeys, type Key } from "./keyboard.ts";
import { sgr, TERM } from "../util/ansi.ts";
import { render } from "./render.ts";
import { type Effect, nextWake, onKey, onTick, resize, type UiState } from "./state.ts";
import type { Control } from "./effects.ts";

const ENTER = TERM.altScreenOn + TERM.cursorHide + TERM.wrapOff + TERM.pasteOn + TERM.home +
  TERM.clearScreen;
// Clearing before leaving keeps a resized alternate screen from leaking into the main one (tmux).
const LEAVE = sgr() + TERM.home + TERM.clearScreen + TERM.pasteOff + TERM.wrapOn +
  TERM.cursorShow + TERM.altScreenOff;

/** How long the end of a paste may take before what arrived is taken as the whole paste. */
const PASTE_WAIT_MS = 1000;

export interface RunOptions {
  initial: UiState;
  color: boolean;
  perform(effect: Effect, c: Control): void;
  /** Called once the first frame is on screen (to load the rest in the background). */
  start?(c: Control): void;
  /**
   * How long a read that ends inside an escape sequence (a lone ESC) waits for the rest
   * before it counts as the Escape key (KEYZ_ESC_DELAY_MS).
   */
  escDelayMs: number;
  /** Called once before the terminal is restored (e.g. to clear an OSC 52 clipboard). */
  beforeExit?(state: UiState): void | Promise<void>;
}

const enc = new TextEncoder();

export function writeRaw(text: string): void {
  const bytes = enc.encode(text);
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

function consoleSize(): { width: number; height: number } {
  try {
    const { columns, rows } = Deno.consoleSize();
    return { width: columns || 80, height: rows || 24 };
  } catch {
    return { width: 80, height: 24 };
  }
}

/** Run the browser until it quits; returns the exit code (0, or 130 for Ctrl-C). */
export async function runTerminal(opts: RunOptions): Promise<number> {
  let state = opts.initial;
  const size = consoleSize();
  state = resize(state, size.width, size.height);
  let scheduled = false;
  let finished = false;
  // What the last read left unfinished (a lone ESC, half a sequence, a paste without its end),
  // and the timer that decides it when nothing follows.
  let pending = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  // The one clock of the browser's time events (autosync): when onTick wants to run next.
  let wake: { at: number; timer: ReturnType<typeof setTimeout> } | undefined;
  let resolveExit!: (code: number) => void;
  // A failure in a timer (a frame, a decided ESC) ends the run through the same restore.
  let failExit!: (e: unknown) => void;
  const exit = new Promise<number>((res, rej) => [resolveExit, failExit] = [res, rej]);

  // Time events before each frame: the state may decide (from the clock) to sync something.
  const advance = () => {
    const step = onTick(state, Date.now());
    state = step.state;
    for (const e of step.effects) opts.perform(e, control);
    const at = nextWake(state);
    if (at === wake?.at) return;
    clearTimeout(wake?.timer);
    const fire = () => {
      wake = undefined;
      schedule();
    };
    wake = at === undefined
      ? undefined
      : { at, timer: setTimeout(fire, Math.max(0, at - Date.now())) };
  };
  const draw = () => {
    scheduled = false;
    if (finished) return;
    try {
      advance();
      const lines = render(state, { ...state.viewport, color: opts.color });
      writeRaw(`${TERM.home}${lines.join("\r\n")}`);
    } catch (e) {
      failExit(e);
    }
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(draw, 0);
  };
  const control: Control = {
    state: () => state,
    update: (fn) => {
      state = fn(state);
      schedule();
    },
  };

  const onResize = () => {
    const s = consoleSize();
    state = resize(state, s.width, s.height);
    writeRaw(TERM.clearScreen);
    schedule();
  };
  const onTerm = () => resolveExit(143);
  const onHup = () => resolveExit(129);
  const signals: [Deno.Signal, () => void][] = [
    ["SIGWINCH", onResize],
    ["SIGTERM", onTerm],
    ["SIGHUP", onHup],
    // Raw mode delivers Ctrl-C as a key; this only catches a SIGINT sent from elsewhere.
    ["SIGINT", () => resolveExit(130)],
  ];
  for (const [sig, fn] of signals) Deno.addSignalListener(sig, fn);

  Deno.stdin.setRaw(true, { cbreak: false });
  try {
    writeRaw(ENTER);
    draw();
    opts.start?.(control);
    // Keys in order; false once one of them quits.
    const handle = (keys: Key[]): boolean => {
      for (const key of keys) {
        const step = onKey(state, key);
        state = step.state;
        for (const e of step.effects) {
          if (e.type === "quit") {
            resolveExit(e.code);
            return false;
          }
          opts.perform(e, control);
        }
      }
      schedule();
      return true;
    };
    const feed = (text: string, final: boolean): boolean => {
      clearTimeout(timer);
      const d = decodeKeys(pending + text, final);
      pending = d.rest;
      if (pending) {
        const wait = d.waiting === "paste" ? PASTE_WAIT_MS : opts.escDelayMs;
        timer = setTimeout(() => {
          try {
            if (!finished) feed("", true);
          } catch (e) {
            failExit(e);
          }
        }, wait);
      }
      return handle(d.keys);
    };
    const reading = (async () => {
      const buf = new Uint8Array(4096);
      const dec = new TextDecoder();
      while (!finished) {
        const n = await Deno.stdin.read(buf);
        if (n === null) return resolveExit(0);
        if (!feed(dec.decode(buf.subarray(0, n), { stream: true }), false)) return;
      }
    })();
    reading.catch(() => resolveExit(1));
    return await exit;
  } finally {
    finished = true;
    clearTimeout(timer);
    clearTimeout(wake?.timer);
    try {
      await opts.beforeExit?.(state);
    } finally {
      for (const [sig, fn] of signals) Deno.removeSignalListener(sig, fn);
      writeRaw(LEAVE);
      try {
        Deno.stdin.setRaw(false);
      } catch { /* stdin already gone */ }
    }
  }
}
