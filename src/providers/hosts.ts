/** The hosts a manifest sends keys to. Light on purpose: the browser's start-up imports it. */
import type { Manifest } from "./manifest.ts";

export function hostsOf(m: Manifest): string[] {
  const urls = [m.baseUrl, ...Object.values(m.regions ?? {}).map((r) => r.baseUrl)];
  return [...new Set(urls.filter((u): u is string => !!u).map((u) => new URL(u).host))];
}
