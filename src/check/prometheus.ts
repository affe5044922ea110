/**
 * Key figures in the Prometheus text exposition format (version 0.0.4), for node_exporter's
 * textfile collector: one series per key, labelled with its path and provider.
 */
import type { EntryView } from "../view/entries.ts";
import type { KeyCheck } from "./check.ts";

/**
 * Label values: backslash, double quote and newline are escaped (exposition format spec); the
 * format allows any other UTF-8, so control characters pass as they are inside the quotes.
 */
export function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"').replaceAll("\n", "\\n");
}

function labels(l: Record<string, string>): string {
  const parts = Object.keys(l).sort().map((k) => `${k}="${escapeLabel(l[k])}"`);
  return `{${parts.join(",")}}`;
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "+Inf" : "-Inf";
  return String(n);
}

interface Family {
  name: string;
  help: string;
  samples: string[];
}

/**
 * One series per key. Only keys are exported (never an ordinary password's path): the caller
 * passes the views of keys, and `checks` for the same keys.
 */
export function renderPrometheus(views: EntryView[], checks: KeyCheck[]): string {
  const fam = (name: string, help: string): Family => ({ name, help, samples: [] });
  const families = {
    up: fam("keyz_up", "1 when the key's last sync succeeded, 0 when it failed or never ran"),
    balance: fam("keyz_balance", "Remaining balance (or remaining limit) of the key's account"),
    spend: fam("keyz_spend", "Spend of the key's account over the provider's window"),
    quota: fam("keyz_quota_used_percent", "Share of the quota used, in percent"),
    synced: fam(
      "keyz_last_sync_timestamp_seconds",
      "Unix time of the last successful sync of the key",
    ),
    expires: fam("keyz_expires_timestamp_seconds", "Unix time the key expires"),
    attention: fam("keyz_attention", "Number of issues `keyz check` reports for the key"),
  };
  const checkOf = new Map(checks.map((c) => [c.path, c]));
  for (const v of views) {
    if (v.recognition.kind !== "key") continue;
    const base = { path: v.path, provider: v.recognition.provider };
    const add = (f: Family, value: number, extra: Record<string, string> = {}) =>
      f.samples.push(`${f.name}${labels({ ...base, ...extra })} ${num(value)}`);
    const a = v.account;
    const m = a?.fetched_at ? a.metadata : null;
    const cur: Record<string, string> = m?.currency ? { currency: m.currency } : {};
    add(families.up, m && !v.attempt?.error ? 1 : 0);
    const amount = m?.balance ?? m?.limit_remaining;
    if (amount !== undefined) add(families.balance, amount, cur);
    if (m?.spend !== undefined) add(families.spend, m.spend, cur);
    if (m?.quota_used_percent !== undefined) add(families.quota, m.quota_used_percent);
    if (m && a?.fetched_at) add(families.synced, Date.parse(a.fetched_at) / 1000);
    const expires = v.key?.expires_at ?? m?.expires_at;
    if (expires) add(families.expires, Date.parse(expires) / 1000);
    add(families.attention, checkOf.get(v.path)?.issues.length ?? 0);
  }
  const out: string[] = [];
  for (const f of Object.values(families)) {
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`, ...f.samples);
  }
  return out.join("\n") + "\n";
}
