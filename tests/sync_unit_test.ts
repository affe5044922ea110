// Sync orchestration without processes or network: the in-memory PassStore and a fake HTTP
// client. Sidecars go to a temporary folder.
import { assert, assertEquals } from "./support/assert.ts";
import { type SyncResult, syncViews } from "../src/sync/sync.ts";
import { MemoryStore } from "../src/store/store.ts";
import { Sidecars } from "../src/sidecars/sidecars.ts";
import { mergeManifests } from "../src/providers/load.ts";
import { emptyState, type StateFile } from "../src/sidecars/state.ts";
import type { Mapping } from "../src/sidecars/schema.ts";
import { viewEntry } from "../src/view/entries.ts";
import type { HttpClient, HttpRequest, JsonBody } from "../src/fetch/http.ts";
import { FetchError } from "../src/errors.ts";

const ACME = JSON.stringify({
  id: "acme",
  name: "Acme",
  keyType: "API key",
  keyPattern: "^sk-[A-Za-z0-9-]{5,64}$",
  baseUrl: "https://api.acme.example",
  kind: "balance",
  concurrency: 2,
  credential: { required: false, description: "an Acme admin key", keyPattern: "^sk-[A-Z]{5}$" },
  steps: [{ id: "balance", path: "/balance" }],
  fields: { balance: { path: "balance" } },
  currency: "USD",
});
const providers = mergeManifests([{ file: "acme.jsonc", text: ACME, source: "built-in" }]);

/** Answers after a short wait, by the key in the auth header; tracks requests in flight. */
function fakeHttp(answer: (auth: string) => JsonBody | FetchError) {
  const seen: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const http: HttpClient = {
    async request(req: HttpRequest) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      const auth = req.headers.Authorization;
      seen.push(auth);
      const a = answer(auth);
      if (a instanceof FetchError) throw a;
      return a;
    },
  };
  return { http, seen, max: () => maxInFlight };
}

