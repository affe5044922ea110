/**
 * Turn the raw responses of a manifest's steps into normalized metadata. Pure: responses,
 * variables and the clock in; Metadata out, or a `parse` FetchError naming the field.
 */
import { isoSeconds } from "../util/time.ts";
import { FetchError } from "../errors.ts";
import type { Fields, Manifest, Plan, ValueExprShape, WhenShape } from "../providers/manifest.ts";
import { compilePath, MAX_PATH_VALUES, select } from "../providers/jsonpath.ts";
import { render, type Vars } from "../providers/template.ts";
import * as D from "../util/decimal.ts";
import type { Metadata } from "../sidecars/schema.ts";

/** Every page body of every step, by step id, in the order the steps ran. */
export type StepResponses = ReadonlyMap<string, readonly unknown[]>;

type Value = D.Decimal | string | boolean | Date;

class MissingValue extends Error {}

const HUNDRED: D.Decimal = { units: 100n, places: 0 };
/** Decimal places of a `ratio` percentage. */
export const RATIO_PLACES = 6;

/**
 * Longest label, plan or account id stored, in UTF-16 units, after redaction (trust rule 5):
 * a name is a few dozen characters; a longer value is cut and marked with "…".
 */
export const MAX_TEXT_FIELD = 256;
/** Longest reason stored (it comes from a manifest, which a shared store can carry). */
export const MAX_REASON = 512;

/** `text` cut to `max` units (never inside a surrogate pair), "…" marking a cut. */
export function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/**
 * The redactor of the normalize() call in progress. normalize is synchronous, so this is set
 * and reset around one call and never seen by another; it spares every helper a parameter.
 */
let redactText: (text: string) => string = (t) => t;

function fail(field: string, what: string): never {
  throw new FetchError("parse", `field ${field}: ${what}`);
}

function lastStep(responses: StepResponses): string {
  return [...responses.keys()].at(-1) ?? "";
}

/**
 * The range of timestamps keyz accepts from a response: years 1970 to 9999. What keyz writes it
 * must read back, and its sidecars hold four-digit years (trust rule 5).
 */
export const MIN_TIME_MS = Date.UTC(1970, 0, 1);
export const MAX_TIME_MS = Date.UTC(10000, 0, 1) - 1000;

function inRange(d: Date, shown: () => string, field: string): Date {
  const t = d.getTime();
  if (Number.isNaN(t)) fail(field, `${shown()} is not a date`);
  if (t < MIN_TIME_MS || t > MAX_TIME_MS) {
    fail(field, `${shown()} is out of range (years 1970 to 9999)`);
  }
  return d;
}

function toTimestamp(raw: unknown, unit: "s" | "ms" | undefined, field: string): Date {
  if (typeof raw === "string" && !/^-?\d+(\.\d+)?$/.test(raw)) {
    return inRange(new Date(raw), () => `"${redactText(raw).slice(0, 40)}"`, field);
  }
  const n = D.parseDecimal(raw);
  if (!n) fail(field, "is not a date");
  const num = D.toNumber(n);
  return inRange(
    new Date(unit === "ms" ? num : num * 1000),
    () => `${D.toString(n).slice(0, 40)} (epoch ${unit ?? "s"})`,
    field,
  );
}

function convert(raw: unknown, expr: ValueExprShape, field: string): Value {
  switch (expr.type ?? "decimal") {
    case "string":
      if (typeof raw === "string") return raw;
      if (typeof raw === "number" || typeof raw === "boolean") return String(raw);
      return fail(field, "is not text");
    case "boolean":
      if (typeof raw === "boolean") return raw;
      return fail(field, "is not true/false");
    case "timestamp":
      return toTimestamp(raw, expr.unit, field);
    default: {
      const d = D.parseDecimal(raw);
      if (!d) {
        const shown = typeof raw === "string" ? `"${redactText(raw).slice(0, 40)}"` : typeof raw;
        return fail(field, `${shown} is not a number`);
      }
      return d;
    }
  }
}

function reduce(values: Value[], expr: ValueExprShape, field: string): Value {
  const how = expr.aggregate ?? (values.length > 1 ? "sum" : "first");
  if (how === "count") return { units: BigInt(values.length), places: 0 };
  if (values.length === 0) throw new MissingValue();
  if (how === "first") return values[0];
  if (how === "last") return values[values.length - 1];
  if ((how === "min" || how === "max") && values.every((v) => v instanceof Date)) {
    // A loop, not Math.min(...times): a spread of many values overflows the stack.
    let best = (values[0] as Date).getTime();
    for (const v of values as Date[]) {
      const t = v.getTime();
      if (how === "min" ? t < best : t > best) best = t;
    }
    return new Date(best);
  }
  const decimals = values.map((v) => isDecimal(v) ? v : fail(field, `cannot ${how} non-numbers`));
  if (how === "sum") return decimals.reduce(D.add, D.ZERO);
  return decimals.reduce((a, b) => (D.compare(a, b) <= 0) === (how === "min") ? a : b);
}

