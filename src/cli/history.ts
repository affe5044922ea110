/** `keyz history <path>`: every recorded figure of a key, a chart, burn rate and run-out date. */
import { KeyzError } from "../errors.ts";
import { fileVersions } from "../git/git.ts";
import {
  burnRate,
  mergeSeries,
  parseSince,
  type Point,
  pointFromHistory,
  pointFromSnapshot,
  projectRunOut,
  sparkline,
} from "../history/series.ts";
import { parseJsonText } from "../sidecars/files.ts";
import { migrating } from "../sidecars/migrate.ts";
import { AccountSidecar } from "../sidecars/schema.ts";
import { paths } from "../sidecars/sidecars.ts";
import { normalizePassPath } from "../store/path.ts";
import { formatMoney } from "../view/format.ts";
import { noSuchPath, openContext, viewsOf } from "./context.ts";
import { color, out, outJson, table } from "./output.ts";

const SnapshotSchema = migrating("account", AccountSidecar);

function formatValue(p: Point): string {
  if (p.figure === "quota") return `${p.value}%`;
  return `${formatMoney(p.value)}${p.currency ? ` ${p.currency}` : ""}`;
}

export async function historyCommand(
  input: string,
  flags: { json?: boolean; since?: string },
): Promise<number> {
  const ctx = await openContext({ quietProblems: true });
  const path = normalizePassPath(input);
  const now = new Date();
  let since: Date | undefined;
  if (flags.since !== undefined) {
    since = parseSince(flags.since, now);
    if (!since) {
      throw new KeyzError(
        "usage",
        `--since ${flags.since} is not a date`,
        "use a date like 2026-01-31 or an age like 30d or 8w",
      );
    }
  }
  const lines = await ctx.sidecars.readHistory(path);
  const [view] = await viewsOf(ctx, [path]);
  const snapshots: Point[] = [];
  if (view.accountId) {
    const rel = paths.account(view.accountId);
    for (const v of await fileVersions(ctx.storeDir, rel)) {
      const r = parseJsonText(v.text, `${rel}@${v.commit.slice(0, 8)}`, SnapshotSchema);
      const p = r.ok ? pointFromSnapshot(r.value) : undefined;
      if (p) snapshots.push(p);
    }
  }
  const history = lines.map(pointFromHistory).filter((p): p is Point => !!p);
  if (history.length === 0 && snapshots.length === 0 && !(await ctx.store.exists(path))) {
    throw noSuchPath(
      `no such entry: ${path}`,
      path,
      await ctx.store.list(),
      "see `keyz ls` for the entries",
    );
  }
  const points = mergeSeries(history, snapshots, since);
  const rate = burnRate(points);
  const runsOut = projectRunOut(points, rate);
  const last = points.at(-1);
  const errors =
    lines.filter((l) => l.status === "error" && (!since || Date.parse(l.at) >= since.getTime()))
      .length;

  if (flags.json) {
    outJson({
      path,
      provider: view.recognition.kind === "key" ? view.recognition.provider : null,
      figure: last?.figure ?? null,
      currency: last?.currency ?? null,
      points: points.map((p) => ({ at: p.at, value: p.value, source: p.source })),
      failed_syncs: errors,
      burn_per_day: rate ?? null,
      runs_out_at: runsOut?.toISOString() ?? null,
    });
    return 0;
  }
  if (!last) {
    out(`${path}: no figures recorded yet${errors ? ` (${errors} failed syncs)` : ""}`);
    out(color.dim("run `keyz sync` to record one"));
    return 0;
  }
  const rows = points.map((p, i) => {
    const d = i === 0 ? undefined : p.value - points[i - 1].value;
    const change = d === undefined || d === 0
      ? ""
      : `${d > 0 ? "+" : ""}${p.figure === "quota" ? `${d.toFixed(1)}%` : formatMoney(d)}`;
    return [p.at.replace("T", " ").replace("Z", ""), formatValue(p), color.dim(change)];
  });
  for (
    const l of table([["WHEN (UTC)", last.figure.toUpperCase(), "CHANGE"].map(color.bold), ...rows])
  ) {
    out(l);
  }
  out();
  const values = points.map((p) => p.value);
  out(
    `${color.cyan(sparkline(values, 60))}  ${
      color.dim(
        `min ${formatValue({ ...last, value: Math.min(...values) })}, max ${
          formatValue({ ...last, value: Math.max(...values) })
        }`,
      )
    }`,
  );
  const unit = last.figure === "quota" ? "%" : last.currency ? ` ${last.currency}` : "";
  const verb = last.figure === "balance" ? "burn" : last.figure === "spend" ? "spend" : "use";
  out(
    rate === undefined
      ? color.dim(`${verb} rate: not enough data yet (needs two figures an hour or more apart)`)
      : `${verb} rate: ${
        last.figure === "quota" ? rate.toFixed(2) : formatMoney(rate)
      }${unit} per day`,
  );
  if (runsOut) {
    const what = last.figure === "quota" ? "quota used up" : "runs out";
    out(`${what}: ${runsOut.toISOString().slice(0, 10)} (at this rate)`);
  }
  if (errors) out(color.dim(`${errors} failed sync${errors === 1 ? "" : "s"} not shown`));
  return 0;
}
