/**
 * SGR colour codes. Written out rather than imported from picocolors: any CommonJS npm module
 * starts Deno's Node compatibility layer, about 20 ms of every run, and `keyz ls` and
 * `keyz browse` must start faster than that allows (deno task bench).
 */
const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export const ansi = {
  red: sgr(31, 39),
  green: sgr(32, 39),
  yellow: sgr(33, 39),
  cyan: sgr(36, 39),
  bold: sgr(1, 22),
  dim: sgr(2, 22),
};
