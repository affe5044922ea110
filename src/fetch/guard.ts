/**
 * Where a key may go: only the host its manifest declares, over HTTPS. A test-only
 * KEYZ_BASE_URL_<ID> may replace the base URL, and only with a loopback host.
 */
import { FetchError } from "../errors.ts";
import type { Manifest } from "../providers/manifest.ts";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

export function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname);
}

export interface Target {
  base: URL;
  region: string | undefined;
  currency: string | undefined;
  dashboard: string | undefined;
}

type Region = NonNullable<Manifest["regions"]>[string];

/**
 * The region a key uses: the one it names (variable `region`), else the default, else the
 * first. A named region the manifest lacks is a `config` error.
 */
export function regionOf(
  m: Manifest,
  region: string | undefined,
): { name: string | undefined; region: Region | undefined } {
  const regions = m.regions ?? {};
  const name = region ?? m.defaultRegion ?? Object.keys(regions)[0];
  const r = name !== undefined && Object.hasOwn(regions, name) ? regions[name] : undefined;
  if (region !== undefined && m.regions && !r) {
    throw new FetchError(
      "config",
      `provider ${m.id} has no region "${region}" (regions: ${Object.keys(regions).join(", ")})`,
    );
  }
  return { name, region: r };
}

/** The base URL for a manifest and region, with the override rule applied. */
export function resolveTarget(
  m: Manifest,
  region: string | undefined,
  override: string | undefined,
): Target {
  const { name: regionName, region: r } = regionOf(m, region);
  if (r?.unavailable !== undefined) {
    throw new FetchError("config", `provider ${m.id} has no account API in region ${regionName}`);
  }
  const declared = r?.baseUrl ?? m.baseUrl;
  if (!declared) throw new FetchError("config", `provider ${m.id} declares no baseUrl`);
  let base = new URL(declared);
  if (override) {
    let o: URL;
    try {
      o = new URL(override);
    } catch {
      throw new FetchError("config", `KEYZ_BASE_URL for ${m.id} is not a URL`);
    }
    if (!isLoopback(o) || !/^https?:$/.test(o.protocol)) {
      throw new FetchError(
        "config",
        `KEYZ_BASE_URL for ${m.id} must point at a loopback host (127.0.0.1, localhost, ::1), not ${o.host}`,
      );
    }
    base = o;
  } else if (base.protocol !== "https:") {
    throw new FetchError("config", `provider ${m.id} base URL must use https`);
  }
  return {
    base,
    region: regionName,
    currency: r?.currency,
    dashboard: r?.dashboard ?? m.dashboard,
  };
}

/**
 * Join a rendered path onto the base and prove the result stays on the base's origin
 * (the schema already forbids schemes and `//`; this is the last line of defence).
 */
export function buildUrl(
  base: URL,
  path: string,
  query: Record<string, string>,
  redact: (text: string) => string = (t) => t,
): URL {
  const prefix = base.pathname.replace(/\/+$/, "");
  // The URL parser resolves `..` (also `%2e%2e`) segments, which would climb out of the
  // base path; a rendered path may carry them from a variable or a response.
  if (path.split("/").some((s) => /^(?:\.|%2e){1,2}$/i.test(s))) {
    throw new FetchError(
      "config",
      `path ${JSON.stringify(redact(path).slice(0, 80))} has a . or .. segment; refused`,
    );
  }
  const url = new URL(base.origin);
  url.pathname = `${prefix}${path}`;
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  if (url.origin !== base.origin) {
    throw new FetchError("config", `request would leave ${base.host}; refused`);
  }
  if (prefix && url.pathname !== prefix && !url.pathname.startsWith(`${prefix}/`)) {
    throw new FetchError("config", `request would leave ${base.host}${prefix}; refused`);
  }
  if (url.protocol !== "https:" && !isLoopback(url)) {
    throw new FetchError("config", `refusing plain http to ${url.host}`);
  }
  return url;
}
