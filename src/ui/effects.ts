/**
 * Performing the state machine's effects: copy, background sync, saving edits and mappings,
 * loading history, remembering prefs. Results come back as state updates through `update`.
 */
import { KeyzError } from "../errors.ts";
import type { HttpClient } from "../fetch/http.ts";
import type { GitMode } from "../git/git.ts";
import { type StoreWrite, withStoreWrite } from "../git/store_write.ts";
import { syncEntries } from "../sync/session.ts";
import type { SyncResult } from "../sync/sync.ts";
import { type EntryView, viewEntry } from "../view/entries.ts";
import { fileSources } from "../view/file_sources.ts";
import { type ClipMethod, OSC52_CLEAR, osc52Message, osc52Set } from "./clipboard.ts";
import type { ProviderSet } from "../providers/load.ts";
import type { PassStore } from "../store/store.ts";
import type { Mapping } from "../sidecars/schema.ts";
import type { Sidecars } from "../sidecars/sidecars.ts";
import { burstDone, syncOutcome } from "./autosync.ts";
import {
  type Effect,
  selectedRow,
  setHistory,
  setLockHolder,
  setMessage,
  syncFinished,
  syncStarted,
  type UiState,
  updateAutosync,
  updateViews,
} from "./state.ts";

export interface Copier {
  /** `pass show -c` (see PassCliStore.copy). */
  copy(path: string): Promise<void>;
}

export interface EffectDeps {
  ctx: LoadContext & { store: LoadContext["store"] & Copier };
  configDir: string;
  /** Remember folders and sort (cli/browse.ts savePrefs: also run on the way out). */
  savePrefs(state: UiState): Promise<void>;
  gitMode: GitMode;
  http: HttpClient;
  baseUrlOverride: (providerId: string) => string | undefined;
  retryBaseMs: number;
  clip: ClipMethod;
  clipSeconds: number;
  /** Write raw bytes to the terminal (OSC 52). */
  writeRaw(text: string): void;
  now(): Date;
  /** How long a minute is for the due rule (KEYZ_MINUTE_MS: tests). */
  minuteMs?: number;
}

export interface Control {
  state(): UiState;
  update(fn: (s: UiState) => UiState): void;
}

/** The store and what was read of it: what copy, sync and edits act on. */
export interface LoadContext {
  storeDir: string;
  store: PassStore;
  sidecars: Sidecars;
  providers: ProviderSet;
  map: Record<string, Mapping>;
}

/** Why the browser's sync left a key alone, as its details pane says it. */
const skipNote: Record<string, string> = {
  other: "not a key: no provider recognised (press m to map it)",
  ignored: "ignored by the store config",
  not_a_key: "not a key of its provider (its shape does not match)",
  not_yours: "encrypted for someone else's key",
  untrusted: "its provider's manifest is not trusted (keyz providers trust ID)",
  unknown_provider: "its provider is not loaded",
  // Not due (autosync's own bursts): nothing to say about the key.
};

export class Effects {
  readonly #deps: EffectDeps;
  #queue: Promise<void> = Promise.resolve();
  #clearTimer: ReturnType<typeof setTimeout> | undefined;
  #pending = 0;
  /** Aborted on quit: a write waiting for another keyz's lock gives up. */
  readonly #quit = new AbortController();
  /** The running autosync burst's: aborted when autosync is turned off. */
  #autosyncStop: AbortController | undefined;

  constructor(deps: EffectDeps) {
    this.#deps = deps;
  }

  /** Whether background work (sync, saves) is still running. */
  get busy(): boolean {
    return this.#pending > 0;
  }

