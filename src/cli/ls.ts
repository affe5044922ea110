/** `keyz ls` and `keyz show`: what is known, from sidecars only (no decryption, no network). */
import { KeyzError } from "../errors.ts";
import { age, headline, type KeyView, viewKey, viewKeys } from "../view/keys.ts";
import { existingEntry, openContext } from "./context.ts";
import { color, outJson, outLines, table } from "./output.ts";
import type { KeyOutput } from "./output_schemas.ts";

export type SortBy = "name" | "balance" | "synced";

/** The stable JSON shape of one key (ls --json items, show --json). */
export function keyJson(v: KeyView, now: Date): KeyOutput {
  const a = v.account;
  return {
    path: v.path,
    provider: v.mapping?.provider ?? null,
    mapped: v.mapping?.how ?? null,
    credential: v.mapping?.credential ?? null,
    state: v.state,
    metadata: a?.metadata ?? null,
    synced_at: a?.synced_at ?? null,
    last_success_at: a?.last_success_at ?? null,
    last_error: a?.last_error ?? null,
    age: a ? age(a.synced_at, now) : null,
    notes: v.key?.notes ?? null,
    tags: v.key?.tags ?? [],
    expires_at: v.key?.expires_at ?? a?.metadata?.expires_at ?? null,
    env: v.key?.env ?? v.provider?.manifest.env ?? null,
    problems: v.problems,
  };
}

const stateColor: Record<KeyView["state"], (s: string) => string> = {
  live: color.green,
  stale: color.yellow,
  error: color.red,
  unmapped: color.dim,
  never: color.dim,
  unavailable: color.dim,
};

function sortViews(views: KeyView[], by: SortBy): KeyView[] {
  const amount = (v: KeyView) => headline(v.account?.metadata).amount ?? Number.NEGATIVE_INFINITY;
  const synced = (v: KeyView) => v.account?.synced_at ?? "";
  const sorted = [...views];
  if (by === "balance") {
    sorted.sort((a, b) => amount(b) - amount(a) || a.path.localeCompare(b.path));
  } else if (by === "synced") {
    sorted.sort((a, b) => synced(b).localeCompare(synced(a)) || a.path.localeCompare(b.path));
  } else sorted.sort((a, b) => a.path.localeCompare(b.path));
  return sorted;
}

export async function lsCommand(
  flags: { json?: boolean; sort: SortBy; provider?: string },
): Promise<number> {
  const ctx = await openContext();
  const now = new Date();
  if (flags.provider && !ctx.providers.providers.has(flags.provider)) {
    throw new KeyzError("usage", `unknown provider ${flags.provider}`, "see `keyz providers list`");
  }
  let views = await viewKeys({ ...ctx, now }, await ctx.store.list());
  if (flags.provider) views = views.filter((v) => v.mapping?.provider === flags.provider);
  views = sortViews(views, flags.sort);
  if (flags.json) {
    outJson({ keys: views.map((v) => keyJson(v, now)) });
    return 0;
  }
  const rows = views.map((v) => [
    v.path,
    v.mapping?.provider ?? color.dim("-"),
    headline(v.account?.metadata).label || color.dim("-"),
    stateColor[v.state](v.state),
    v.account ? age(v.account.synced_at, now) : color.dim("never"),
  ]);
  outLines(table([["PATH", "PROVIDER", "FIGURE", "STATE", "AGE"].map(color.bold), ...rows]));
  return 0;
}

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