function isDecimal(v: Value): v is D.Decimal {
  return typeof v === "object" && !(v instanceof Date);
}

/** Every value a path reaches in every page of a step, bounded like any path. */
function valuesAt(path: string, step: string, responses: StepResponses, field: string): unknown[] {
  const pages = responses.get(step);
  if (!pages) fail(field, `no step "${step}"`);
  const raw: unknown[] = [];
  for (const page of pages) {
    let values: unknown[];
    try {
      values = select(page, path);
    } catch (e) {
      return fail(field, e instanceof Error ? e.message : String(e));
    }
    if (raw.length + values.length > MAX_PATH_VALUES) {
      fail(field, `path ${path.slice(0, 80)} reaches more than ${MAX_PATH_VALUES} values`);
    }
    for (const v of values) raw.push(v);
  }
  return raw;
}

/** Whether a `when` condition holds: its field (the first value) equals one of the values. */
function holds(when: WhenShape, step: string | undefined, responses: StepResponses, field: string) {
  const v = valuesAt(when.path, step ?? lastStep(responses), responses, field)[0];
  if (typeof v !== "string" && typeof v !== "number" && typeof v !== "boolean") return false;
  return (when.in ?? [when.equals]).some((w) => String(w) === String(v));
}

function evaluate(
  expr: ValueExprShape,
  responses: StepResponses,
  field: string,
): Value {
  // Outside the default's reach: a value whose condition fails is unknown, never its default.
  if (expr.when && !holds(expr.when, expr.step, responses, field)) throw new MissingValue();
  let value: Value;
  try {
    value = evaluateBare(expr, responses, field);
  } catch (e) {
    if (!(e instanceof MissingValue) || expr.default === undefined || expr.default === null) {
      throw e;
    }
    return convert(expr.default, expr, field);
  }
  if (isDecimal(value)) {
    if (expr.scale !== undefined) {
      const s = D.parseDecimal(expr.scale);
      if (!s) fail(field, "bad scale");
      value = D.mul(value, s);
    }
    if (expr.negate) value = D.negate(value);
  }
  return value;
}

function evaluateBare(expr: ValueExprShape, responses: StepResponses, field: string): Value {
  if (expr.path !== undefined) {
    const raw = valuesAt(expr.path, expr.step ?? lastStep(responses), responses, field);
    return reduce(raw.map((r) => convert(r, expr, field)), expr, field);
  }
  if (expr.const !== undefined) return convert(expr.const, expr, field);
  if (expr.first) {
    // The first part the response carries; parts inherit the parent's type, unit and step.
    for (const part of expr.first) {
      try {
        return evaluate(
          { type: expr.type, unit: expr.unit, step: expr.step, ...part },
          responses,
          field,
        );
      } catch (e) {
        if (!(e instanceof MissingValue)) throw e;
      }
    }
    throw new MissingValue();
  }
  if (expr.difference) {
    const [a, b] = expr.difference.map((e) => evaluate(e, responses, field));
    if (!isDecimal(a) || !isDecimal(b)) fail(field, "difference needs numbers");
    return D.sub(a, b);
  }
  if (expr.ratio) {
    const [used, limit] = expr.ratio.map((e) => evaluate(e, responses, field));
    if (!isDecimal(used) || !isDecimal(limit)) fail(field, "ratio needs numbers");
    // A zero limit has no share: the figure stays unknown (or takes its default).
    const share = D.div(D.mul(used, HUNDRED), limit, RATIO_PLACES);
    if (!share) throw new MissingValue();
    return share;
  }
  if (expr.max || expr.min) {
    // The parts the response carries; they inherit the parent's type, unit and step.
    const parts: Value[] = [];
    for (const part of (expr.max ?? expr.min)!) {
      try {
        parts.push(
          evaluate(
            { type: expr.type, unit: expr.unit, step: expr.step, ...part },
            responses,
            field,
          ),
        );
      } catch (e) {
        if (!(e instanceof MissingValue)) throw e;
      }
    }
    if (parts.length === 0) throw new MissingValue();
    return reduce(parts, { aggregate: expr.max ? "max" : "min" }, field);
  }
  const parts = expr.sum!.map((e) => evaluate(e, responses, field));
  return parts.reduce<D.Decimal>(
    (acc, p) => isDecimal(p) ? D.add(acc, p) : fail(field, "sum needs numbers"),
    D.ZERO,
  );
}