async function withSidecars(fn: (s: Sidecars) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "keyz-sync-unit-" });
  try {
    await fn(new Sidecars(dir));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

interface Run {
  map?: Record<string, Mapping>;
  paths: string[];
  state?: StateFile;
}

/** Plan and run a sync of `paths` the way the session does, on the in-memory store. */
async function sync(
  store: MemoryStore,
  sidecars: Sidecars,
  http: HttpClient,
  run: Run,
): Promise<SyncResult[]> {
  const state = run.state ?? emptyState();
  const src = {
    providers,
    map: run.map ?? {},
    config: {},
    state,
    untrusted: new Set<string>(),
    notYours: new Set<string>(),
    readKey: (p: string) => sidecars.readKeySync(p),
    readAccount: (id: string) => sidecars.readAccountSync(id),
  };
  const views = run.paths.map((p) => viewEntry(src, p));
  const { results } = await syncViews(views, {}, {
    store,
    sidecars,
    state,
    http,
    concurrency: 16,
    now: () => new Date("2026-11-25T12:00:00Z"),
    baseUrlOverride: () => undefined,
    retryBaseMs: 0,
  });
  return results;
}

Deno.test("one fetch per account, only synced keys decrypted, per-provider cap held", async () => {
  await withSidecars(async (sidecars) => {
    const entries: Record<string, string> = { "acme/admin": "sk-ADMIN", "other/x": "never-read" };
    for (let i = 0; i < 6; i++) entries[`acme/k${i}`] = `sk-key-${i}`;
    const store = new MemoryStore(entries);
    const fake = fakeHttp(() => ({ balance: "7.50" }));
    const map = {
      "acme/k0": { provider: "acme", credential: "acme/admin" },
      "acme/k1": { provider: "acme", credential: "acme/admin" },
    };
    const paths = ["acme/k0", "acme/k1", "acme/k2", "acme/k3", "acme/k4", "acme/k5"];
    const results = await sync(store, sidecars, fake.http, { map, paths });
    assertEquals(results.map((r) => r.status), paths.map(() => "ok"));
    assertEquals(results.every((r) => r.metadata?.balance === 7.5), true);
    // k0 and k1 share the admin credential's account: one request for both.
    assertEquals(fake.seen.filter((a) => a === "Bearer sk-ADMIN").length, 1);
    assertEquals(fake.seen.length, 5);
    assert(fake.max() <= 2, `per-provider cap of 2 exceeded: ${fake.max()}`);
    assert(!store.shown.includes("other/x"), "a key that was not synced was decrypted");
    const history = await sidecars.readHistory("acme/k1");
    assertEquals(history.map((h) => h.balance), [7.5]);
  });
});

Deno.test("a failure keeps the last good figures, and echoed keys are redacted", async () => {
  await withSidecars(async (sidecars) => {
    const store = new MemoryStore({ "acme/main": "sk-ECHOED-SECRET-1234" });
    const paths = ["acme/main"];
    const good = fakeHttp(() => ({ balance: 3 }));
    const state = emptyState();
    await sync(store, sidecars, good.http, { paths, state });
    const bad = fakeHttp((auth) =>
      new FetchError("auth", `HTTP 401: key ${auth.replace("Bearer ", "")} is invalid`)
    );
    const [r] = await sync(store, sidecars, bad.http, { paths, state });
    assertEquals(r.status, "error");
    assertEquals(r.error?.kind, "auth");
    assertEquals(r.error?.message, "HTTP 401: key [redacted] is invalid");
    assertEquals(r.metadata?.balance, 3);
    assertEquals(r.metadata?.status, "error");
    // The failure is bookkeeping (untracked state); the account file keeps the good figures.
    const account = await sidecars.readAccount("acme/acme/main");
    assert(account.ok);
    assertEquals(account.value.metadata?.balance, 3);
    assertEquals(account.value.fetched_at, "2026-11-25T12:00:00Z");
    assertEquals(
      state.accounts["acme/acme/main"].error?.message,
      "HTTP 401: key [redacted] is invalid",
    );
    assertEquals(state.accounts["acme/acme/main"].failures, 1);
  });
});

Deno.test("only keys of the provider's shape are sent; blank, foreign and teammates' entries are not", async () => {
  await withSidecars(async (sidecars) => {
    const store = new MemoryStore({
      "acme/good": "sk-good-0001",
      "acme/password": "hunter2 is my password",
      "acme/blank": "\nuser: someone",
      "acme/team": MemoryStore.NOT_YOURS,
    });
    const fake = fakeHttp(() => ({ balance: 1 }));
    const state = emptyState();
    const paths = ["acme/good", "acme/password", "acme/blank", "acme/team"];
    const byPath = async () =>
      Object.fromEntries(
        (await sync(store, sidecars, fake.http, { paths, state })).map((r) => [r.path, r]),
      );
    let r = await byPath();
    assertEquals(r["acme/good"].status, "ok");
    assertEquals(r["acme/password"].status, "not_a_key");
    assertEquals(r["acme/blank"].status, "error");
    assertEquals(r["acme/blank"].error?.kind, "config");
    assertEquals(r["acme/team"].status, "not_yours");
    // Exactly one request: the good key's. The password never left the process.
    assertEquals(fake.seen, ["Bearer sk-good-0001"]);
    assert(state.entries["acme/password"].not_a_key?.gpg_sha256);
    assert(state.entries["acme/team"].not_yours?.gpg_sha256);
    // Next run: the known non-key and the teammate's entry are not even decrypted again.
    store.shown.length = 0;
    r = await byPath();
    assertEquals(r["acme/password"].reason, "not_a_key");
    assertEquals(r["acme/team"].reason, "not_yours");
    assert(!store.shown.includes("acme/password"), store.shown.join());
    assertEquals(fake.seen.length, 2);
    // Nothing was written for the entries that are not keys.
    assertEquals((await sidecars.readKey("acme/password")).ok, false);
    assertEquals((await sidecars.readHistory("acme/team")).length, 0);
  });
});
