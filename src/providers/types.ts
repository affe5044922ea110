/**
 * The shapes of loaded providers, apart from the loader (load.ts brings zod and jsonc-parser):
 * the fast start-up path (lookup.ts, the snapshot) needs the types only.
 */
import type { Manifest } from "./manifest.ts";

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

export interface ProviderSet {
  providers: Map<string, LoadedProvider>;
  problems: ManifestProblem[];
}
