// Sync orchestration without processes or network: the in-memory PassStore and a fake HTTP
// client. Sidecars go to a temporary folder.
import { assert, assertEquals } from "./support/assert.ts";
import { syncKeys, type SyncOptions } from "../src/sync/sync.ts";
import { MemoryStore } from "../src/store/store.ts";
import { Sidecars } from "../src/sidecars/sidecars.ts";
import { mergeManifests } from "../src/providers/load.ts";
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

function options(
  store: MemoryStore,
  sidecars: Sidecars,
  http: HttpClient,
  extra: Partial<SyncOptions> = {},
): SyncOptions {
  return {
    store,
    sidecars,
    providers,
    map: {},
    paths: [],
    concurrency: 16,
    http,
    now: () => new Date("2026-11-25T12:00:00Z"),
    baseUrlOverride: () => undefined,
    retryBaseMs: 0,
    ...extra,
  };
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
    const results = await syncKeys(options(store, sidecars, fake.http, { map, paths }));
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
    await syncKeys(options(store, sidecars, good.http, { paths }));
    const bad = fakeHttp((auth) =>
      new FetchError("auth", `HTTP 401: key ${auth.replace("Bearer ", "")} is invalid`)
    );
    const [r] = await syncKeys(options(store, sidecars, bad.http, { paths }));
    assertEquals(r.status, "error");
    assertEquals(r.error?.kind, "auth");
    assertEquals(r.error?.message, "HTTP 401: key [redacted] is invalid");
    assertEquals(r.metadata?.balance, 3);
    assertEquals(r.metadata?.status, "error");
    const account = await sidecars.readAccount("acme/acme/main");
    assert(account.ok);
    assertEquals(account.value.last_error?.message, "HTTP 401: key [redacted] is invalid");
    assertEquals(account.value.last_success_at, "2026-11-25T12:00:00Z");
  });
});
