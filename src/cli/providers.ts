/** `keyz providers list|show|check|trust`. */
import * as env from "../env.ts";
import { KeyzError } from "../errors.ts";
import {
  formatProblem,
  hostsOf,
  type LoadedProvider,
  parseManifest,
  providerByName,
} from "../providers/load.ts";
import { isTrusted, trustProvider, untrustedProviders } from "../providers/trust.ts";
import { normalize, unavailable } from "../normalize/normalize.ts";
import { JsonBody } from "../fetch/http.ts";
import { selectOne } from "../providers/jsonpath.ts";
import { openContext } from "./context.ts";
import { out, outJson, outLines, table } from "./output.ts";

function summary(p: LoadedProvider, untrusted: Set<string>) {
  const m = p.manifest;
  return {
    id: m.id,
    name: m.name,
    source: p.source,
    kind: m.kind,
    key_type: m.keyType,
    credential: m.credential?.description ?? null,
    hosts: hostsOf(m),
    aliases: m.aliases,
    env: m.env ?? null,
    trusted: !untrusted.has(m.id),
    file: p.file,
  };
}

export async function providersListCommand(flags: { json?: boolean }): Promise<number> {
  const ctx = await openContext({ storeOptional: true });
  const untrusted = await untrustedProviders(ctx.providers, env.configDir());
  const list = [...ctx.providers.providers.values()].map((p) => summary(p, untrusted))
    .sort((a, b) => a.id.localeCompare(b.id));
  if (flags.json) {
    outJson({ providers: list, problems: ctx.providers.problems.map(formatProblem) });
    return 0;
  }
  const rows = list.map((p) => [
    p.id,
    p.source + (p.trusted ? "" : " (untrusted)"),
    p.kind,
    p.key_type,
    p.hosts.join(", ") || "-",
  ]);
  outLines(table([["ID", "SOURCE", "FIGURE", "KEY TYPE", "HOST"], ...rows]));
  return 0;
}

function findProvider(ctx: Awaited<ReturnType<typeof openContext>>, id: string): LoadedProvider {
  const p = providerByName(ctx.providers, id);
  if (!p) throw new KeyzError("usage", `unknown provider ${id}`, "see `keyz providers list`");
  return p;
}

/** The manifest as written (its comments carry the sources), or with --json as validated. */
export async function providersShowCommand(id: string, flags: { json?: boolean }): Promise<number> {
  const ctx = await openContext({ quietProblems: true, storeOptional: true });
  const p = findProvider(ctx, id);
  if (flags.json) {
    outJson(p.manifest);
    return 0;
  }
  out(`// ${p.file} (${p.source})`);
  out(p.text.trimEnd());
  return 0;
}

export async function providersTrustCommand(id: string): Promise<number> {
  const ctx = await openContext({ quietProblems: true, storeOptional: true });
  const p = findProvider(ctx, id);
  if (p.source === "built-in") {
    out(`${p.manifest.id} is built in and always trusted`);
    return 0;
  }
  await trustProvider(p, env.configDir());
  out(
    `trusted ${p.manifest.id} (${p.file}): keys will be sent to ${hostsOf(p.manifest).join(", ")}`,
  );
  return 0;
}

export async function providersCheckCommand(
  file: string,
  flags: { response?: string; json?: boolean },
): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new KeyzError("usage", `cannot read ${file}`, "give the path of a .jsonc manifest");
  }
  const r = parseManifest(text, file);
  if (!r.ok) {
    for (const p of r.problems.slice(1)) out(formatProblem(p));
    const first = r.problems[0];
    throw new KeyzError(
      "manifest",
      formatProblem(first),
      "fix the manifest; see docs/manifests.md",
    );
  }
  const m = r.manifest;
  if (!flags.response) {
    out(`${file}: ok (${m.id}, ${m.kind}, ${hostsOf(m).join(", ") || "no host"})`);
    return 0;
  }
  let body: unknown;
  try {
    body = JSON.parse(await Deno.readTextFile(flags.response));
  } catch {
    throw new KeyzError(
      "usage",
      `${flags.response} is not a JSON file`,
      "save the provider's response as JSON",
    );
  }
  const parsed = JsonBody.safeParse(body);
  if (!parsed.success) {
    throw new KeyzError("usage", `${flags.response}: expected a JSON object or array`);
  }
  if (m.kind === "unavailable") {
    outJson(unavailable(m));
    return 0;
  }
  // Every step reads the same saved response: enough to try a mapping without a network.
  const responses = new Map((m.steps ?? []).map((s) => [s.id, [parsed.data] as unknown[]]));
  const now = new Date();
  // Variables the steps would extract, taken from the same saved response.
  const vars: Record<string, string> = {};
  for (const step of m.steps ?? []) {
    for (const [name, paths] of Object.entries(step.extract ?? {})) {
      const v = (Array.isArray(paths) ? paths : [paths]).map((p) => selectOne(parsed.data, p))
        .find((x) => typeof x === "string" || typeof x === "number");
      if (vars[name] === undefined && (typeof v === "string" || typeof v === "number")) {
        vars[name] = String(v);
      }
    }
  }
  const { FetchError } = await import("../errors.ts");
  try {
    const metadata = normalize({
      plan: {
        kind: m.kind,
        fields: m.fields ?? {},
        currency: m.currency,
        spendWindow: m.spendWindow,
      },
      responses,
      vars,
      now,
      regionCurrency: Object.values(m.regions ?? {})[0]?.currency,
    });
    outJson(metadata);
  } catch (e) {
    if (e instanceof FetchError) {
      throw new KeyzError(
        "manifest",
        `${file}: ${e.message}`,
        "check the field paths against the response",
      );
    }
    throw e;
  }
  return 0;
}

export { isTrusted };
