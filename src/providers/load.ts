/**
 * Load and validate provider manifests from the three places, later adding to earlier:
 * built-in (embedded), the user's config folder, the store's .keyz/providers. A bad file is
 * reported with file:line:col and the field path; the other providers still load.
 */
import { findNodeAtLocation, type Node, parse, parseTree, printParseErrorCode } from "jsonc-parser";
import type { ParseError } from "jsonc-parser";
import { Manifest } from "./manifest.ts";
import { BUILTIN_MANIFESTS } from "./builtin.ts";
import { sha256Hex } from "../util/hash.ts";
import { isKeyzFolder } from "../sidecars/files.ts";

export type ProviderSource = "built-in" | "user" | "store";

export interface LoadedProvider {
  manifest: Manifest;
  source: ProviderSource;
  file: string;
  /** The file as written, comments included. */
  text: string;
  /** sha256 of the file's text (trust records). */
  hash: string;
}

export interface ManifestProblem {
  file: string;
  line: number;
  col: number;
  field: string;
  message: string;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

function nodeFor(tree: Node | undefined, path: PropertyKey[]): Node | undefined {
  const p = path.filter((k): k is string | number => typeof k !== "symbol");
  while (tree) {
    const node = findNodeAtLocation(tree, p);
    if (node) return node;
    if (p.length === 0) return tree;
    p.pop();
  }
  return undefined;
}

function fieldPath(path: PropertyKey[]): string {
  return path.map((k, i) =>
    typeof k === "number" ? `[${k}]` : i === 0 ? String(k) : `.${String(k)}`
  ).join("");
}

export type ParseResult =
  | { ok: true; manifest: Manifest }
  | { ok: false; problems: ManifestProblem[] };

/** Parse and validate one manifest text. Pure. */
export function parseManifest(text: string, file: string): ParseResult {
  const errors: ParseError[] = [];
  const value = parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length > 0) {
    return {
      ok: false,
      problems: errors.map((e) => ({
        file,
        ...lineCol(text, e.offset),
        field: "",
        message: `invalid JSONC: ${printParseErrorCode(e.error)}`,
      })),
    };
  }
  const result = Manifest.safeParse(value);
  if (result.success) return { ok: true, manifest: result.data };
  const tree = parseTree(text);
  return {
    ok: false,
    problems: result.error.issues.map((issue) => {
      const node = nodeFor(tree, [...issue.path]);
      return {
        file,
        ...lineCol(text, node?.offset ?? 0),
        field: fieldPath(issue.path),
        message: issue.message,
      };
    }),
  };
}

export function hostsOf(m: Manifest): string[] {
  const urls = [m.baseUrl, ...Object.values(m.regions ?? {}).map((r) => r.baseUrl)];
  return [...new Set(urls.filter((u): u is string => !!u).map((u) => new URL(u).host))];
}

export interface ProviderSet {
  providers: Map<string, LoadedProvider>;
  problems: ManifestProblem[];
}

export interface ManifestFile {
  file: string;
  text: string;
  source: ProviderSource;
}

/** Merge manifest files in order (built-in, user, store). Pure. */
export function mergeManifests(files: ManifestFile[]): ProviderSet {
  const providers = new Map<string, LoadedProvider>();
  const aliasOwner = new Map<string, string>();
  const problems: ManifestProblem[] = [];
  for (const f of files) {
    const problem = (file: string, field: string, message: string) => {
      const node = nodeFor(parseTree(f.text), [field]);
      problems.push({ file, ...lineCol(f.text, node?.offset ?? 0), field, message });
    };
    const r = parseManifest(f.text, f.file);
    if (!r.ok) {
      problems.push(...r.problems);
      continue;
    }
    const m = r.manifest;
    const existing = providers.get(m.id);
    if (existing?.source === "built-in" && f.source !== "built-in") {
      const same = hostsOf(existing.manifest).join() === hostsOf(m).join();
      if (!same) {
        problem(
          f.file,
          "id",
          `"${m.id}" is a built-in provider with host ${
            hostsOf(existing.manifest).join(", ")
          }; this file would send its keys to ${hostsOf(m).join(", ")} (rename the id)`,
        );
        continue;
      }
    }
    const clash = [m.id, ...m.aliases].find((a) => {
      const owner = aliasOwner.get(a);
      return owner !== undefined && owner !== m.id;
    });
    if (clash) {
      problem(f.file, "aliases", `"${clash}" already names provider ${aliasOwner.get(clash)}`);
      continue;
    }
    if (existing) {
      for (const a of [existing.manifest.id, ...existing.manifest.aliases]) aliasOwner.delete(a);
    }
    for (const a of [m.id, ...m.aliases]) aliasOwner.set(a, m.id);
    providers.set(m.id, {
      manifest: m,
      source: f.source,
      file: f.file,
      text: f.text,
      hash: sha256Hex(f.text),
    });
  }
  return { providers, problems };
}

async function readFolder(dir: string, source: ProviderSource): Promise<ManifestFile[]> {
  const out: ManifestFile[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (!e.isFile || !/\.jsonc?$/.test(e.name)) continue;
      const file = `${dir}/${e.name}`;
      out.push({ file, text: await Deno.readTextFile(file), source });
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

export interface LoadOptions {
  userDir?: string;
  storeDir?: string;
}

/** Load built-in, user and store manifests. */
export async function loadProviders(opts: LoadOptions): Promise<ProviderSet> {
  const files: ManifestFile[] = BUILTIN_MANIFESTS.map((b) => ({
    file: `providers/${b.name}`,
    text: b.text,
    source: "built-in" as const,
  }));
  if (opts.userDir) files.push(...await readFolder(opts.userDir, "user"));
  // Store manifests only from a real folder (a link there would read files from anywhere).
  if (opts.storeDir && isKeyzFolder(opts.storeDir, ".keyz/providers")) {
    files.push(...await readFolder(`${opts.storeDir}/.keyz/providers`, "store"));
  }
  return mergeManifests(files);
}

export { formatProblem, providerByName } from "./lookup.ts";
