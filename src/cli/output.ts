/** Terminal output: colours that respect NO_COLOR and non-terminals, stderr for diagnostics. */
import { escapeTerminal } from "../util/text.ts";
import { ansi, TERM } from "../util/ansi.ts";
import { dumbTerminal, noColor } from "../env.ts";
import { cells } from "../util/cells.ts";
import { osProblem, OutputClosed, StoreFileError } from "../errors.ts";

const enc = new TextEncoder();

/**
 * Every write to stdout or stderr: all of it (a pipe may take part of a large write), a
 * closed reader as OutputClosed, a full disk or the like as one line naming the output.
 */
function writeAll(stream: typeof Deno.stdout | typeof Deno.stderr, text: string): void {
  const bytes = enc.encode(text);
  try {
    let done = 0;
    while (done < bytes.length) done += stream.writeSync(bytes.subarray(done));
  } catch (e) {
    if (e instanceof Deno.errors.BrokenPipe) throw new OutputClosed({ cause: e });
    const problem = osProblem(e);
    if (!problem) throw e;
    const name = stream === Deno.stdout ? "standard output" : "standard error";
    throw new StoreFileError(name, problem, undefined, { cause: e });
  }
}

/** Text to stdout as is (keys for eval, scripts, JSON documents). */
export function writeStdout(text: string): void {
  writeAll(Deno.stdout, text);
}

let colorOn: boolean | undefined;
/** Whether stdout gets colours (asked once: a long listing would otherwise ask per cell). */
export function colorEnabled(): boolean {
  colorOn ??= !noColor() && !dumbTerminal() && Deno.stdout.isTerminal();
  return colorOn;
}

export const color = {
  red: (s: string) => colorEnabled() ? ansi.red(s) : s,
  green: (s: string) => colorEnabled() ? ansi.green(s) : s,
  yellow: (s: string) => colorEnabled() ? ansi.yellow(s) : s,
  dim: (s: string) => colorEnabled() ? ansi.dim(s) : s,
  bold: (s: string) => colorEnabled() ? ansi.bold(s) : s,
  cyan: (s: string) => colorEnabled() ? ansi.cyan(s) : s,
};

let quiet = false;
let verbose = false;
export function setVerbosity(opts: { quiet?: boolean; verbose?: boolean }): void {
  quiet = !!opts.quiet;
  verbose = !!opts.verbose;
}
export function isVerbose(): boolean {
  return verbose;
}
export function isQuiet(): boolean {
  return quiet;
}

export function out(line = ""): void {
  writeAll(Deno.stdout, `${line}\n`);
}

/** Many lines in one write (a 10,000-line listing is one syscall, not 10,000). */
export function outLines(lines: string[]): void {
  if (lines.length) writeAll(Deno.stdout, `${lines.join("\n")}\n`);
}

export function outJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Lines on stderr as they are (a list that a `keyz: ` error line then sums up). */
export function errLines(lines: string[]): void {
  if (lines.length) writeAll(Deno.stderr, `${lines.map(escapeTerminal).join("\n")}\n`);
}

/**
 * Diagnostics on stderr, one line each. They carry paths and messages from data, so they are
 * always shown through escapeTerminal: a name cannot move the cursor or forge a line.
 */
export function warn(line: string): void {
  if (!quiet) writeAll(Deno.stderr, `keyz: ${escapeTerminal(line)}\n`);
}

export function debug(line: string): void {
  if (verbose) writeAll(Deno.stderr, `keyz: ${escapeTerminal(line)}\n`);
}

/** A one-line progress indicator on stderr, only when stderr is a terminal that moves the cursor. */
export function progress(): { update(text: string): void; done(): void } {
  const tty = Deno.stderr.isTerminal() && !quiet && !dumbTerminal();
  return {
    update(text: string) {
      if (tty) writeAll(Deno.stderr, `${TERM.clearLine}${text}`);
    },
    done() {
      if (tty) writeAll(Deno.stderr, TERM.clearLine);
    },
  };
}

/** Pad a table of cells into aligned columns (by terminal cells: CJK and emoji take two). */
export function table(rows: string[][]): string[] {
  // Plain loops, no closure per row: `keyz ls` lays out 10,000 rows before the JIT warms up.
  const widths: number[] = [];
  const lengths: number[][] = new Array(rows.length);
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j];
    const ns = lengths[j] = new Array<number>(r.length);
    for (let i = 0; i < r.length; i++) {
      const n = ns[i] = visible(r[i]);
      if (!(n <= widths[i])) widths[i] = n;
    }
  }
  const out: string[] = new Array(rows.length);
  for (let j = 0; j < rows.length; j++) {
    const r = rows[j];
    let line = "";
    for (let i = 0; i < r.length; i++) {
      if (i > 0) line += "  ";
      line += i === r.length - 1 ? r[i] : r[i] + " ".repeat(widths[i] - lengths[j][i]);
    }
    out[j] = line.trimEnd();
  }
  return out;
}

/** Terminal cells of a cell's text, colour codes left out. */
function visible(s: string): number {
  // deno-lint-ignore no-control-regex
  return cells(s.includes("\x1b") ? s.replace(/\x1b\[[0-9;]*m/g, "") : s);
}
