/** `keyz show`: everything known about one key (no decryption, no network). */
import { viewKey } from "../view/keys.ts";
import { existingEntry, openContext } from "./context.ts";
import { keyJson } from "./ls.ts";
import { color, outJson, outLines, table } from "./output.ts";

export async function showCommand(path: string, flags: { json?: boolean }): Promise<number> {
  const ctx = await openContext();
  const p = await existingEntry(ctx, path);
  const now = new Date();
  const v = await viewKey({ ...ctx, now }, p);
  const j = keyJson(v, now);
  if (flags.json) {
    outJson(j);
    return 0;
  }
  const rows: string[][] = [
    ["path", j.path],
    ["provider", j.provider ? `${j.provider} (${j.mapped})` : "unmapped"],
    ["state", j.state],
  ];
  if (j.credential) rows.push(["credential", j.credential]);
  for (const [k, val] of Object.entries(j.metadata ?? {})) rows.push([k, String(val)]);
  if (j.synced_at) rows.push(["synced_at", `${j.synced_at} (${j.age} ago)`]);
  if (j.last_success_at) rows.push(["last_success_at", j.last_success_at]);
  if (j.last_error) {
    rows.push(["last_error", `${j.last_error.kind}: ${j.last_error.message} (${j.last_error.at})`]);
  }
  if (j.expires_at) rows.push(["expires_at", j.expires_at]);
  if (j.env) rows.push(["env", j.env]);
  if (j.tags.length) rows.push(["tags", j.tags.join(", ")]);
  if (j.notes) rows.push(["notes", j.notes]);
  for (const pr of j.problems) rows.push(["problem", pr]);
  outLines(table(rows.map(([k, val]) => [color.dim(k), val])));
  return 0;
}
