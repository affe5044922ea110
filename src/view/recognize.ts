/**
 * Which entries of a pass store keyz treats as API keys, decided from names and the store's
 * config alone (nothing is decrypted here). Most entries of a real store are ordinary passwords:
 * only an explicit mapping (`.keyz/map.json`) or a path segment that is a provider's own id or
 * alias makes an entry a key; `ignore` rules in the store config win over both, so an ignored
 * entry is never decrypted. Whether a recognised entry really holds a key of that provider is
 * decided later, by its shape, once it is decrypted for a sync (src/providers/key_shape.ts).
 */
import type { ProviderSet } from "../providers/load.ts";
import { providerByName } from "../providers/lookup.ts";
import type { Mapping } from "../sidecars/schema.ts";
import { compileGlob, type Glob, globMatches } from "../util/glob.ts";

export type Recognition =
  | {
    kind: "key";
    provider: string;
    how: "explicit";
    credential?: string;
    params?: Record<string, string>;
  }
  /** `segment` is the path segment that named the provider (its id or one of its aliases). */
  | { kind: "key"; provider: string; how: "auto"; segment: string }
  /** `rule` is the ignore rule that matched, as written in the store config. */
  | { kind: "ignored"; rule: string }
  | { kind: "other" };

export type KeyRecognition = Extract<Recognition, { kind: "key" }>;

export interface RecognitionRules {
  map: Record<string, Mapping>;
  ignore?: readonly string[];
  providers: ProviderSet;
}

export class Recognizer {
  readonly #rules: RecognitionRules;
  readonly #ignore: Glob[];

  constructor(rules: RecognitionRules) {
    this.#rules = rules;
    this.#ignore = (rules.ignore ?? []).flatMap((r) => compileGlob(r) ?? []);
  }

  recognize(path: string): Recognition {
    const rule = this.#ignore.find((g) => globMatches(g, path));
    if (rule) return { kind: "ignored", rule: rule.text };
    const m = this.#rules.map[path];
    if (m) {
      return {
        kind: "key",
        provider: m.provider,
        how: "explicit",
        ...(m.credential !== undefined ? { credential: m.credential } : {}),
        ...(m.params !== undefined ? { params: m.params } : {}),
      };
    }
    const segments = path.split("/");
    for (let i = segments.length - 1; i >= 0; i--) {
      const p = providerByName(this.#rules.providers, segments[i].toLowerCase());
      if (p) return { kind: "key", provider: p.manifest.id, how: "auto", segment: segments[i] };
    }
    return { kind: "other" };
  }

  /** The ignore rule covering a path, if any. */
  ignoredBy(path: string): string | undefined {
    return this.#ignore.find((g) => globMatches(g, path))?.text;
  }
}

/** "explicit mapping" / "auto: folder `github` (an alias of github)": how it was recognised. */
export function describeRecognition(r: Recognition): string {
  switch (r.kind) {
    case "key":
      return r.how === "explicit"
        ? "explicit mapping (.keyz/map.json)"
        : `automatically: path segment "${r.segment}" is ${
          r.segment.toLowerCase() === r.provider ? "the id" : "an alias"
        } of provider ${r.provider}`;
    case "ignored":
      return `ignored by rule "${r.rule}" (.keyz/config.jsonc ignore)`;
    case "other":
      return "no provider recognised (an ordinary entry)";
  }
}
