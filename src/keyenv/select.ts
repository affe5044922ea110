/**
 * Which keys go into the environment and under which names (`keyz env`, `keyz run`).
 *
 * Arguments: `PATH` or `FOLDER` (every entry below), `NAME=PATH` (that entry as NAME),
 * `--provider ID` (every key of a provider) and `--use PATH` (the winner when several keys
 * claim one variable). A key's variable is its own (KeySidecar `env`), else its provider's
 * usual one (manifest `env`).
 */
import { KeyzError } from "../errors.ts";
import { ENV_NAME } from "./quote.ts";
import { refusedEnvName } from "./names.ts";

export interface Selector {
  /** Explicit variable name from `NAME=PATH`. */
  name?: string;
  raw: string;
}

/** Split `NAME=PATH`; a bare path has no name. */
export function parseSelector(arg: string): Selector {
  const eq = arg.indexOf("=");
  if (eq > 0 && !arg.slice(0, eq).includes("/")) {
    const name = arg.slice(0, eq);
    if (!ENV_NAME.test(name)) {
      throw new KeyzError(
        "usage",
        `bad variable name in ${arg}`,
        "write NAME=PATH with NAME made of letters, digits and _",
      );
    }
    const refused = refusedEnvName(name);
    if (refused) {
      throw new KeyzError(
        "usage",
        `keyz never sets ${name} (${refused})`,
        "choose another name; see `keyz help env`",
      );
    }
    return { name, raw: arg.slice(eq + 1) };
  }
  return { raw: arg };
}

export interface Candidate {
  path: string;
  /** Variable from NAME=PATH. */
  explicitName?: string;
  /** Variable from the key sidecar or the manifest. */
  defaultName?: string;
  /** Named directly (entry or NAME=PATH), not found through a folder or --provider. */
  direct: boolean;
}

/**
 * A key's usual variable: its key sidecar's `env`, else its provider's (manifest `env`). Both
 * can come from data, so a name that can run code (names.ts) is passed over, with a line
 * saying why.
 */
export function defaultEnvName(
  keyEnv: string | undefined,
  providerEnv: string | undefined,
): { name?: string; refused: string[] } {
  const refused: string[] = [];
  for (const [name, from] of [[keyEnv, "its key sidecar"], [providerEnv, "its provider"]]) {
    if (name === undefined) continue;
    const why = refusedEnvName(name);
    if (!why) return { name, refused };
    refused.push(`${from} names ${name}, which keyz never sets (${why})`);
  }
  return { refused };
}

export interface Assignment {
  name: string;
  path: string;
}

export interface Resolution {
  assignments: Assignment[];
  /** Keys left out, with why (for --verbose and warnings). */
  skipped: { path: string; reason: string }[];
}

/** Assign one variable per key; a variable claimed twice is an error unless one is chosen. */
export function resolveAssignments(candidates: Candidate[], use: string[]): Resolution {
  const skipped: Resolution["skipped"] = [];
  const byName = new Map<string, Candidate[]>();
  const seen = new Set<string>();
  for (const c of candidates) {
    const name = c.explicitName ?? c.defaultName;
    if (!name) {
      if (c.direct) {
        throw new KeyzError(
          "usage",
          `no environment variable known for ${c.path}`,
          `name it: NAME=${c.path}`,
        );
      }
      skipped.push({ path: c.path, reason: "no environment variable known" });
      continue;
    }
    const key = `${name}\0${c.path}`;
    if (seen.has(key)) continue;
    seen.add(key);
    byName.set(name, [...byName.get(name) ?? [], c]);
  }
  const assignments: Assignment[] = [];
  for (const [name, claims] of byName) {
    let winner: Candidate | undefined;
    if (claims.length === 1) winner = claims[0];
    else {
      const chosen = claims.filter((c) => use.includes(c.path));
      const named = claims.filter((c) => c.explicitName !== undefined);
      const pick = chosen.length ? chosen : named;
      if (pick.length !== 1) {
        const list = claims.map((c) => c.path).join(", ");
        throw new KeyzError(
          "usage",
          `${claims.length} keys claim ${name}: ${list}`,
          `choose one with --use PATH or ${name}=PATH`,
        );
      }
      winner = pick[0];
      for (const c of claims) {
        if (c !== winner) skipped.push({ path: c.path, reason: `${name} taken by ${winner.path}` });
      }
    }
    assignments.push({ name, path: winner.path });
  }
  for (const u of use) {
    if (!assignments.some((a) => a.path === u)) {
      throw new KeyzError("usage", `--use ${u} names no selected key`, "select it as well");
    }
  }
  assignments.sort((a, b) => a.name.localeCompare(b.name));
  return { assignments, skipped };
}
