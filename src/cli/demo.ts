/**
 * `keyz demo`: everything keyz does, without a single real key. A throwaway keyring and store
 * with sample keys (src/demo/), a loopback server that answers like the providers, one sync,
 * then the browser (or, with --no-browse, exactly what `keyz ls` prints). All of it is removed
 * on exit.
 */
import { childEnv, clipTimeSeconds, escDelayMs } from "../env.ts";
import { kyClient } from "../fetch/http.ts";
import { loadProviders } from "../providers/load.ts";
import { PassCliStore } from "../store/pass_cli.ts";
import { Sidecars } from "../sidecars/sidecars.ts";
import { syncEntries } from "../sync/session.ts";
import { demoHandler, type DemoStore, makeDemoStore } from "../demo/demo.ts";
import { browseWith, requireTerminal } from "./browse.ts";
import { printListing } from "./ls.ts";
import { out } from "./output.ts";

export async function demoCommand(opts: { browse: boolean }): Promise<number> {
  return await runDemo(opts);
}

export async function runDemo(opts: { browse: boolean }): Promise<number> {
  if (opts.browse) requireTerminal("demo");
  const now = new Date();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    demoHandler,
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  let demo: DemoStore | undefined;
  const cleanup = async () => {
    await server.shutdown().catch(() => {});
    if (demo) await Deno.remove(demo.dir, { recursive: true }).catch(() => {});
  };
  try {
    demo = await makeDemoStore(now);
    const store = new PassCliStore(demo.storeDir, { GNUPGHOME: demo.gnupgHome });
    const sidecars = new Sidecars(demo.storeDir);
    const providers = await loadProviders({ storeDir: demo.storeDir });
    const baseUrlOverride = () => base;
    await syncEntries(
      {
        store,
        sidecars,
        providers,
        configDir: demo.configDir,
        http: kyClient,
        now: () => new Date(),
        baseUrlOverride,
        retryBaseMs: 0,
      },
      { paths: await store.list() },
    );
    if (opts.browse) {
      return await browseWith({
        storeDir: demo.storeDir,
        openStore: () => Promise.resolve(store),
        configDir: demo.configDir,
        baseUrlOverride,
        retryBaseMs: 0,
        childEnv: { ...childEnv(), GNUPGHOME: demo.gnupgHome },
        clipSeconds: clipTimeSeconds(),
        escDelayMs: escDelayMs(),
      });
    }
    // --no-browse: exactly what `keyz ls` prints for the demo store.
    await printListing({ storeDir: demo.storeDir, configDir: demo.configDir }, { sort: "name" });
    out();
    out(`demo store ${demo.storeDir} (removed now); try it yourself: keyz demo`);
    return 0;
  } finally {
    await cleanup();
  }
}
