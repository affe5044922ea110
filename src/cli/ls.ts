/**
 * `keyz ls`: the keys of the store with provider, figure, state and the figure's age, from the
 * snapshot (the file tree and sidecars, through the snapshot cache): no decryption, no network.
 * Entries that are not keys are summed up in one line; `--all` lists them too.
 */
import { KeyzError } from "../errors.ts";
import { type EntryView, viewsFromSnapshot } from "../view/entries.ts";
import { ageSince } from "../view/format.ts";
import { isKeyState, type IssueKind, judge, type KeyState } from "../view/judge.ts";
import {
  balanceOf,
  compareBalance,
  eachRow,
  entrySummary,
  listingOf,
  type ListingRow,
  rowOfView,
} from "../view/listing.ts";
import { escapeTerminal } from "../util/text.ts";
import { keyJson } from "./key_json.ts";
import { openListing, openSnapshot, snapshotOptions } from "./open_snapshot.ts";
import type { SnapshotOptions } from "../view/snapshot.ts";
import { color, isQuiet, out, outJson, outLines, table } from "./output.ts";

export type SortBy = "name" | "balance" | "synced";

export interface LsFlags {
  json?: boolean;
  all?: boolean;
  sort: SortBy;
  provider?: string;
}

const stateColor = (s: KeyState): (t: string) => string =>
  s === "live"
    ? color.green
    : s === "stale"
    ? color.yellow
    : s === "network" || s === "auth" || s === "provider" || s === "config"
    ? color.red
    : color.dim;

/** Rows in the requested order; `rows` come sorted by name. */
export function sortRows<R extends Pick<ListingRow, "remaining" | "currency" | "fetchedMs">>(
  rows: readonly R[],
  by: SortBy,
): R[] {
  if (by === "name") return [...rows];
  const order = new Map(rows.map((r, i) => [r, i]));
  const byIndex = (a: R, b: R) => order.get(a)! - order.get(b)!;
  const synced = (r: R) => r.fetchedMs ?? Number.NEGATIVE_INFINITY;
  return [...rows].sort(
    by === "balance"
      ? (a, b) => compareBalance(balanceOf(a), balanceOf(b)) || byIndex(a, b)
      : (a, b) => synced(b) - synced(a) || byIndex(a, b),
  );
}

/** What an issue adds to the STATE column (failures and staleness are the state itself). */
const ISSUE_WORD: Partial<Record<IssueKind, string>> = {
  low_balance: "low",
  expired: "expired",
  expiring: "expiring",
  disabled: "disabled",
};

function row(r: Readonly<ListingRow>, now: number): string[] {
  const { state, issues } = judge(r, now);
  const words = issues.length
    ? [...new Set(issues.map((i) => ISSUE_WORD[i.kind]).filter(Boolean))]
    : [];
  const shown = words.length ? [state, ...words].join(" ") : state;
  return [
    escapeTerminal(r.path),
    r.provider ? escapeTerminal(r.provider) : color.dim("-"),
    r.figure ? escapeTerminal(r.figure) : color.dim("-"),
    words.length ? color.yellow(shown) : stateColor(state)(shown),
    r.fetchedMs !== undefined ? ageSince(r.fetchedMs, now) : color.dim("never"),
  ];
}

const HEADER = ["PATH", "PROVIDER", "FIGURE", "STATE", "AGE"];

export async function lsCommand(flags: LsFlags): Promise<number> {
  if (flags.json || flags.all) return await lsFull(flags);
  return await printListing(snapshotOptions(), flags);
}

/** Plain `keyz ls` of a store (the demo prints its store through this too). */
export async function printListing(opts: SnapshotOptions, flags: LsFlags): Promise<number> {
  const listing = await openListing(opts);
  if (flags.provider && !listing.providers.some((p) => p.id === flags.provider)) {
    throw unknownProvider(flags.provider);
  }
  const now = Date.now();
  const cells: string[][] = [HEADER.map(color.bold)];
  let keys = 0;
  if (flags.sort === "name") {
    // Rows come sorted by name: visit them (one reused row, no object per key; on 10,000 keys
    // a tenth of ls's time).
    eachRow(listing, (r) => {
      keys++;
      if (!flags.provider || r.provider === flags.provider) cells.push(row(r, now));
    });
  } else {
    let rows = listing.rows;
    keys = rows.length;
    if (flags.provider) rows = rows.filter((r) => r.provider === flags.provider);
    for (const r of sortRows(rows, flags.sort)) cells.push(row(r, now));
  }
  outLines(table(cells));
  if (!isQuiet() && !flags.provider) {
    out(color.dim(`${entrySummary(keys, listing.others)}${hint(listing.others)}`));
  }
  return 0;
}

const hint = (o: { other: number; ignored: number; not_a_key: number }) =>
  o.other + o.ignored + o.not_a_key ? " (keyz ls --all)" : "";

/** `ls --json` and `ls --all`: from the full snapshot (every field, every entry). */
async function lsFull(flags: LsFlags): Promise<number> {
  const snapshot = await openSnapshot();
  if (flags.provider && !snapshot.providers.providers.has(flags.provider)) {
    throw unknownProvider(flags.provider);
  }
  const now = new Date();
  let views = viewsFromSnapshot(snapshot);
  if (flags.provider) {
    views = views.filter((v) =>
      v.recognition.kind === "key" && v.recognition.provider === flags.provider
    );
  }
  const rows = views.map((v) => ({ view: v, row: rowOfView(v, snapshot.config) }));
  const keys = rows.filter((r) => isKeyState(r.row.base));
  const shown = flags.all ? rows : keys;
  const byRow = new Map(shown.map((r) => [r.row, r.view]));
  const sorted = sortRows(shown.map((r) => r.row), flags.sort).map((r) => byRow.get(r)!);
  if (flags.json) {
    const others = listingOf(views, snapshot.config, snapshot.providers, []).others;
    outJson({ keys: sorted.map((v) => keyJson(v, snapshot.config, now)), others });
    return 0;
  }
  const t = now.getTime();
  outLines(table([
    HEADER.map(color.bold),
    ...sorted.map((v: EntryView) => row(rowOfView(v, snapshot.config), t)),
  ]));
  return 0;
}

function unknownProvider(id: string): KeyzError {
  return new KeyzError("usage", `unknown provider ${id}`, "see `keyz providers list`");
}
