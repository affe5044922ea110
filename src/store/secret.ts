/**
 * A decrypted key. It prints as [redacted] in strings, JSON and Deno.inspect, so a stray
 * log line or error message cannot leak it; only `reveal()` gives the text.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return "[redacted]";
  }
  toJSON(): string {
    return "[redacted]";
  }
  [Symbol.for("Deno.customInspect")](): string {
    return "Secret([redacted])";
  }
}

/** A pass entry: first line is the key; later `name: value` lines are extra fields. */
export interface SecretEntry {
  key: Secret;
  /** Extra fields, names lower-cased with non-alphanumerics as `_` (template variables). */
  fields: Record<string, string>;
}

/** Split `pass show` output into the key and its extra fields. */
export function parseEntry(text: string): SecretEntry {
  const lines = text.replace(/\r/g, "").split("\n");
  const key = (lines[0] ?? "").trim();
  const fields: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const m = /^\s*([A-Za-z][A-Za-z0-9 _.-]{0,40}?)\s*:\s*(.*?)\s*$/.exec(line);
    if (!m) continue;
    const name = m[1].toLowerCase().replace(/[^a-z0-9]+/g, "_");
    if (!(name in fields) && m[2] !== "") fields[name] = m[2];
  }
  return { key: new Secret(key), fields };
}