/** Evaluate one field; undefined when the response does not carry it (never a made-up 0). */
export function evaluateField(
  expr: ValueExprShape,
  responses: StepResponses,
  field: string,
): Value | undefined {
  try {
    return evaluate(expr, responses, field);
  } catch (e) {
    if (e instanceof MissingValue) return undefined;
    throw e;
  }
}

type QuotaWindow = NonNullable<Fields["quota_windows"]>[number];

/** The step id under which a window element is read: no manifest step id can look like it. */
const WINDOW_STEP = "(window)";

/**
 * The binding window of a plan's quota windows: the highest share used, and its reset; on a
 * tie the later reset (the one that keeps the quota blocked longer). Undefined when no window
 * has a share.
 */
function bindingWindow(
  windows: readonly QuotaWindow[],
  responses: StepResponses,
): { used: D.Decimal; resets?: Date } | undefined {
  const field = "quota_windows";
  let best: { used: D.Decimal; resets?: Date } | undefined;
  for (const w of windows) {
    // Without `each` the window reads the plan's responses; with it, each element alone.
    const scopes: { step?: string; responses: StepResponses }[] = w.each === undefined
      ? [{ step: w.step, responses }]
      : valuesAt(w.each, w.step ?? lastStep(responses), responses, field)
        .map((el) => ({ responses: new Map([[WINDOW_STEP, [el]]]) }));
    for (const scope of scopes) {
      const used = evaluateField({ step: scope.step, ...w.used }, scope.responses, field);
      if (used === undefined) continue;
      if (!isDecimal(used)) fail(field, "used is not a number");
      const resets = w.resets &&
        evaluateField({ type: "timestamp", step: scope.step, ...w.resets }, scope.responses, field);
      const window = { used, ...(resets instanceof Date ? { resets } : {}) };
      const order = best ? D.compare(used, best.used) : 1;
      const later =
        (window.resets?.getTime() ?? -Infinity) > (best?.resets?.getTime() ?? -Infinity);
      if (order > 0 || (order === 0 && later)) best = window;
    }
  }
  return best;
}

const MONEY_FIELDS = [
  "balance",
  "credits_total",
  "credits_used",
  "spend",
  "limit",
  "limit_remaining",
  "quota_used_percent",
] as const;
const TIME_FIELDS = ["quota_resets_at", "expires_at"] as const;
const TEXT_FIELDS = ["label", "plan", "account_id"] as const;

function currencyOf(
  plan: Pick<Plan, "currency">,
  responses: StepResponses,
  regionCurrency: string | undefined,
): string | undefined {
  const c = plan.currency;
  if (typeof c === "string") return c;
  if (c) {
    const step = c.step ?? lastStep(responses);
    const raw = (responses.get(step) ?? []).flatMap((p) => select(p, c.path))[0];
    if (typeof raw === "string" && /^[A-Za-z]{3}$/.test(raw)) return raw.toUpperCase();
    if (raw !== undefined) {
      fail("currency", `"${redactText(String(raw)).slice(0, 20)}" is not a currency code`);
    }
  }
  return regionCurrency;
}

export interface NormalizeInput {
  plan: Pick<Plan, "kind" | "fields" | "currency" | "spendWindow">;
  responses: StepResponses;
  vars: Vars;
  now: Date;
  regionCurrency?: string;
  /** Removes the run's secrets from response text, before it is cut or quoted. */
  redact?: (text: string) => string;
}

/**
 * Fill `{var}` placeholders in a value's paths, e.g. `result[id={account_id}].name` picks the
 * element of the account the user pinned (or an extract found).
 */
function fillPaths(expr: ValueExprShape, vars: Vars, now: Date, field: string): ValueExprShape {
  const out: ValueExprShape = { ...expr };
  if (expr.path?.includes("{")) {
    let path: string;
    try {
      path = render(expr.path, vars, now);
    } catch (e) {
      return fail(field, e instanceof Error ? e.message : String(e));
    }
    try {
      compilePath(path);
    } catch {
      return fail(
        field,
        `path ${JSON.stringify(redactText(path).slice(0, 80))} is not valid once filled`,
      );
    }
    out.path = path;
  }
  if (expr.difference) {
    out.difference = [
      fillPaths(expr.difference[0], vars, now, field),
      fillPaths(expr.difference[1], vars, now, field),
    ];
  }
  if (expr.sum) out.sum = expr.sum.map((e) => fillPaths(e, vars, now, field));
  if (expr.first) out.first = expr.first.map((e) => fillPaths(e, vars, now, field));
  if (expr.max) out.max = expr.max.map((e) => fillPaths(e, vars, now, field));
  if (expr.min) out.min = expr.min.map((e) => fillPaths(e, vars, now, field));
  if (expr.ratio) {
    out.ratio = [
      fillPaths(expr.ratio[0], vars, now, field),
      fillPaths(expr.ratio[1], vars, now, field),
    ];
  }
  if (expr.when?.path.includes("{")) {
    out.when = { ...expr.when, path: fillPaths({ path: expr.when.path }, vars, now, field).path! };
  }
  return out;
}

