/**
 * Manifest templates: `{name}` variables and `{anchor[+-N unit]|format}` times. Pure: the
 * clock is an argument.
 */
import { isoSeconds } from "../util/time.ts";

export type Vars = Readonly<Record<string, string>>;

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateError";
  }
}

const PLACEHOLDER_RE = /\{([^{}]*)\}/g;
const TIME_RE =
  /^(now|today|month_start|next_month_start)(?:([+-])(\d{1,5})([dhm]))?\|([a-z0-9]+)$/;

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

function anchorTime(anchor: string, now: Date): Date {
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  switch (anchor) {
    case "today":
      return new Date(Date.UTC(y, m, now.getUTCDate()));
    case "month_start":
      return new Date(Date.UTC(y, m, 1));
    case "next_month_start":
      return new Date(Date.UTC(y, m + 1, 1));
    default:
      return new Date(now.getTime());
  }
}

export function formatTime(d: Date, format: string): string {
  switch (format) {
    case "unix":
      return String(Math.floor(d.getTime() / 1000));
    case "ms":
      return String(d.getTime());
    case "rfc3339":
      return isoSeconds(d);
    case "date":
      return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
    case "datetime":
      return `${formatTime(d, "date")} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${
        pad(d.getUTCSeconds())
      }`;
    case "year":
      return String(d.getUTCFullYear());
    case "month":
      return String(d.getUTCMonth() + 1);
    case "day":
      return String(d.getUTCDate());
    default:
      throw new TemplateError(`unknown time format "${format}"`);
  }
}

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;

function resolvePlaceholder(inner: string, vars: Vars, now: Date): string {
  const t = TIME_RE.exec(inner);
  if (t) {
    const [, anchor, sign, amount, unit, format] = t;
    let d = anchorTime(anchor, now);
    if (sign) {
      const delta = Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS];
      d = new Date(d.getTime() + (sign === "-" ? -delta : delta));
    }
    return formatTime(d, format);
  }
  if (!/^[a-z][a-z0-9_]*$/.test(inner)) {
    throw new TemplateError(`bad placeholder "{${inner}}"`);
  }
  const v = vars[inner];
  if (v === undefined) throw new TemplateError(`no value for {${inner}}`);
  return v;
}

/** Fill a template. `encode` is applied to each substituted value (URL-encoding in paths). */
export function render(
  template: string,
  vars: Vars,
  now: Date,
  encode: (s: string) => string = (s) => s,
): string {
  return template.replace(
    PLACEHOLDER_RE,
    (_, inner: string) => encode(resolvePlaceholder(inner, vars, now)),
  );
}

/** Render every string inside a JSON value (POST bodies). */
export function renderDeep(value: unknown, vars: Vars, now: Date): unknown {
  if (typeof value === "string") return render(value, vars, now);
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, vars, now));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderDeep(v, vars, now)]),
    );
  }
  return value;
}
