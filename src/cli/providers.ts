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
import { escapeTerminal } from "../util/text.ts";
import { baseStateOf, credentialOf, recognizerOf, viewEntry } from "../view/entries.ts";
import { parseParams } from "./map.ts";
import { canAsk, confirm } from "./confirm.ts";
import { type Context, openContext, sourcesOf } from "./context.ts";
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

/** A key (or credential) a provider would be sent: by which path, recognised how. */
interface TrustedKey {
  path: string;
  role: "key" | "credential";
  how: "explicit" | "auto";
}

/**
 * The entries of the store a provider's manifest would receive once trusted: its keys (mapped,
 * or named after it), and the credentials mapped for them. Entries that are ignored, found not
 * to be keys, or encrypted for someone else are never sent, so they are not listed.
 */
async function keysFor(ctx: Context, id: string): Promise<TrustedKey[]> {
  if (!(await isStore(ctx))) return [];
  const src = await sourcesOf(ctx);
  const recognizer = recognizerOf(src);
  const mine = (await ctx.store.list()).filter((path) => {
    const r = recognizer.recognize(path);
    return r.kind === "key" && r.provider === id;
  });
  const out = new Map<string, TrustedKey>();
  for (const v of mine.map((path) => viewEntry(src, path))) {
    const r = v.recognition;
    if (r.kind !== "key" || r.provider !== id || v.notYours) continue;
    if (baseStateOf(v) === "not_a_key") continue;
    out.set(v.path, { path: v.path, role: "key", how: r.how });
    const credential = credentialOf(r);
    if (credential && !out.has(credential)) {
      out.set(credential, { path: credential, role: "credential", how: "explicit" });
    }
  }
  return [...out.values()].sort((a, b) => a.path.localeCompare(b.path));
}

async function isStore(ctx: Context): Promise<boolean> {
  return await Deno.stat(ctx.storeDir).then((s) => s.isDirectory, () => false);
}

export async function providersTrustCommand(
  id: string,
  flags: { yes?: boolean; json?: boolean } = {},
): Promise<number> {
  const ctx = await openContext({ quietProblems: true, storeOptional: true });
  const p = findProvider(ctx, id);
  const m = p.manifest;
  const hosts = hostsOf(m);
  const already = !(await untrustedProviders(ctx.providers, env.configDir())).has(m.id);
  const keys = p.source === "built-in" ? [] : await keysFor(ctx, m.id);
  const report = (trusted: boolean) => ({
    id: m.id,
    source: p.source,
    file: p.file,
    hosts,
    key_pattern: m.keyPattern,
    keys,
    trusted,
  });
  if (p.source === "built-in" || already) {
    if (flags.json) outJson(report(true));
    else {
      out(
        p.source === "built-in"
          ? `${m.id} is built in and always trusted`
          : `${m.id} (${escapeTerminal(p.file)}) is already trusted in this form`,
      );
    }
    return 0;
  }
  if (!flags.json) {
    out(
      `${escapeTerminal(p.file)} (${p.source} manifest ${m.id}) would receive, at ` +
        `${hosts.map(escapeTerminal).join(", ") || "no host"}:`,
    );
    if (keys.length === 0) {
      out(`  no entry of this store yet (entries mapped to ${m.id} or named after it)`);
    } else {
      outLines(table(keys.map((k) => [
        `  ${escapeTerminal(k.path)}`,
        k.role === "credential" ? "credential" : k.how === "explicit" ? "mapped" : "named after it",
      ])));
    }
    out(`each only if its first line has ${m.id}'s key shape ${escapeTerminal(m.keyPattern)}`);
  }
  if (!flags.yes) {
    if (flags.json || !canAsk()) {
      if (flags.json) outJson(report(false));
      throw new KeyzError(
        "no_terminal",
        `${m.id} is not trusted: trusting it needs a yes`,
        `read what it would receive, then keyz providers trust ${m.id} --yes`,
      );
    }
    if (!(await confirm(`Trust ${m.id}?`))) {
      out("not trusted");
      return 1;
    }
  }
  await trustProvider(p, env.configDir());
  if (flags.json) outJson(report(true));
  else out(`trusted ${m.id} (${escapeTerminal(p.file)}): keys will be sent to ${hosts.join(", ")}`);
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