/** The normalized figures of one successful fetch. */
export function normalize(input: NormalizeInput): Metadata {
  const previous = redactText;
  redactText = input.redact ?? ((t) => t);
  try {
    return normalizeWith(input);
  } finally {
    redactText = previous;
  }
}

function normalizeWith(input: NormalizeInput): Metadata {
  const { plan, responses } = input;
  const { quota_windows: windows, ...exprs } = plan.fields;
  const fields: Omit<Fields, "quota_windows"> = Object.fromEntries(
    Object.entries(exprs).map(([name, expr]) => [
      name,
      expr && fillPaths(expr, input.vars, input.now, name),
    ]),
  );
  const kinds = Array.isArray(plan.kind) ? plan.kind : [plan.kind];
  const out: Metadata = { kind: kinds[0] };
  for (const name of MONEY_FIELDS) {
    const expr = fields[name];
    if (!expr) continue;
    const v = evaluateField(expr, responses, name);
    if (v === undefined) continue;
    if (!isDecimal(v)) fail(name, "is not a number");
    out[name] = D.toNumber(v);
  }
  for (const name of TIME_FIELDS) {
    const expr = fields[name];
    if (!expr) continue;
    const v = evaluateField({ type: "timestamp", ...expr }, responses, name);
    if (v instanceof Date) out[name] = isoSeconds(v);
  }
  for (const name of TEXT_FIELDS) {
    const expr = fields[name];
    if (!expr) continue;
    const v = evaluateField({ type: "string", ...expr }, responses, name);
    // Redacted first (a provider may echo the key as a label), then cut.
    if (typeof v === "string" && v !== "") out[name] = capText(redactText(v), MAX_TEXT_FIELD);
  }
  if (windows) {
    const fill = (e: ValueExprShape) => fillPaths(e, input.vars, input.now, "quota_windows");
    const filled = windows.map((w) => ({
      ...w,
      ...(w.each ? { each: fill({ path: w.each }).path } : {}),
      used: fill(w.used),
      ...(w.resets ? { resets: fill(w.resets) } : {}),
    }));
    const binding = bindingWindow(filled, responses);
    if (binding) {
      out.quota_used_percent = D.toNumber(binding.used);
      if (binding.resets) out.quota_resets_at = isoSeconds(binding.resets);
    }
  }
  if (fields.available) {
    const v = evaluateField({ type: "boolean", ...fields.available }, responses, "available");
    if (typeof v === "boolean") out.available = v;
  }
  const main: Record<string, keyof Metadata> = {
    balance: "balance",
    spend: "spend",
    quota: "quota_used_percent",
  };
  const carries = (kind: string) => {
    const required = main[kind];
    return !required || out[required] !== undefined ||
      (kind === "balance" && out.limit_remaining !== undefined);
  };
  // The first kind whose figure the response carries; else the first kind's figure is missing.
  const kind = kinds.find(carries);
  if (kind === undefined) fail(main[kinds[0]], "missing from the response");
  out.kind = kind;
  if (kind === "balance" || kind === "spend") {
    const currency = currencyOf(plan, responses, input.regionCurrency);
    if (currency) out.currency = currency;
  }
  if (plan.spendWindow) {
    const start = render(plan.spendWindow.start, input.vars, input.now);
    const end = render(plan.spendWindow.end, input.vars, input.now);
    out.spend_window = `${start}/${end}`;
  }
  return out;
}

/**
 * Metadata for a provider (or a region of one) that has no account API: a reason, never a
 * figure.
 */
export function unavailable(
  manifest: Manifest,
  region?: { unavailable?: string; dashboard?: string },
): Metadata {
  const reason = region?.unavailable ?? manifest.reason ?? "the provider has no account API";
  const dashboard = region?.dashboard ?? manifest.dashboard;
  return {
    kind: "unavailable",
    reason: capText(reason, MAX_REASON),
    ...(dashboard ? { dashboard } : {}),
  };
}
