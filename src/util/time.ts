/** ISO 8601 UTC without milliseconds, as every file and JSON output of keyz has it. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}
