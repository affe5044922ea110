import { createHash } from "node:crypto";

/** Hex sha256 of a text. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
