/**
 * `keyz browse`: the interactive tree browser (src/ui) on the user's store.
 *
 * The first screen is drawn from the cached listing (src/view/listing_cache.ts), with rows only
 * for the keys it shows, and this module imports nothing heavy at the top. Every row is built
 * right after that frame, before any key is read. The full
 * snapshot (details of every key), and everything copy, sync and edits need, load right after
 * it in the background; an action asked for before then waits for them.
 */
import * as env from "../env.ts";
import { KeyzError } from "../errors.ts";
import type { PassCliStore } from "../store/pass_cli.ts";
import { passGnupgHome } from "../store/keyring_stamp.ts";
import type { Control, Effects } from "../ui/effects.ts";
import type { StorePrefs } from "../ui/prefs.ts";
import {
  completeRows,
  firstScreenState,
  setMessage,
  type UiState,
  updateViews,
} from "../ui/state.ts";
import { runTerminal, writeRaw } from "../ui/terminal.ts";
import { viewsFromSnapshot } from "../view/entries.ts";
import { readListing } from "../view/listing_cache.ts";
import {
  cacheFileFor,
  readParsedMemo,
  readSnapshot,
  type SnapshotOptions,
  writeParsedMemo,
} from "../view/snapshot.ts";

/** The browser draws with cursor movement: it needs a terminal on stdin and stdout, not TERM=dumb. */
export function requireTerminal(command: "browse" | "demo" = "browse"): void {
  const hint = command === "demo"
    ? "keyz demo --no-browse syncs the demo store and prints it"
    : "use keyz ls or keyz sync in scripts";
  if (!Deno.stdin.isTerminal() || !Deno.stdout.isTerminal()) {
    throw new KeyzError("no_terminal", `${command} needs a terminal (stdin and stdout)`, hint);
  }
  if (env.dumbTerminal()) {
    throw new KeyzError(
      "no_terminal",
      `${command} needs a terminal that moves the cursor (TERM=dumb)`,
      hint,
    );
  }
}

export interface BrowseSetup {
  storeDir: string;
  /**
   * Decrypts for copy and sync (the demo's carries its own GNUPGHOME). Opened after the first
   * screen: the store's module brings node:crypto (team-store recipients), whose set-up alone
   * cost the first screen ~40 ms.
   */
  openStore: () => Promise<PassCliStore>;
  configDir: string;
  /** The snapshot cache file; undefined reads everything afresh (the demo, KEYZ_NO_CACHE). */
  cacheFile?: string;
  baseUrlOverride: (providerId: string) => string | undefined;
  retryBaseMs: number;
  /** The environment pass will see (decides xclip/wl-copy vs OSC 52). */
  childEnv: Record<string, string>;
  clipSeconds: number;
  escDelayMs: number;
  /** How long a minute is for autosync's due rule and checks (KEYZ_MINUTE_MS: tests). */
  minuteMs?: number;
}

/** Open the browser on a prepared store (the user's, or the demo's). */
export async function browseWith(setup: BrowseSetup): Promise<number> {
  const opts: SnapshotOptions = {
    storeDir: setup.storeDir,
    gnupgHome: passGnupgHome(setup.childEnv),
    configDir: setup.configDir,
    cacheFile: setup.cacheFile,
  };
  const [listing, prefs] = await Promise.all([readListing(opts), rememberedPrefs(setup)]);
  const initial = firstScreenState({
    storeDir: setup.storeDir,
    listing,
    config: listing.config,
    now: new Date(),
    providers: listing.providers,
    viewport: { width: 80, height: 24 },
    expanded: prefs?.expanded,
    sort: prefs?.sort,
  });
  let effects: Promise<Effects> | undefined;
  return await runTerminal({
    initial,
    color: !env.noColor() && !env.dumbTerminal(),
    escDelayMs: setup.escDelayMs,
    start: (c) => {
      // Synchronously, so no key is handled before every row exists.
      c.update((s) => completeRows(s, listing));
      effects = loadTheRest(setup, opts, c);
      effects.catch((e) => c.update((s) => setMessage(s, errorText(e), "error")));
    },
    perform: (e, c) => {
      effects?.then((fx) => fx.perform(e, c)).catch(() => {});
    },
    beforeExit: async (s) => {
      (await effects?.catch(() => undefined))?.dispose();
      await savePrefs(setup, s);
    },
  });
}

