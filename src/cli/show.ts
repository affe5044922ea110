/** `keyz show`: everything known about one entry (no decryption, no network). */
import { describeRecognition } from "../view/recognize.ts";
import { escapeTerminal } from "../util/text.ts";
import { normalizePassPath } from "../store/path.ts";
import { summarizeFolder } from "../view/folder_summary.ts";
import { formatMoney } from "../view/format.ts";
import { type Context, existingEntry, openContext, sourcesOf } from "./context.ts";
import { viewEntry } from "../view/entries.ts";
import { keyJson } from "./key_json.ts";
import { color, out, outJson, outLines, table } from "./output.ts";

export async function showCommand(path: string, flags: { json?: boolean }): Promise<number> {
  const ctx = await openContext();
  const folder = normalizePassPath(path);
  if (!(await ctx.store.exists(folder))) {
    const below = (await ctx.store.list()).filter((e) => e.startsWith(`${folder}/`));
    if (below.length) return await showFolder(ctx, folder, below, flags);
  }
  const p = await existingEntry(ctx, path);
  const now = new Date();
  // One read of the store's files: the view and the config it is judged by.
  const src = await sourcesOf(ctx);
  const v = viewEntry(src, p);
  const j = keyJson(v, src.config, now);
  if (flags.json) {
    outJson(j);
    return 0;
  }
  const rows: string[][] = [
    ["path", j.path],
    ["recognized", describeRecognition(v.recognition)],
    ["state", j.state],
  ];
  if (j.provider) rows.splice(1, 0, ["provider", j.provider]);
  if (j.not_a_key) {
    rows.push([
      "not a key",
      `decrypted ${j.not_a_key.at}: not a ${j.not_a_key.provider} key (its shape does not match); ` +
      `keyz leaves it alone until it changes (keyz ignore ${j.path} to stop recognising it)`,
    ]);
  }
  if (j.credential) rows.push(["credential", j.credential]);
  for (const [k, val] of Object.entries(j.params)) rows.push([`param ${k}`, val]);
  for (const [k, val] of Object.entries(j.metadata ?? {})) rows.push([k, String(val)]);
  if (j.last_success_at) rows.push(["figures from", `${j.last_success_at} (${j.age} ago)`]);
  if (j.synced_at && j.synced_at !== j.last_success_at) rows.push(["last attempt", j.synced_at]);
  if (j.last_error) {
    rows.push(["last error", `${j.last_error.kind}: ${j.last_error.message} (${j.last_error.at})`]);
  }
  for (const i of j.issues) rows.push(["attention", `${i.kind}: ${i.message}`]);
  if (j.expires_at) rows.push(["expires_at", j.expires_at]);
  if (j.env) rows.push(["env", j.env]);
  if (j.low_balance !== null) rows.push(["low below", String(j.low_balance)]);
  if (j.tags.length) rows.push(["tags", j.tags.join(", ")]);
  if (j.notes) rows.push(["notes", j.notes]);
  for (const pr of j.problems) rows.push(["problem", pr]);
  outLines(table(rows.map(([k, val]) => [color.dim(k), escapeTerminal(val)])));
  return 0;
}

/** `keyz show work`: what the keys below a folder add up to. */
async function showFolder(
  ctx: Context,
  folder: string,
  entries: string[],
  flags: { json?: boolean },
): Promise<number> {
  const src = await sourcesOf(ctx);
  const views = entries.map((e) => viewEntry(src, e));
  const s = summarizeFolder(folder, views, src.config, Date.now());
  if (flags.json) {
    outJson(s);
    return 0;
  }
  const count = (o: Record<string, number | undefined>) =>
    Object.entries(o).map(([k, n]) => `${n} ${k.replaceAll("_", " ")}`).join(", ");
  const rows: string[][] = [
    ["folder", `${folder}/`],
    ["keys", s.keys ? `${s.keys} (${count(s.states)})` : "none"],
  ];
  if (s.balances.length) {
    rows.push([
      "balance",
      s.balances.map((b) => `${formatMoney(b.total)} ${b.currency}`).join(", "),
    ]);
  }
  if (s.attention) rows.push(["attention", `${s.attention} (${count(s.issues)})`]);
  if (s.others) {
    rows.push([
      "other",
      `${s.others === 1 ? "1 entry that is not a key" : `${s.others} entries that are not keys`}` +
      " (keyz ls --all)",
    ]);
  }
  outLines(table(rows.map(([k, val]) => [color.dim(k), escapeTerminal(val)])));
  if (s.attention) {
    out(color.dim(`keyz check ${escapeTerminal(folder)} lists what needs attention`));
  }
  return 0;
}
