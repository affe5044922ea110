/**
 * The thin runner: raw mode, the alternate screen, key decoding, full-frame redraws on every
 * change and on resize, and effects. The terminal is restored on every way out.
 */
import { decodeKeys } from "./keys.ts";
import { render } from "./render.ts";
import { type Effect, onKey, resize, type UiState } from "./state.ts";
import type { Control } from "./effects.ts";

const ENTER = "\x1b[?1049h\x1b[?25l\x1b[?7l\x1b[H\x1b[2J";
// Clearing before leaving keeps a resized alternate screen from leaking into the main one (tmux).
const LEAVE = "\x1b[0m\x1b[H\x1b[2J\x1b[?7h\x1b[?25h\x1b[?1049l";

export interface RunOptions {
  initial: UiState;
  color: boolean;
  perform(effect: Effect, c: Control): void;
  /** Called once the first frame is on screen (to load the rest in the background). */
  start?(c: Control): void;
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
  let resolveExit!: (code: number) => void;
  const exit = new Promise<number>((r) => resolveExit = r);

  const draw = () => {
    scheduled = false;
    if (finished) return;
    const lines = render(state, { ...state.viewport, color: opts.color });
    writeRaw(`\x1b[H${lines.join("\r\n")}`);
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
    writeRaw("\x1b[2J");
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
  writeRaw(ENTER);
  try {
    draw();
    opts.start?.(control);
    const reading = (async () => {
      const buf = new Uint8Array(4096);
      const dec = new TextDecoder();
      while (!finished) {
        const n = await Deno.stdin.read(buf);
        if (n === null) return resolveExit(0);
        for (const key of decodeKeys(dec.decode(buf.subarray(0, n), { stream: true }))) {
          const step = onKey(state, key);
          state = step.state;
          for (const e of step.effects) {
            if (e.type === "quit") return resolveExit(e.code);
            opts.perform(e, control);
          }
        }
        schedule();
      }
    })();
    reading.catch(() => resolveExit(1));
    return await exit;
  } finally {
    finished = true;
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
