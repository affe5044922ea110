/** `keyz browse`: the interactive tree browser (src/ui) on the user's store. */
import * as env from "../env.ts";
import { KeyzError } from "../errors.ts";
import { kyClient } from "../fetch/http.ts";
import { readStoreConfig } from "../config/store_config.ts";
import { untrustedProviders } from "../providers/trust.ts";
import { PassCliStore } from "../store/pass_cli.ts";
import { clipMethod } from "../ui/clipboard.ts";
import { Effects } from "../ui/effects.ts";
import { type LoadContext, loadState } from "../ui/load.ts";
import { readPrefs, writePrefs } from "../ui/prefs.ts";
import { runTerminal, writeRaw } from "../ui/terminal.ts";
import { openContext } from "./context.ts";

export function requireTerminal(): void {
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
    throw new KeyzError(
      "no_terminal",
      "keyz browse needs a terminal (stdin and stdout)",
      "use keyz ls or keyz sync in scripts",
    );
  }
}

export interface BrowseSetup {
  ctx: LoadContext & { store: PassCliStore };
  configDir: string;
  baseUrlOverride: (providerId: string) => string | undefined;
  retryBaseMs: number;
  /** The environment pass will see (decides xclip/wl-copy vs OSC 52). */
  childEnv: Record<string, string>;
  clipSeconds: number;
}

/** Open the browser on a prepared store (the user's, or the demo's). */
export async function browseWith(setup: BrowseSetup): Promise<number> {
  const { ctx, configDir } = setup;
  const prefs = await readPrefs(configDir, ctx.storeDir);
  const cfg = await readStoreConfig(ctx.storeDir);
  const initial = await loadState(ctx, {
    now: new Date(),
    viewport: { width: 80, height: 24 },
    prefs,
  });
  const effects = new Effects({
    ctx,
    configDir,
    gitMode: cfg.git ?? "commit",
    http: kyClient,
    baseUrlOverride: setup.baseUrlOverride,
    retryBaseMs: setup.retryBaseMs,
    untrusted: await untrustedProviders(ctx.providers, configDir),
    clip: clipMethod(setup.childEnv),
    clipSeconds: setup.clipSeconds,
    writeRaw,
    now: () => new Date(),
  });
  return await runTerminal({
    initial,
    color: !env.noColor(),
    perform: (e, c) => effects.perform(e, c),
    beforeExit: async (s) => {
      effects.dispose();
      await writePrefs(configDir, s.storeDir, { expanded: [...s.expanded], sort: s.sort })
        .catch(() => {});
    },
  });
}

export async function browseCommand(): Promise<number> {
  requireTerminal();
  const ctx = await openContext({ quietProblems: true });
  return await browseWith({
    ctx: { ...ctx, store: new PassCliStore(ctx.storeDir) },
    configDir: env.configDir(),
    baseUrlOverride: env.baseUrlOverride,
    retryBaseMs: env.retryBaseMs(),
    childEnv: env.childEnv(),
    clipSeconds: env.clipTimeSeconds(),
  });
}
