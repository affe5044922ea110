/**
 * Performing the state machine's effects: copy, background sync, saving edits and mappings,
 * loading history, remembering prefs. Results come back as state updates through `update`.
 */
import { KeyzError } from "../errors.ts";
import type { HttpClient } from "../fetch/http.ts";
import type { GitMode } from "../git/git.ts";
import { withStoreWrite } from "../git/store_write.ts";
import { syncEntries } from "../sync/session.ts";
import type { SyncResult } from "../sync/sync.ts";
import { type EntryView, viewEntry } from "../view/entries.ts";
import { fileSources } from "../view/file_sources.ts";
import { type ClipMethod, OSC52_CLEAR, osc52Message, osc52Set } from "./clipboard.ts";
import type { ProviderSet } from "../providers/load.ts";
import type { PassStore } from "../store/store.ts";
import type { Mapping } from "../sidecars/schema.ts";
import type { Sidecars } from "../sidecars/sidecars.ts";
import { writePrefs } from "./prefs.ts";
import {
  type Effect,
  selectedRow,
  setHistory,
  setMessage,
  syncFinished,
  syncStarted,
  type UiState,
  updateViews,
} from "./state.ts";

export interface Copier {
  /** `pass show -c` (see PassCliStore.copy). */
  copy(path: string): Promise<void>;
}

export interface EffectDeps {
  ctx: LoadContext & { store: LoadContext["store"] & Copier };
  configDir: string;
  gitMode: GitMode;
  http: HttpClient;
  baseUrlOverride: (providerId: string) => string | undefined;
  retryBaseMs: number;
  clip: ClipMethod;
  clipSeconds: number;
  /** Write raw bytes to the terminal (OSC 52). */
  writeRaw(text: string): void;
  now(): Date;
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
  fresh: "synced within its refresh interval",
};

export class Effects {
  readonly #deps: EffectDeps;
  #queue: Promise<void> = Promise.resolve();
  #clearTimer: ReturnType<typeof setTimeout> | undefined;
  #pending = 0;

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
      case "save-key":
        this.#run(c, async () => {
          await this.#locked(
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
          await this.#locked(`map ${effect.path} to ${effect.mapping.provider}`, async () => {
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
      case "save-prefs": {
        const s = c.state();
        writePrefs(this.#deps.configDir, s.storeDir, { expanded: [...s.expanded], sort: s.sort })
          .catch(() => {/* prefs are a convenience: never fail the browser for them */});
        break;
      }
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

  async #locked(what: string, fn: () => Promise<void>): Promise<void> {
    const r = await withStoreWrite(
      { storeDir: this.#deps.ctx.storeDir, what, gitMode: this.#deps.gitMode },
      async () => ({ value: await fn(), message: `keyz: ${what}` }),
    );
    if (r.gitError) throw r.gitError;
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

  async #sync(paths: string[], c: Control): Promise<void> {
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
        },
        {
          paths,
          named: paths.length === 1 ? new Set(paths) : undefined,
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
      if (outcome.gitError) throw outcome.gitError;
    } finally {
      c.update((s) => {
        let next = s;
        for (const p of paths) next = next.syncing.has(p) ? syncFinished(next, p) : next;
        return next;
      });
    }
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