/** After the first screen: every key's full view, then what actions need. */
async function loadTheRest(setup: BrowseSetup, opts: SnapshotOptions, c: Control) {
  const snapshot = await readSnapshot(opts);
  const views = viewsFromSnapshot(snapshot);
  c.update((s) => updateViews(s, views, new Date()));
  const [{ Effects }, { kyClient }, { Sidecars }, { clipMethod }, autosync] = await Promise.all([
    import("../ui/effects.ts"),
    import("../fetch/http.ts"),
    import("../sidecars/sidecars.ts"),
    import("../ui/clipboard.ts"),
    import("../ui/autosync.ts"),
  ]);
  const effects = new Effects({
    ctx: {
      storeDir: setup.storeDir,
      store: await setup.openStore(),
      sidecars: new Sidecars(setup.storeDir),
      providers: snapshot.providers,
      map: snapshot.map,
    },
    configDir: setup.configDir,
    savePrefs: (state: UiState) => savePrefs(setup, state),
    gitMode: snapshot.config.git ?? "commit",
    http: kyClient,
    baseUrlOverride: setup.baseUrlOverride,
    retryBaseMs: setup.retryBaseMs,
    clip: clipMethod(setup.childEnv),
    clipSeconds: setup.clipSeconds,
    writeRaw,
    now: () => new Date(),
    minuteMs: setup.minuteMs,
  });
  // Autosync starts once keys' details are known (what is due) and both configs are read.
  const offBy = snapshot.config.autosync === false
    ? "store config"
    : await userAutosyncOff(setup.configDir, c)
    ? "user config"
    : undefined;
  c.update((s) => ({
    ...s,
    autosync: autosync.startAutosync({
      now: Date.now(),
      timing: autosync.autosyncTiming(setup.minuteMs),
      ...(offBy ? { offBy } : {}),
    }),
  }));
  return effects;
}

/**
 * Whether the user config turns autosync off. One that cannot be read turns it off too (the
 * user may have meant to), and says why.
 */
async function userAutosyncOff(configDir: string, c: Control): Promise<boolean> {
  const { readUserConfig } = await import("../config/user_config.ts");
  try {
    return (await readUserConfig(configDir)).autosync === false;
  } catch (e) {
    c.update((s) => setMessage(s, `${errorText(e)}; autosync is off`, "error"));
    return true;
  }
}

const prefsFile = (setup: BrowseSetup) => `${setup.configDir}/browse.json`;
const prefsMemo = (cacheFile: string) => cacheFile.replace(/\.json$/, ".prefs.json");

/**
 * Remember the folders and sort for this store: the one way prefs are saved (when they change,
 * and on the way out), with the memo that lets the next start skip parsing them.
 */
async function savePrefs(setup: BrowseSetup, s: UiState): Promise<void> {
  const next = { expanded: [...s.expanded].sort(), ...(s.sort ? { sort: s.sort } : {}) };
  const { writePrefs } = await import("../ui/prefs.ts");
  // Prefs are a convenience: never fail the browser for them.
  await writePrefs(setup.configDir, s.storeDir, next).catch(() => {});
  if (setup.cacheFile) writeParsedMemo(prefsMemo(setup.cacheFile), prefsFile(setup), next);
}

/**
 * The folders and sort remembered for this store. browse.json is parsed and validated (zod)
 * only when its text changed since this store's browser last wrote it.
 */
async function rememberedPrefs(setup: BrowseSetup): Promise<StorePrefs | undefined> {
  if (setup.cacheFile) {
    const cached = readParsedMemo<StorePrefs>(prefsMemo(setup.cacheFile), prefsFile(setup));
    if (cached) return cached;
  }
  const { readPrefs } = await import("../ui/prefs.ts");
  return await readPrefs(setup.configDir, setup.storeDir);
}

function errorText(e: unknown): string {
  return e instanceof KeyzError ? e.text() : e instanceof Error ? e.message : String(e);
}

export async function browseCommand(): Promise<number> {
  requireTerminal();
  const storeDir = env.storeDir();
  return await browseWith({
    storeDir,
    openStore: async () => new (await import("../store/pass_cli.ts")).PassCliStore(storeDir),
    configDir: env.configDir(),
    cacheFile: env.noCache() ? undefined : cacheFileFor(env.cacheDir(), storeDir),
    baseUrlOverride: env.baseUrlOverride,
    retryBaseMs: env.retryBaseMs(),
    childEnv: env.childEnv(),
    clipSeconds: env.clipTimeSeconds(),
    escDelayMs: env.escDelayMs(),
    minuteMs: env.minuteMs(),
  });
}
