/**
 * Load and validate provider manifests from the three places, later adding to earlier:
 * built-in (embedded), the user's config folder, the store's .keyz/providers. A bad file is
 * reported with file:line:col and the field path; the other providers still load.
 */
import type { LoadedProvider, ManifestProblem, ProviderSet, ProviderSource } from "./types.ts";
import { findNodeAtLocation, type Node, parse, parseTree, printParseErrorCode } from "jsonc-parser";
import type { ParseError } from "jsonc-parser";
import { Manifest } from "./manifest.ts";
import { BUILTIN_MANIFESTS } from "./builtin.ts";
import { sha256Hex } from "../util/hash.ts";
import { depthExceededAt } from "../util/jsonc_depth.ts";
import { isKeyzFolder } from "../sidecars/files.ts";
import { hostsOf } from "./hosts.ts";

/** Deepest nesting a manifest may have (the language needs about 8; checked before parsing). */
export const MAX_MANIFEST_DEPTH = 32;
/** Largest manifest file read, in bytes (the biggest built-in is about 5 KB). */
export const MAX_MANIFEST_BYTES = 256 * 1024;

/**
 * Folder names that many stores have for reasons of their own: a store manifest may not use
 * one as its id or an alias, since auto-mapping would then claim every key below such a folder
 * (`api/deepseek/main` by an alias `main`). Documented in docs/manifests.md.
 */
// deno-fmt-ignore
export const GENERIC_NAMES: ReadonlySet<string> = new Set([
  "main", "api", "apis", "key", "keys", "token", "tokens", "secret", "secrets", "password",
  "passwords", "prod", "production", "dev", "development", "test", "testing", "staging", "stage",
  "qa", "work", "personal", "private", "public", "team", "teams", "shared", "default", "admin",
  "root", "user", "users", "org", "company", "home", "local", "old", "new", "backup", "tmp",
  "temp", "misc", "other", "others", "ai", "llm", "llms", "ml", "web", "email", "mail", "bank",
  "social", "ci", "cd", "deploy", "infra", "ops", "service", "services", "app", "apps", "bot",
  "bots", "demo", "sandbox", "live", "env", "cloud", "servers", "server",
]);

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

/**
 * Extra checks zod cannot run cheaply: the RE2 regexes (key_shape.ts manifestPatternProblems,
 * passed in so that loading built-ins alone never imports re2js).
 */
export type PatternCheck = (m: Manifest) => { field: string; message: string }[];

/** Parse and validate one manifest text. Pure. */
export function parseManifest(
  text: string,
  file: string,
  patternCheck?: PatternCheck,
): ParseResult {
  if (text.length > MAX_MANIFEST_BYTES) {
    return {
      ok: false,
      problems: [{
        file,
        line: 1,
        col: 1,
        field: "",
        message: `file is larger than ${MAX_MANIFEST_BYTES} bytes; skipped`,
      }],
    };
  }
  const deep = depthExceededAt(text, MAX_MANIFEST_DEPTH);
  if (deep !== undefined) {
    return {
      ok: false,
      problems: [{
        file,
        ...lineCol(text, deep),
        field: "",
        message: `nested deeper than ${MAX_MANIFEST_DEPTH} levels; skipped`,
      }],
    };
  }
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
  if (result.success) {
    const bad = patternCheck?.(result.data) ?? [];
    if (bad.length === 0) return { ok: true, manifest: result.data };
    const tree = parseTree(text);
    return {
      ok: false,
      problems: bad.map((b) => ({
        file,
        ...lineCol(text, nodeFor(tree, b.field.split("."))?.offset ?? 0),
        field: b.field,
        message: b.message,
      })),
    };
  }
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

export { hostsOf };

export interface ManifestFile {
  file: string;
  text: string;
  source: ProviderSource;
  /** Larger than MAX_MANIFEST_BYTES: not read, reported as a problem. */
  tooLarge?: boolean;
}

/**
 * Merge manifest files in order (built-in, user, store). Pure. The regexes of user and store
 * files are checked with `patternCheck`; built-ins are checked by the test suite.
 */
export function mergeManifests(files: ManifestFile[], patternCheck?: PatternCheck): ProviderSet {
  const providers = new Map<string, LoadedProvider>();
  const aliasOwner = new Map<string, string>();
  const problems: ManifestProblem[] = [];
  for (const f of files) {
    const problem = (file: string, field: string, message: string) => {
      const node = nodeFor(parseTree(f.text), [field]);
      problems.push({ file, ...lineCol(f.text, node?.offset ?? 0), field, message });
    };
    if (f.tooLarge) {
      problem(f.file, "", `file is larger than ${MAX_MANIFEST_BYTES} bytes; skipped`);
      continue;
    }
    const r = parseManifest(f.text, f.file, f.source === "built-in" ? undefined : patternCheck);
    if (!r.ok) {
      for (const p of r.problems) problems.push(p);
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
    if (f.source === "store") {
      // Trust rule 7: a manifest that arrived with the store's git cannot capture keys: not the
      // id or an alias of a provider already loaded (built-in or the user's own), and not a
      // folder name that any store has.
      const field = (name: string) => name === m.id ? "id" : "aliases";
      const generic = [m.id, ...m.aliases].find((n) => GENERIC_NAMES.has(n));
      if (generic) {
        problem(
          f.file,
          field(generic),
          `"${generic}" is a generic folder name; a store manifest may not use it as its id or ` +
            "an alias (it would claim the keys in every such folder)",
        );
        continue;
      }
      const claimed = [m.id, ...m.aliases].find((n) => aliasOwner.has(n));
      if (claimed) {
        const owner = providers.get(aliasOwner.get(claimed)!)!;
        problem(
          f.file,
          field(claimed),
          `"${claimed}" names the ${owner.source} provider ${owner.manifest.id}; a store ` +
            "manifest may not use its id or aliases (rename it)",
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
      const text = await readCapped(file);
      out.push(
        text === undefined ? { file, text: "", source, tooLarge: true } : { file, text, source },
      );
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out.sort((a, b) => a.file.localeCompare(b.file));
}

/** The file's text; undefined when it is larger than MAX_MANIFEST_BYTES (not read further). */
async function readCapped(file: string): Promise<string | undefined> {
  using f = await Deno.open(file);
  const buf = new Uint8Array(MAX_MANIFEST_BYTES + 1);
  let n = 0;
  while (n < buf.length) {
    const got = await f.read(buf.subarray(n));
    if (got === null) break;
    n += got;
  }
  return n > MAX_MANIFEST_BYTES ? undefined : new TextDecoder().decode(buf.subarray(0, n));
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
  if (opts.userDir) { for (const f of await readFolder(opts.userDir, "user")) files.push(f); }
  // Store manifests only from a real folder (a link there would read files from anywhere).
  if (opts.storeDir && isKeyzFolder(opts.storeDir, ".keyz/providers")) {
    for (const f of await readFolder(`${opts.storeDir}/.keyz/providers`, "store")) files.push(f);
  }
  const dropIns = files.some((f) => f.source !== "built-in");
  const patternCheck = dropIns
    ? (await import("./key_shape.ts")).manifestPatternProblems
    : undefined;
  return mergeManifests(files, patternCheck);
}

export type { LoadedProvider, ManifestProblem, ProviderSet, ProviderSource };
