/** Provider look-up and problem lines (no zod: the fast start-up path imports this). */
import type { LoadedProvider, ManifestProblem, ProviderSet } from "./types.ts";

const byName = new WeakMap<ProviderSet, Map<string, LoadedProvider>>();

/** Find the provider a path segment or id/alias names. */
export function providerByName(set: ProviderSet, name: string): LoadedProvider | undefined {
  let index = byName.get(set);
  if (!index) {
    index = new Map();
    // Ids win over aliases (mergeManifests keeps aliases unique across providers).
    for (const p of set.providers.values()) {
      for (const a of p.manifest.aliases) if (!index.has(a)) index.set(a, p);
    }
    for (const p of set.providers.values()) index.set(p.manifest.id, p);
    byName.set(set, index);
  }
  return index.get(name);
}

export function formatProblem(p: ManifestProblem): string {
  const where = p.field ? ` ${p.field}:` : "";
  return `${p.file}:${p.line}:${p.col}:${where} ${p.message}`;
}

const shellWord = (s: string) => /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * One line per manifest file, for the warnings every command prints: its first problem and,
 * when there are more, how many and the command that lists them all.
 */
export function problemLines(problems: readonly ManifestProblem[]): string[] {
  const byFile = new Map<string, ManifestProblem[]>();
  for (const p of problems) {
    const list = byFile.get(p.file);
    if (list) list.push(p);
    else byFile.set(p.file, [p]);
  }
  return [...byFile].map(([file, list]) =>
    list.length === 1
      ? formatProblem(list[0])
      : `${formatProblem(list[0])} (${list.length - 1} more; keyz providers check ${
        shellWord(file)
      })`
  );
}
