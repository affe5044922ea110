/** `keyz providers list|show|check|trust`. */
import * as env from "../env.ts";
import { FetchError, KeyzError } from "../errors.ts";
import { hostsOf, type LoadedProvider, parseManifest } from "../providers/load.ts";
import { formatProblem, providerByName } from "../providers/lookup.ts";
import { isTrusted, trustProvider, untrustedProviders } from "../providers/trust.ts";
import { JsonBody } from "../fetch/http.ts";
import { fetchMetadata, KEY_CHECK_STEP } from "../fetch/run.ts";
import { ReplayClient } from "../fetch/replay.ts";
import { manifestPatternProblems } from "../providers/key_shape.ts";
import { Secret } from "../store/secret.ts";
import { parseParams } from "./map.ts";
import { openContext } from "./context.ts";
import { escapeTerminal } from "../util/text.ts";
import { wrapWords } from "../util/wrap.ts";
import { errLines, out, outJson, outLines, table } from "./output.ts";

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
  const cells = list.map((p) => ({
    head: [escapeTerminal(p.id), p.source + (p.trusted ? "" : " (untrusted)"), p.kind],
    hosts: p.hosts.length ? p.hosts.map(escapeTerminal) : ["-"],
    keyType: escapeTerminal(p.key_type),
  }));
  const header = ["ID", "SOURCE", "FIGURE", "HOST", "KEY TYPE"];
  // Within LIST_WIDTH columns: one host per line, and the key type wrapped in what is left.
  const used =
    [0, 1, 2].map((i) => Math.max(header[i].length, ...cells.map((c) => c.head[i].length)))
      .reduce((a, b) => a + b + 2, 0) +
    Math.max(header[3].length, ...cells.flatMap((c) => c.hosts.map((h) => h.length))) + 2;
  const keyWidth = Math.max(20, LIST_WIDTH - used);
  const rows = cells.flatMap((c) => {
    const kt = wrapWords(c.keyType, keyWidth);
    return Array.from(
      { length: Math.max(kt.length, c.hosts.length) },
      (_, i) => [...(i === 0 ? c.head : ["", "", ""]), c.hosts[i] ?? "", kt[i] ?? ""],
    );
  });
  outLines(table([header, ...rows]));
  return 0;
}

/** `providers list` fits this many columns (--json has every field unwrapped). */
const LIST_WIDTH = 100;

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

export async function providersTrustCommand(
  id: string,
  flags: { json?: boolean } = {},
): Promise<number> {
  const ctx = await openContext({ quietProblems: true, storeOptional: true });
  const p = findProvider(ctx, id);
  const hosts = hostsOf(p.manifest);
  if (p.source !== "built-in") await trustProvider(p, env.configDir());
  if (flags.json) {
    outJson({ id: p.manifest.id, source: p.source, file: p.file, hosts, trusted: true });
  } else if (p.source === "built-in") {
    out(`${p.manifest.id} is built in and always trusted`);
  } else {
    out(`trusted ${p.manifest.id} (${p.file}): keys will be sent to ${hosts.join(", ")}`);
  }
  return 0;
}

/** The saved responses by step: `step=file` pairs, a bare file being the first step's. */
async function readResponses(
  items: string[],
  steps: string[],
): Promise<Map<string, JsonBody[]>> {
  const pages = new Map<string, JsonBody[]>();
  for (const item of items) {
    const m = /^([a-z][a-z0-9_]*)=(.+)$/.exec(item);
    const named = m !== null && steps.includes(m[1]);
    const step = named ? m[1] : steps[0];
    const file = named ? m[2] : item;
    if (step === undefined) {
      throw new KeyzError("usage", "this manifest sends no request", "drop --response");
    }
    let body: unknown;
    try {
      body = JSON.parse(await Deno.readTextFile(file));
    } catch {
      throw new KeyzError(
        "usage",
        `${file} is not a JSON file`,
        "save the provider's response as JSON",
      );
    }
    const parsed = JsonBody.safeParse(body);
    if (!parsed.success) throw new KeyzError("usage", `${file}: expected a JSON object or array`);
    pages.set(step, [...pages.get(step) ?? [], parsed.data]);
  }
  return pages;
}

export async function providersCheckCommand(
  file: string,
  flags: { response?: string[]; param?: string[]; json?: boolean },
): Promise<number> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    throw new KeyzError("usage", `cannot read ${file}`, "give the path of a .jsonc manifest");
  }
  const r = parseManifest(text, file, manifestPatternProblems);
  if (!r.ok) {
    const hint = "fix the manifest; see docs/manifests.md";
    // A JSONC syntax error (no field) is reported alone: the parse errors after it are its echo.
    if (r.problems.length === 1 || r.problems[0].field === "") {
      throw new KeyzError("manifest", formatProblem(r.problems[0]), hint);
    }
    // Every problem on stderr, one per line as file:line:col (like a compiler), then the one
    // keyz line that says what to do.
    errLines(r.problems.map((p) => escapeTerminal(formatProblem(p))));
    throw new KeyzError(
      "manifest",
      `${file} has ${r.problems.length} problems, listed above`,
      hint,
    );
  }
  const m = r.manifest;
  if (!flags.response?.length) {
    out(`${file}: ok (${m.id}, ${m.kind}, ${hostsOf(m).join(", ") || "no host"})`);
    return 0;
  }
  // The real fetcher over a client that replays the saved responses: what check prints is
  // what sync does with the same answers (nothing is sent, so no key is needed).
  const steps = m.kind === "unavailable"
    ? (m.keyCheck ? [KEY_CHECK_STEP] : [])
    : [...(m.steps ?? []), ...(m.fallback?.steps ?? [])].map((s) => s.id);
  const replay = new ReplayClient(await readResponses(flags.response, steps));
  try {
    const outcome = await fetchMetadata({
      manifest: m,
      path: file,
      key: new Secret("replayed-key"),
      credential: m.credential ? new Secret("replayed-credential") : undefined,
      vars: parseParams(flags.param ?? []),
      now: new Date(),
      retryBaseMs: 0,
    }, replay);
    outJson(outcome.metadata);
  } catch (e) {
    if (e instanceof FetchError) {
      throw new KeyzError(
        "manifest",
        `${file}: ${e.kind}: ${e.message}`,
        "check the field paths against the response",
      );
    }
    throw e;
  }
  return 0;
}

export { isTrusted };
