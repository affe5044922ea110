/**
 * Replace a file the user named (e.g. `keyz check --output keyz.prom`) atomically: write a temp
 * file in the same folder, then rename it over the target, so a reader (node_exporter's textfile
 * collector) sees the old file or the new one, never half of one.
 */
import { KeyzError } from "../errors.ts";

function why(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such folder";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "it is a folder";
  return e instanceof Error ? e.message : String(e);
}

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const slash = file.lastIndexOf("/");
  const dir = slash >= 0 ? file.slice(0, slash + 1) : "";
  const base = file.slice(slash + 1);
  if (!base || base === "." || base === "..") {
    throw new KeyzError("usage", `cannot write ${file}: not a file name`, "name a file");
  }
  const suffix = crypto.getRandomValues(new Uint32Array(1))[0].toString(16).padStart(8, "0");
  const tmp = `${dir}.${base}.${suffix}.tmp`;
  try {
    const target = await Deno.stat(file).catch(() => undefined);
    if (target?.isDirectory) throw new Deno.errors.IsADirectory(file);
    await Deno.writeTextFile(tmp, text, { createNew: true });
    await Deno.rename(tmp, file);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw new KeyzError(
      "usage",
      `cannot write ${file}: ${why(e)}`,
      "name a file in a writable folder",
    );
  }
}
