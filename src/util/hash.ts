import { createHash } from "node:crypto";

/** Hex sha256 of a text. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** Hex sha256 of a file's bytes, or undefined when it cannot be read. */
export function fileSha256Hex(file: string): string | undefined {
  try {
    return createHash("sha256").update(Deno.readFileSync(file)).digest("hex");
  } catch {
    return undefined;
  }
}
