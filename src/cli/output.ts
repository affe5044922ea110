/** Terminal output: colours that respect NO_COLOR and non-terminals, stderr for diagnostics. */
import { ansi } from "../util/ansi.ts";
import { dumbTerminal, noColor } from "../env.ts";

const enc = new TextEncoder();

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
  Deno.stdout.writeSync(enc.encode(`${line}\n`));
}

/** Many lines in one write (a 10,000-line listing is one syscall, not 10,000). */
export function outLines(lines: string[]): void {
  if (lines.length) Deno.stdout.writeSync(enc.encode(`${lines.join("\n")}\n`));
}

export function outJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Lines on stderr as they are (a list that a `keyz: ` error line then sums up). */
export function errLines(lines: string[]): void {
  if (lines.length) Deno.stderr.writeSync(enc.encode(`${lines.join("\n")}\n`));
}

export function warn(line: string): void {
  if (!quiet) Deno.stderr.writeSync(enc.encode(`keyz: ${line}\n`));
}

export function debug(line: string): void {
  if (verbose) Deno.stderr.writeSync(enc.encode(`keyz: ${line}\n`));
}

/** A one-line progress indicator on stderr, only when stderr is a terminal that moves the cursor. */
export function progress(): { update(text: string): void; done(): void } {
  const tty = Deno.stderr.isTerminal() && !quiet && !dumbTerminal();
  return {
    update(text: string) {
      if (tty) Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${text}`));
    },
    done() {
      if (tty) Deno.stderr.writeSync(enc.encode("\r\x1b[2K"));
    },
  };
}

/** Pad a table of cells into aligned columns. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  const lengths = rows.map((r) =>
    r.map((c, i) => {
      const n = visible(c);
      if (n > (widths[i] ?? 0)) widths[i] = n;
      return n;
    })
  );
  return rows.map((r, j) =>
    r.map((c, i) => i === r.length - 1 ? c : c + " ".repeat(widths[i] - lengths[j][i])).join("  ")
      .trimEnd()
  );
}

function visible(s: string): number {
  // deno-lint-ignore no-control-regex
  return s.includes("\x1b") ? s.replace(/\x1b\[[0-9;]*m/g, "").length : s.length;
}
