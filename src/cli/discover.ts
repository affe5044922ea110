/**
 * `keyz discover [FOLDER]`: decrypt the entries that are not keys yet (neither ignored nor
 * someone else's), find API keys among them by the providers' documented key shapes, and
 * propose mappings. Mapping them is one store write, after a y/N on a terminal or with
 * --apply; without either, discover only lists. No network; the secrets stay in the process.
 */
import { KeyzError } from "../errors.ts";
import { readStoreConfig } from "../config/store_config.ts";
import { discoverKeys, type Finding, identifyingProviders } from "../discover/discover.ts";
import { withStoreWrite } from "../git/store_write.ts";
import { decryptionWidth } from "../store/store.ts";
import { escapeTerminal } from "../util/text.ts";
import { recognizerOf } from "../view/entries.ts";
import { canAsk, confirm } from "./confirm.ts";
import { type Context, expandPaths, openContext, sourcesOf } from "./context.ts";
import { color, isQuiet, out, outJson, outLines, progress, table, warn } from "./output.ts";

type KeyFinding = Extract<Finding, { kind: "key" }>;
type Ambiguous = Extract<Finding, { kind: "ambiguous" }>;
type Failed = Extract<Finding, { kind: "failed" }>;

export interface DiscoverFlags {
  apply?: boolean;
  json?: boolean;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

export async function discoverCommand(
  folder: string | undefined,
  flags: DiscoverFlags,
): Promise<number> {
  const ctx = await openContext();
  const scope = folder === undefined ? await ctx.store.list() : await expandPaths(ctx, [folder]);
  const src = await sourcesOf(ctx);
  const recognizer = recognizerOf(src);
  // Keys (explicit or by name) are sync's business; ignored entries are never decrypted.
  const paths = scope.filter((p) => recognizer.recognize(p).kind === "other");
  const candidates = identifyingProviders(ctx.providers.providers.values(), src.untrusted);
  const bar = progress();
  const findings = await discoverKeys({
    store: ctx.store,
    paths,
    candidates,
    concurrency: decryptionWidth(),
    onFinding: (_, done) => bar.update(`discover: decrypted ${done} of ${paths.length}`),
  }).finally(() => bar.done());

  const keys = findings.filter((f): f is KeyFinding => f.kind === "key");
  const ambiguous = findings.filter((f): f is Ambiguous => f.kind === "ambiguous");
  const failed = findings.filter((f): f is Failed => f.kind === "failed");
  const notYours = findings.filter((f) => f.kind === "not_yours").length;
  const notKeys = findings.filter((f) => f.kind === "not_a_key").length;
  if (failed.length && failed.length === findings.length - notYours) {
    // Nothing could be decrypted: a store or gpg problem, not a finding.
    throw new KeyzError(
      "store",
      failed[0].message,
      "check that gpg can decrypt the store (gpg-agent, GNUPGHOME)",
    );
  }

  if (!flags.json) printFindings(keys, ambiguous, { paths: paths.length, notKeys, notYours });
  for (const f of failed) warn(`${escapeTerminal(f.path)}: ${escapeTerminal(f.message)}`);
  // Mapping needs consent: --apply, or a yes on a terminal (never a question with --json).
  const consent = async () => {
    if (keys.length === 0) return false;
    if (flags.apply) return true;
    if (flags.json || !canAsk()) return false;
    return await confirm(
      keys.length === 1 ? "Map this entry?" : `Map these ${keys.length} entries?`,
    );
  };
  const applied = (await consent()) ? await applyFindings(ctx, keys) : [];

  if (flags.json) {
    outJson({
      folder: folder ?? null,
      looked_at: paths.length,
      proposals: keys.map((f) => ({ path: f.path, provider: f.provider, last4: f.last4 ?? null })),
      ambiguous: ambiguous.map((f) => ({
        path: f.path,
        providers: f.providers,
        last4: f.last4 ?? null,
      })),
      not_keys: notKeys,
      not_yours: notYours,
      failed: failed.map((f) => ({ path: f.path, message: f.message })),
      applied: applied.map((f) => f.path),
    });
    return 0;
  }
  if (applied.length) {
    out(
      `mapped ${plural(applied.length, "entry", "entries")} in .keyz/map.json ` +
        "(keyz sync --all fetches their figures)",
    );
  } else if (keys.length && !isQuiet()) {
    out(color.dim("nothing mapped (keyz discover --apply, or keyz map PATH PROVIDER one by one)"));
  }
  return 0;
}

function printFindings(
  keys: KeyFinding[],
  ambiguous: Ambiguous[],
  counts: { paths: number; notKeys: number; notYours: number },
): void {
  const end = (last4: string | undefined) =>
    last4 ? color.dim(`key ends ${escapeTerminal(last4)}`) : "";
  if (keys.length) {
    outLines(table(keys.map((f) => [escapeTerminal(f.path), "->", f.provider, end(f.last4)])));
  }
  if (ambiguous.length) {
    outLines(table(ambiguous.map((f) => [
      escapeTerminal(f.path),
      `ambiguous: ${f.providers.join(" or ")}, not proposed (keyz map ${
        escapeTerminal(f.path)
      } PROVIDER)`,
      end(f.last4),
    ])));
  }
  if (isQuiet()) return;
  const parts = [
    `${plural(keys.length, "key", "keys")} found in ${
      plural(counts.paths, "entry", "entries")
    } that are not keys yet`,
  ];
  if (ambiguous.length) parts.push(`${ambiguous.length} ambiguous`);
  parts.push(`${counts.notKeys} not keys`);
  if (counts.notYours) parts.push(`${counts.notYours} not yours (not decrypted)`);
  out(color.dim(parts.join(", ")));
}

/**
 * Map the keys found, under the store lock: an entry mapped, ignored or removed since it was
 * decrypted is left as it is now.
 */
async function applyFindings(ctx: Context, keys: KeyFinding[]): Promise<KeyFinding[]> {
  const cfg = await readStoreConfig(ctx.storeDir);
  const r = await withStoreWrite(
    { storeDir: ctx.storeDir, what: "discover", gitMode: cfg.git ?? "commit" },
    async () => {
      const map = await ctx.sidecars.readMap();
      const config = await readStoreConfig(ctx.storeDir);
      const recognizer = recognizerOf({ providers: ctx.providers, map, config });
      const mapped: KeyFinding[] = [];
      for (const f of keys) {
        if (recognizer.recognize(f.path).kind !== "other") continue;
        if (!(await ctx.store.exists(f.path))) continue;
        map[f.path] = { provider: f.provider };
        mapped.push(f);
      }
      if (!mapped.length) return { value: mapped };
      await ctx.sidecars.writeMap(map);
      const providers = [...new Set(mapped.map((f) => f.provider))].sort();
      return {
        value: mapped,
        message: `keyz: discover: map ${plural(mapped.length, "entry", "entries")} (${
          providers.join(", ")
        })`,
      };
    },
  );
  if (r.gitError) throw r.gitError;
  return r.value;
}
