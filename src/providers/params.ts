/**
 * The parameters a manifest accepts (`keyz map --param NAME=VALUE`): those it declares, and
 * `region` when it has regions. Checked when a mapping is made, so a typo fails at once with a
 * suggestion instead of at the next sync.
 */
import type { Manifest, Param } from "./manifest.ts";
import { compilePattern } from "./key_shape.ts";
import { didYouMean, editDistance } from "../util/suggest.ts";

export interface ParamSpec {
  description: string;
  values?: readonly string[];
  pattern?: string;
}

/** Every parameter a manifest takes, by name. */
export function paramsOf(m: Manifest): Record<string, ParamSpec> {
  const out: Record<string, ParamSpec> = {};
  if (m.regions) {
    out.region = {
      description: `the region to ask (default ${m.defaultRegion ?? Object.keys(m.regions)[0]})`,
      values: Object.keys(m.regions),
    };
  }
  for (const [name, p] of Object.entries(m.params ?? {}) as [string, Param][]) {
    out[name] = {
      description: p.description,
      ...(p.values ? { values: p.values } : {}),
      ...(p.pattern ? { pattern: p.pattern } : {}),
    };
  }
  return out;
}

/** Why `name=value` is not a parameter this provider takes, as {what, hint}; else undefined. */
export function paramProblem(
  m: Manifest,
  name: string,
  value: string,
): { what: string; hint: string } | undefined {
  const all = paramsOf(m);
  const spec = all[name];
  const names = Object.keys(all);
  if (!spec) {
    const close = names.filter((n) => editDistance(name, n, 2) <= 2);
    return {
      what: `${m.id} has no parameter "${name}"${close.length ? ` (${didYouMean(close)})` : ""}`,
      hint: names.length
        ? `its parameters: ${names.map((n) => `${n} (${all[n].description})`).join("; ")}`
        : `${m.id} takes no parameters`,
    };
  }
  if (spec.values && !spec.values.includes(value)) {
    const close = spec.values.filter((v) => editDistance(value, v, 2) <= 2);
    return {
      what: `${m.id} has no ${name} "${value}"${close.length ? ` (${didYouMean(close)})` : ""}`,
      hint: `one of ${spec.values.join(", ")}`,
    };
  }
  if (spec.pattern && !compilePattern(spec.pattern).testExact(value)) {
    return {
      what: `"${value}" is not a ${m.name} ${name.replaceAll("_", " ")}`,
      hint: `${spec.description}; it must match ${spec.pattern}`,
    };
  }
  return undefined;
}
