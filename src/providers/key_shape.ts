/**
 * Key shapes (trust rule 1): may this secret be sent as this provider's key, or as its
 * credential? Every manifest declares `keyPattern` (and `credential.keyPattern`), an RE2
 * regex run by re2js: linear time in the secret's length whatever the pattern, so a manifest
 * from a shared store cannot hang keyz with a catastrophic pattern. The WHOLE secret must
 * match (as if the pattern were wrapped in `^(?:…)$`).
 *
 * This module brings re2js (~15 ms to import, ~10 ms for the first compile): the listing
 * path (`ls`, `browse`) never imports it; `loadProviders` loads it only to validate user and
 * store manifests (the built-ins are checked by tests/key_shape_test.ts).
 */
import { RE2JS, RE2JSException } from "re2js";
import { FetchError, NotAKeyError, type SecretRole } from "../errors.ts";
import type { Manifest } from "./manifest.ts";

/** A pattern whose compiled program is larger than this is refused (bounds memory and time). */
export const MAX_PATTERN_PROGRAM = 5_000;

const compiled = new Map<string, RE2JS>();

/** The compiled pattern; throws RE2JSException (syntax) or Error (too large). */
export function compilePattern(source: string): RE2JS {
  let re = compiled.get(source);
  if (!re) {
    re = RE2JS.compile(source);
    if (re.programSize() > MAX_PATTERN_PROGRAM) {
      throw new Error(
        `is too complex (RE2 program size ${re.programSize()}, limit ${MAX_PATTERN_PROGRAM})`,
      );
    }
    compiled.set(source, re);
  }
  return re;
}

/** Why a pattern cannot be used, or undefined when it is a valid RE2 regex. */
export function patternProblem(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (e) {
    if (e instanceof RE2JSException) {
      return `is not a valid RE2 regex (${e.message.replace(/^error parsing regexp: /, "")})`;
    }
    return e instanceof Error ? e.message : String(e);
  }
}

/** Every regex of a manifest that does not compile, with its field path. */
export function manifestPatternProblems(m: Manifest): { field: string; message: string }[] {
  const out: { field: string; message: string }[] = [];
  const check = (field: string, source: string | undefined) => {
    if (source === undefined) return;
    const problem = patternProblem(source);
    if (problem) out.push({ field, message: problem });
  };
  check("keyPattern", m.keyPattern);
  check("credential.keyPattern", m.credential?.keyPattern);
  for (const [name, p] of Object.entries(m.params ?? {})) {
    check(`params.${name}.pattern`, p.pattern);
  }
  return out;
}

export type ShapeVerdict =
  | { ok: true }
  /** The first line is empty or only whitespace: a config error, nothing is sent. */
  | { ok: false; why: "blank" }
  /** Not this provider's key (or credential): never sent; the entry is "not a key". */
  | { ok: false; why: "mismatch" };

function patternFor(m: Manifest, role: SecretRole): string | undefined {
  return role === "key" ? m.keyPattern : m.credential?.keyPattern;
}

/** Whether `secret` has the shape of this provider's key or credential. Pure, linear time. */
export function keyShape(m: Manifest, secret: string, role: SecretRole = "key"): ShapeVerdict {
  if (secret.trim() === "") return { ok: false, why: "blank" };
  const source = patternFor(m, role);
  if (source === undefined) return { ok: false, why: "mismatch" };
  let re: RE2JS;
  try {
    re = compilePattern(source);
  } catch {
    // A manifest with a bad pattern never loads; if one gets here, send nothing.
    return { ok: false, why: "mismatch" };
  }
  return re.testExact(secret) ? { ok: true } : { ok: false, why: "mismatch" };
}

/**
 * May this key act as its own credential? Only when the credential's shape is documented
 * (a distinct prefix such as `sk-admin-`): a conservative shape cannot tell an admin key from
 * an ordinary one, so the key is never taken for one.
 */
export function isOwnCredential(m: Manifest, key: string): boolean {
  return m.credential?.keyPatternSource === "documented" && keyShape(m, key, "credential").ok;
}

/**
 * Throw unless the secret may be sent: a blank one is a `config` FetchError, a mismatch a
 * NotAKeyError (not a failure: the entry is simply not this provider's key).
 */
export function assertSendable(
  m: Manifest,
  secret: string,
  role: SecretRole,
  path: string | undefined,
): void {
  const v = keyShape(m, secret, role);
  if (v.ok) return;
  const what = role === "key" ? "key" : "credential";
  if (v.why === "blank") {
    throw new FetchError(
      "config",
      `${
        path ?? `the ${what}`
      }: the first line is empty; nothing was sent (put the ${what} on the first line)`,
    );
  }
  throw new NotAKeyError(m.id, role, path);
}
