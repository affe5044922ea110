/**
 * The typed-path language of manifests: `a.b[0].c`, `items[*].cost`, `infos[currency=USD].total`
 * (first match), `limits[?type=X].percentage` (every match), `list[-1]`, and `$` for the whole
 * document. Pure; never throws on odd input, except one that reaches more than MAX_PATH_VALUES
 * values (a `parse` FetchError).
 */
import { FetchError } from "../errors.ts";

/**
 * Most values one path may reach (trust rule 5): `[*]` over a huge array is refused rather than
 * summed. A month of daily cost buckets is a few thousand values; 100,000 is far above any
 * documented response and far below what would take noticeable time.
 */
export const MAX_PATH_VALUES = 100_000;

type Selector =
  | { kind: "key"; name: string }
  | { kind: "index"; index: number }
  | { kind: "all" }
  | { kind: "where"; field: string; value: string; every: boolean };

/*
 * The one grammar of paths, in pieces: the parser below is built from them, and so is
 * PATH_PATTERN, the regex the JSON Schema carries for editors (tests/path_grammar_test.ts
 * checks that the two agree). Segments are split at every ".", so a filter value holds no ".".
 */
const NAME = "[A-Za-z0-9_$@-]+";
const FIELD = "[A-Za-z0-9_]+";
const VALUE = "[^\\].]*";
const BRACKET = `\\[(?:\\*|-?\\d+|\\??${FIELD}=${VALUE})\\]`;
const SEGMENT = `${NAME}(?:${BRACKET})*`;

/** The whole path grammar as one regex (for the JSON Schema; the parser is the authority). */
export const PATH_PATTERN = `^(?:\\$|${SEGMENT}(?:\\.${SEGMENT})*)$`;

const SEGMENT_RE = new RegExp(`^(${NAME})((?:${BRACKET})*)$`);
const BRACKET_RE = new RegExp(`\\[(\\*|-?\\d+|\\??${FIELD}=${VALUE})\\]`, "g");

const cache = new Map<string, Selector[]>();

/** The selectors of a path; throws an Error naming the bad part. */
export function compilePath(path: string): Selector[] {
  const hit = cache.get(path);
  if (hit) return hit;
  const out: Selector[] = [];
  if (path !== "$") {
    for (const segment of path.split(".")) {
      const m = SEGMENT_RE.exec(segment);
      if (!m) throw new Error(`bad path segment "${segment.slice(0, 40)}"`);
      out.push({ kind: "key", name: m[1] });
      for (const [, inner] of m[2].matchAll(BRACKET_RE)) {
        if (inner === "*") out.push({ kind: "all" });
        else if (/^-?\d+$/.test(inner)) out.push({ kind: "index", index: Number(inner) });
        else {
          const every = inner.startsWith("?");
          const body = every ? inner.slice(1) : inner;
          const eq = body.indexOf("=");
          out.push({ kind: "where", field: body.slice(0, eq), value: body.slice(eq + 1), every });
        }
      }
    }
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(path, out);
  return out;
}

/** Whether a path is in the grammar. */
export function isPath(path: string): boolean {
  try {
    compilePath(path);
    return true;
  } catch {
    return false;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

/**
 * Every value the path reaches. A path without `[*]` yields at most one value; missing
 * parts yield none (the caller decides what "unknown" means).
 */
export function select(doc: unknown, path: string): unknown[] {
  let current: unknown[] = [doc];
  for (const sel of compilePath(path)) {
    const next: unknown[] = [];
    // Appends one by one: a spread (push(...v)) of a huge array overflows the stack.
    const add = (v: unknown) => {
      if (next.length >= MAX_PATH_VALUES) {
        throw new FetchError(
          "parse",
          `path ${path.slice(0, 80)} reaches more than ${MAX_PATH_VALUES} values`,
        );
      }
      next.push(v);
    };
    for (const v of current) {
      switch (sel.kind) {
        case "key":
          if (isRecord(v) && Object.hasOwn(v, sel.name)) add(v[sel.name]);
          break;
        case "index":
          if (Array.isArray(v)) {
            const i = sel.index < 0 ? v.length + sel.index : sel.index;
            if (i >= 0 && i < v.length) add(v[i]);
          }
          break;
        case "all":
          if (Array.isArray(v)) { for (const el of v) add(el); }
          break;
        case "where":
          if (Array.isArray(v)) {
            const matches = (el: unknown) =>
              isRecord(el) && scalarText(el[sel.field]) === sel.value;
            if (sel.every) {
              for (const el of v) if (matches(el)) add(el);
            } else {
              const found = v.find(matches);
              if (found !== undefined) add(found);
            }
          }
          break;
      }
    }
    current = next;
  }
  return current.filter((v) => v !== undefined && v !== null);
}

/** The single value at a path, or undefined. */
export function selectOne(doc: unknown, path: string): unknown {
  return select(doc, path)[0];
}