  /** Wait for queued work (tests, and quitting after a save). */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** Clear a terminal clipboard we set, if its timer is still pending (on exit). */
  dispose(): void {
    this.#quit.abort();
    if (this.#clearTimer !== undefined) {
      clearTimeout(this.#clearTimer);
      this.#clearTimer = undefined;
      this.#deps.writeRaw(OSC52_CLEAR);
    }
  }

  perform(effect: Effect, c: Control): void {
    switch (effect.type) {
      case "copy":
        this.#run(c, () => this.#copy(effect.path, c), false);
        break;
      case "sync":
        this.#run(c, () => this.#sync(effect.paths, c));
        break;
      case "autosync":
        this.#run(c, () => this.#autosync(effect.paths, c));
        break;
      case "autosync-off":
        this.#autosyncStop?.abort();
        break;
      case "save-key":
        this.#run(c, async () => {
          await this.#locked(
            c,
            `edit ${effect.key.path}`,
            () => this.#deps.ctx.sidecars.writeKey(effect.key),
          );
          await this.#refresh([effect.key.path], c);
          c.update((s) => setMessage(s, `saved ${effect.key.path}`));
        });
        break;
      case "save-map":
        this.#run(c, async () => {
          const { ctx } = this.#deps;
          await this.#locked(c, `map ${effect.path} to ${effect.mapping.provider}`, async () => {
            const map = await ctx.sidecars.readMap();
            map[effect.path] = effect.mapping;
            await ctx.sidecars.writeMap(map);
            ctx.map = map;
          });
          await this.#refresh([effect.path], c);
          c.update((s) => {
            const syncNotes = new Map(s.syncNotes);
            syncNotes.delete(effect.path);
            return { ...s, syncNotes };
          });
          const cred = effect.mapping.credential
            ? ` (credential ${effect.mapping.credential})`
            : "";
          c.update((s) =>
            setMessage(s, `mapped ${effect.path} to ${effect.mapping.provider}${cred}; s syncs it`)
          );
        });
        break;
      case "load-history":
        this.#loadHistory(effect.path, c);
        break;
      case "save-prefs":
        this.#deps.savePrefs(c.state());
        break;
      case "quit":
        break;
    }
  }

  /** Run `job` after earlier jobs (one writer at a time); its failure becomes a message. */
  #run(c: Control, job: () => Promise<void>, queued = true): void {
    this.#pending++;
    const guarded = async () => {
      try {
        await job();
      } catch (e) {
        const text = e instanceof KeyzError ? e.text() : String(e);
        c.update((s) => setMessage(s, text, "error"));
      } finally {
        this.#pending--;
      }
    };
    if (!queued) {
      guarded();
      return;
    }
    this.#queue = this.#queue.then(guarded);
  }

  async #locked(c: Control, what: string, fn: () => Promise<void>): Promise<void> {
    const r = await withStoreWrite(
      {
        storeDir: this.#deps.ctx.storeDir,
        what,
        gitMode: this.#deps.gitMode,
        wait: this.#lockWait(c),
      },
      async () => ({ value: await fn(), message: `keyz: ${what}` }),
    ).finally(() => c.update((s) => setLockHolder(s, undefined)));
    if (r.gitError) throw r.gitError;
  }

  /**
   * Every write of the browser meets another keyz's lock (a cron `keyz sync`) by waiting for
   * it, saying so in the status line, until it is free or `signal` (or quitting) gives up.
   */
  #lockWait(c: Control, signal?: AbortSignal): StoreWrite["wait"] {
    return {
      onWait: (holder) => c.update((s) => setLockHolder(s, holderText(holder))),
      onWaited: () => c.update((s) => setLockHolder(s, undefined)),
      signal: signal ? AbortSignal.any([this.#quit.signal, signal]) : this.#quit.signal,
    };
  }

  /** An autosync burst: due keys only, quietly (no message; badges and header tell). */
  async #autosync(paths: string[], c: Control): Promise<void> {
    const stop = new AbortController();
    this.#autosyncStop = stop;
    try {
      await this.#sync(paths, c, stop.signal);
    } catch (e) {
      // Given up waiting for the lock (autosync turned off, or quitting): nothing to say.
      if (!stop.signal.aborted && !this.#quit.signal.aborted) throw e;
    } finally {
      this.#autosyncStop = undefined;
      c.update((s) => updateAutosync(s, burstDone));
    }
  }

  /** Views of entries as the files say now. */
  async #views(paths: string[]): Promise<EntryView[]> {
    const { ctx, configDir } = this.#deps;
    const src = await fileSources(ctx.sidecars, ctx.store, ctx.providers, configDir);
    return paths.map((p) => viewEntry(src, p));
  }

  async #refresh(paths: string[], c: Control): Promise<void> {
    const now = this.#deps.now();
    const views = await this.#views(paths);
    c.update((s) => updateViews(s, views, now));
  }

  #loadHistory(path: string, c: Control): void {
    this.#deps.ctx.sidecars.readHistory(path).then((lines) => {
      c.update((s) => selectedRow(s)?.path === path ? setHistory(s, path, lines.slice(-50)) : s);
    }).catch(() => {});
  }

  async #copy(path: string, c: Control): Promise<void> {
    const { clip, clipSeconds, ctx } = this.#deps;
    if (clip.kind === "pass") {
      await ctx.store.copy(path);
      c.update((s) =>
        setMessage(
          s,
          `copied ${path} to the clipboard (pass, ${clip.tool}); cleared in ${clipSeconds}s`,
        )
      );
      return;
    }
    const entry = await ctx.store.show(path);
    this.#deps.writeRaw(osc52Set(entry.key.reveal()));
    if (this.#clearTimer !== undefined) clearTimeout(this.#clearTimer);
    this.#clearTimer = setTimeout(() => {
      this.#clearTimer = undefined;
      this.#deps.writeRaw(OSC52_CLEAR);
      c.update((s) => setMessage(s, "terminal clipboard cleared"));
    }, clipSeconds * 1000);
    c.update((s) => setMessage(s, osc52Message(path, clip, clipSeconds)));
  }

  /** A sync of these keys; `auto` (autosync's burst, given up when aborted): due keys only. */
  async #sync(paths: string[], c: Control, auto?: AbortSignal): Promise<void> {
    if (paths.length === 0) return;
    const d = this.#deps;
    c.update((s) => syncStarted(s, paths));
    let results: SyncResult[] = [];
    try {
      const outcome = await syncEntries(
        {
          store: d.ctx.store,
          sidecars: d.ctx.sidecars,
          providers: d.ctx.providers,
          configDir: d.configDir,
          http: d.http,
          now: d.now,
          baseUrlOverride: d.baseUrlOverride,
          retryBaseMs: d.retryBaseMs,
          gitMode: d.gitMode,
          minuteMs: d.minuteMs,
        },
        {
          paths,
          named: !auto && paths.length === 1 ? new Set(paths) : undefined,
          staleOnly: !!auto,
          wait: this.#lockWait(c, auto),
          onResult: (r) => {
            const note = r.status === "skipped" && r.reason ? skipNote[r.reason] : undefined;
            const now = d.now();
            this.#views([r.path]).then(([v]) => {
              c.update((s) => {
                let next = syncFinished(updateViews(s, [v], now), r.path, note);
                if (next.history?.path === r.path) next = { ...next, history: undefined };
                return next;
              });
              if (selectedRow(c.state())?.path === r.path) this.#loadHistory(r.path, c);
            }).catch(() => c.update((s) => syncFinished(s, r.path, note)));
          },
        },
      );
      results = outcome.value.results;
      const tried = results.some((r) => TRIED.has(r.status));
      const offline = outcome.value.offline;
      c.update((s) => updateAutosync(s, (a) => syncOutcome(a, { tried, offline })));
      if (outcome.gitError) throw outcome.gitError;
    } finally {
      c.update((s) => {
        let next = setLockHolder(s, undefined);
        for (const p of paths) next = next.syncing.has(p) ? syncFinished(next, p) : next;
        return next;
      });
    }
    if (auto) return;
    const keys = results.filter((r) => !(r.status === "skipped" && r.reason === "other"));
    const ok = keys.filter((r) => r.status === "ok" || r.status === "unsupported").length;
    const failed = keys.filter((r) => r.status === "error").length;
    const rest = keys.length - ok - failed;
    c.update((s) =>
      setMessage(
        s,
        `synced ${keys.length} key${keys.length === 1 ? "" : "s"}: ${ok} ok, ${failed} failed` +
          (rest ? `, ${rest} left alone` : ""),
        failed ? "error" : "info",
      )
    );
  }
}

/** Results of keys a provider was asked about (for "unreachable": was anyone reached?). */
const TRIED: ReadonlySet<SyncResult["status"]> = new Set(["ok", "unsupported", "error"]);

/** Who holds the store lock, from the lock file's "<pid> <time> <what>": "keyz process 42 (sync)". */
function holderText(lockFile: string): string {
  const [pid, , ...what] = lockFile.trim().split(" ");
  if (!/^\d+$/.test(pid ?? "")) return lockFile.trim() || "another keyz";
  return `keyz process ${pid}${what.length ? ` (${what.join(" ")})` : ""}`;
}
