// The snapshot cache and the listing (src/view/snapshot.ts, listing_cache.ts): whatever
// changes in the store, a cached read equals a fresh read; an unchanged store is served from
// the cache; a folder changed within the racy window is never trusted.
import { keyJson } from "../src/cli/key_json.ts";
import { viewEntry, viewsFromSnapshot } from "../src/view/entries.ts";
import { fileSources } from "../src/view/file_sources.ts";
import { Sidecars } from "../src/sidecars/sidecars.ts";
import { PassCliStore } from "../src/store/pass_cli.ts";
import { sha256Hex } from "../src/util/hash.ts";
import { readListing } from "../src/view/listing_cache.ts";
import { readSnapshot, type SnapshotOptions } from "../src/view/snapshot.ts";
import { ROOT, runKeyz } from "./support/cli.ts";
import { completeRows, firstScreenState, initState } from "../src/ui/state.ts";
import { render } from "../src/ui/render.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";

interface Fixture {
  dir: string;
  opts: SnapshotOptions;
  store: string;
}

const write = (file: string, text: string) => {
  Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  Deno.writeTextFileSync(file, text);
};
/** How keyz and git replace a file: a new file renamed over the old one. */
const replace = (file: string, text: string) => {
  write(`${file}.new`, text);
  Deno.renameSync(`${file}.new`, file);
};
const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";

function account(id: string, balance: number) {
  return json({
    schema_version: 2,
    account: id,
    provider: id.slice(0, id.indexOf("/")),
    metadata: { kind: "balance", balance, currency: "USD" },
    fetched_at: "2026-01-01T00:00:00Z",
  });
}

function makeFixture(): Fixture {
  const dir = Deno.makeTempDirSync({ prefix: "keyz-snapshot-" });
  const store = `${dir}/store`;
  for (
    const p of [
      "api/deepseek/main",
      "work/moonshot",
      "misc/thing",
      "top",
      "web/github",
      "tools/acme",
    ]
  ) {
    write(`${store}/${p}.gpg`, "not decrypted by these tests");
  }
  write(`${store}/.gpg-id`, "someone\n");
  write(
    `${store}/.keyz/keys/api/deepseek/main.json`,
    json({
      schema_version: 2,
      path: "api/deepseek/main",
      provider: "deepseek",
      account: "deepseek/api/deepseek/main",
      notes: "personal",
    }),
  );
  write(
    `${store}/.keyz/accounts/deepseek/api/deepseek/main.json`,
    account("deepseek/api/deepseek/main", 12.5),
  );
  write(
    `${store}/.keyz/accounts/moonshot/work/moonshot.json`,
    account("moonshot/work/moonshot", 3),
  );
  // Every kind of row the listing stores: spend, quota, an error, expiry, tags and notes.
  const other = (id: string, fields: Record<string, unknown>) =>
    write(
      `${store}/.keyz/accounts/${id}.json`,
      json({
        schema_version: 2,
        account: id,
        provider: id.slice(0, id.indexOf("/")),
        metadata: null,
        fetched_at: "2026-01-01T00:00:00Z",
        ...fields,
      }),
    );
  for (const p of ["api/openai/main", "api/zai/coding", "api/xai/team"]) {
    write(`${store}/${p}.gpg`, "x");
  }
  other("openai/api/openai/main", {
    metadata: { kind: "spend", spend: 12.5, currency: "USD", spend_window: "30d" },
  });
  other("zai/api/zai/coding", {
    metadata: { kind: "quota", quota_used_percent: 37, expires_at: "2026-01-05T00:00:00Z" },
  });
  other("xai/api/xai/team", { metadata: null, fetched_at: null });
  // The untracked state: a failed attempt, and an entry found not to be a key.
  write(
    `${store}/.keyz/state/state.json`,
    json({
      schema_version: 1,
      accounts: {
        "xai/api/xai/team": {
          at: "2026-01-01T00:00:00Z",
          error: { kind: "auth", message: "401" },
          failures: 1,
        },
      },
      entries: {
        "web/github": {
          not_a_key: { provider: "github", gpg_sha256: "0".repeat(64), at: "2026-01-01T00:00:00Z" },
        },
      },
    }),
  );
  write(
    `${store}/.keyz/keys/api/xai/team.json`,
    json({ schema_version: 2, path: "api/xai/team", tags: ["Work", "shared"], low_balance: 5 }),
  );
  // A manifest that came with the store: its key is untrusted until the user trusts it.
  write(
    `${store}/.keyz/providers/acme.jsonc`,
    Deno.readTextFileSync(`${ROOT}/providers/deepseek.jsonc`)
      .replace('"id": "deepseek"', '"id": "acme"')
      .replace(/"aliases": \[[^\]]*\]/, '"aliases": []')
      .replace(/"name": "[^"]*"/, '"name": "Acme"'),
  );
  const opts = {
    storeDir: store,
    configDir: `${dir}/config/keyz`,
    cacheFile: `${dir}/cache/keyz/snapshots/s.json`,
  };
  return { dir, opts, store };
}

/** Make every file and folder an hour old, so nothing is within the racy window. */
function age(dir: string) {
  const past = new Date(Date.now() - 3_600_000);
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      const p = `${d}/${e.name}`;
      if (e.isDirectory) walk(p);
      Deno.utimeSync(p, past, past);
    }
    Deno.utimeSync(d, past, past);
  };
  walk(dir);
}

/** Everything ls and ls --json would show, read with or without the cache. */
async function seen(opts: SnapshotOptions, cached: boolean, compareFiles = true) {
  const o = cached ? opts : { ...opts, cacheFile: undefined };
  const now = new Date("2026-01-01T00:10:00Z");
  const snapshot = await readSnapshot(o);
  const views = viewsFromSnapshot(snapshot).map((v) => keyJson(v, snapshot.config, now));
  // The snapshot and the files read one by one (what writers see) give the same views.
  if (compareFiles) {
    const files = await fileSources(
      new Sidecars(opts.storeDir),
      new PassCliStore(opts.storeDir),
      snapshot.providers,
      opts.configDir,
    );
    const fromFiles = snapshot.entries.map((p) => keyJson(viewEntry(files, p), files.config, now));
    assertEquals(JSON.parse(JSON.stringify(fromFiles)), JSON.parse(JSON.stringify(views)));
  }
  // Through JSON: a field left undefined and a field left out are the same to every reader.
  return JSON.parse(
    JSON.stringify({ listing: await readListing(o), views, config: snapshot.config }),
  );
}

const CHANGES: [string, (f: Fixture) => void][] = [
  ["an entry added", (f) => write(`${f.store}/api/deepseek/second.gpg`, "x")],
  ["an entry removed", (f) => Deno.removeSync(`${f.store}/misc/thing.gpg`)],
  ["a folder of entries added", (f) => write(`${f.store}/new/openrouter/k.gpg`, "x")],
  ["a folder of entries removed", (f) => Deno.removeSync(`${f.store}/work`, { recursive: true })],
  [
    "an account sidecar replaced",
    (f) =>
      replace(
        `${f.store}/.keyz/accounts/deepseek/api/deepseek/main.json`,
        account("deepseek/api/deepseek/main", 99),
      ),
  ],
  [
    "a key sidecar added in a new folder",
    (f) =>
      write(
        `${f.store}/.keyz/keys/work/moonshot.json`,
        json({ schema_version: 2, path: "work/moonshot", notes: "team", tags: ["a"] }),
      ),
  ],
  [
    "a folder of sidecars removed",
    (f) => Deno.removeSync(`${f.store}/.keyz/accounts/deepseek`, { recursive: true }),
  ],
  [
    "a broken sidecar",
    (f) => replace(`${f.store}/.keyz/accounts/moonshot/work/moonshot.json`, "{ not json"),
  ],
  [
    "map.json written",
    (f) =>
      write(
        `${f.store}/.keyz/map.json`,
        json({ schema_version: 2, keys: { "misc/thing": { provider: "openrouter" } } }),
      ),
  ],
  [
    "the state file written (a failure cleared, an entry that is not a key)",
    (f) =>
      replace(
        `${f.store}/.keyz/state/state.json`,
        json({
          schema_version: 1,
          accounts: { "xai/api/xai/team": { at: "2026-01-01T00:05:00Z", failures: 0 } },
          entries: {
            "api/deepseek/main": {
              not_a_key: {
                provider: "deepseek",
                gpg_sha256: "1".repeat(64),
                at: "2026-01-01T00:05:00Z",
              },
            },
          },
        }),
      ),
  ],
  [
    "an ignore rule added",
    (f) => write(`${f.store}/.keyz/config.jsonc`, '{ "ignore": ["api/zai"] }\n'),
  ],
  [
    "a store manifest trusted",
    (f) =>
      write(
        `${f.opts.configDir}/trust.json`,
        json({
          schema_version: 1,
          trusted: {
            acme: [sha256Hex(Deno.readTextFileSync(`${f.store}/.keyz/providers/acme.jsonc`))],
          },
        }),
      ),
  ],
  [
    "a user manifest dropped in",
    (f) =>
      write(
        `${f.opts.configDir}/providers/thing.jsonc`,
        Deno.readTextFileSync(`${ROOT}/providers/deepseek.jsonc`)
          .replace('"id": "deepseek"', '"id": "thing"')
          .replace(/"aliases": \[[^\]]*\]/, '"aliases": []')
          .replace(/"name": "[^"]*"/, '"name": "Thing"'),
      ),
  ],
  [
    "config.jsonc edited in place",
    (f) => write(`${f.store}/.keyz/config.jsonc`, '{ "thresholds": { "min_balance": 5 } }\n'),
  ],
];

for (const [what, change] of CHANGES) {
  Deno.test(`snapshot cache: ${what} is seen, exactly as a fresh read sees it`, async () => {
    const f = makeFixture();
    try {
      age(f.dir);
      const before = await seen(f.opts, true);
      await seen(f.opts, true); // served from the cache now
      change(f);
      const fresh = await seen(f.opts, false);
      assert(JSON.stringify(fresh) !== JSON.stringify(before), "the change is visible at all");
      assertEquals(await seen(f.opts, true), fresh);
      // Once the change is older than the racy window, the caches are written with trusted
      // stamps, and the next read is served from them: still the same.
      age(f.dir);
      assertEquals(await seen(f.opts, true), fresh);
      assertEquals(await seen(f.opts, true), fresh);
    } finally {
      Deno.removeSync(f.dir, { recursive: true });
    }
  });
}

Deno.test("snapshot cache: an unchanged store is served from the cache", async () => {
  const f = makeFixture();
  try {
    age(f.dir);
    await seen(f.opts, true);
    // Read back from the cache files, every row is what a fresh read gives.
    assertEquals(await seen(f.opts, true), await seen(f.opts, false));
    // An in-place edit that leaves the folder's mtime alone is invisible to the cache (the
    // documented limit; keyz and git always replace files). Its being invisible proves the
    // cache was read, and KEYZ_NO_CACHE (no cacheFile) sees it.
    const file = `${f.store}/.keyz/accounts/moonshot/work/moonshot.json`;
    const folder = file.slice(0, file.lastIndexOf("/"));
    const { mtime } = Deno.statSync(folder);
    Deno.writeTextFileSync(file, account("moonshot/work/moonshot", 777));
    Deno.utimeSync(folder, mtime!, mtime!);
    const figure = (s: Awaited<ReturnType<typeof seen>>) =>
      s.listing.rows.find((r: { path: string }) => r.path === "work/moonshot")?.figure;
    assertEquals(figure(await seen(f.opts, true, false)), "3.00 USD");
    assertEquals(figure(await seen(f.opts, false)), "777.00 USD");
  } finally {
    Deno.removeSync(f.dir, { recursive: true });
  }
});

Deno.test("snapshot cache: a folder changed within the racy window is re-read", async () => {
  const f = makeFixture();
  try {
    // No ageing: every mtime is "now", so the cache may not trust any of them.
    await seen(f.opts, true);
    const file = `${f.store}/.keyz/accounts/moonshot/work/moonshot.json`;
    const folder = file.slice(0, file.lastIndexOf("/"));
    const { mtime } = Deno.statSync(folder);
    Deno.writeTextFileSync(file, account("moonshot/work/moonshot", 42));
    Deno.utimeSync(folder, mtime!, mtime!); // same tick as the first read
    const rows: { path: string; figure: string }[] = (await seen(f.opts, true)).listing.rows;
    assertEquals(rows.find((r) => r.path === "work/moonshot")?.figure, "42.00 USD");
  } finally {
    Deno.removeSync(f.dir, { recursive: true });
  }
});

Deno.test("snapshot cache: a corrupt or foreign cache file is ignored", async () => {
  const f = makeFixture();
  try {
    age(f.dir);
    const fresh = await seen(f.opts, false);
    for (const junk of ["", "{", "[]", '{"format":1}', "null"]) {
      write(f.opts.cacheFile!, junk);
      write(f.opts.cacheFile!.replace(/\.json$/, ".listing.json"), junk);
      assertEquals(await seen(f.opts, true), fresh);
    }
  } finally {
    Deno.removeSync(f.dir, { recursive: true });
  }
});

Deno.test("keyz ls: caches under XDG_CACHE_HOME, none with KEYZ_NO_CACHE, same output", async () => {
  const f = makeFixture();
  try {
    age(f.dir);
    const env = {
      PASSWORD_STORE_DIR: f.store,
      HOME: `${f.dir}/home`,
      XDG_CACHE_HOME: `${f.dir}/xdg-cache`,
      NO_COLOR: "1",
    };
    const fresh = await runKeyz(["ls"], { env: { ...env, KEYZ_NO_CACHE: "1" } });
    assertEquals(fresh.code, 0, fresh.stderr);
    assert(!existsDir(`${f.dir}/xdg-cache`), "KEYZ_NO_CACHE writes no cache");
    const first = await runKeyz(["ls"], { env });
    const second = await runKeyz(["ls"], { env });
    const files = [...Deno.readDirSync(`${f.dir}/xdg-cache/keyz/snapshots`)].map((e) => e.name);
    assertEquals(files.length, 2, files.join(" "));
    for (const name of files) {
      const mode = Deno.statSync(`${f.dir}/xdg-cache/keyz/snapshots/${name}`).mode! & 0o777;
      assertEquals(mode, 0o600, name);
    }
    // Ages differ by at most the seconds between runs: compare without the AGE column.
    const cut = (s: string) => s.split("\n").map((l) => l.replace(/\s+\S+$/, ""));
    assertEquals(cut(first.stdout), cut(fresh.stdout));
    assertEquals(cut(second.stdout), cut(fresh.stdout));
    assertMatch(fresh.stdout, /api\/openai\/main\s+openai\s+spent 12\.50 USD/);
    // Only keys are listed; the rest is one line.
    assert(!fresh.stdout.includes("misc/thing"), fresh.stdout);
    assert(!fresh.stdout.includes("web/github"), fresh.stdout);
    assertMatch(
      fresh.stdout,
      /\n9 entries: 6 keys, 3 other entries \(1 not a key\) \(keyz ls --all\)\n$/,
    );
    // --sort balance: lowest first within a currency, keys without a balance last by name;
    // the same order in the table and in --json.
    const sorted = await runKeyz(["ls", "--sort", "balance", "-q"], { env });
    const sortedJson = await runKeyz(["ls", "--sort", "balance", "--json"], { env });
    const tablePaths = sorted.stdout.trim().split("\n").slice(1).map((l) => l.split(/\s+/)[0]);
    const jsonPaths = JSON.parse(sortedJson.stdout).keys.map((k: { path: string }) => k.path);
    assertEquals(tablePaths.slice(0, 3), ["work/moonshot", "api/deepseek/main", "api/openai/main"]);
    assertEquals(jsonPaths, tablePaths);
    const all = await runKeyz(["ls", "--all"], { env });
    assertMatch(all.stdout, /misc\/thing\s+-\s+-\s+other/);
    assertMatch(all.stdout, /web\/github\s+github\s+-\s+not_a_key/);
    // No store: one line naming it, exit 3, on the fast path as on the full one.
    for (const args of [["ls"], ["ls", "--json"], ["show", "x"]]) {
      const r = await runKeyz(args, { env: { ...env, PASSWORD_STORE_DIR: `${f.dir}/none` } });
      assertEquals(r.code, 3, args.join(" "));
      assertEquals(
        r.stderr,
        `keyz: no password store at ${f.dir}/none (set PASSWORD_STORE_DIR or create one with \`pass init <gpg-id>\`)\n`,
      );
    }
  } finally {
    Deno.removeSync(f.dir, { recursive: true });
  }
});

function existsDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

Deno.test("browser first frame from the cached listing file equals the full state's frame", async () => {
  const f = makeFixture();
  try {
    age(f.dir);
    await readListing(f.opts);
    const cached = await readListing(f.opts); // from the file: rows visited, not made
    assert(cached.visit !== undefined, "read back from the listing file");
    const fresh = await readListing({ ...f.opts, cacheFile: undefined });
    const now = new Date("2026-01-01T00:10:00Z");
    for (const expanded of [undefined, ["api", "api/openai"], []]) {
      const o = {
        storeDir: f.store,
        config: fresh.config,
        now,
        providers: fresh.providers,
        viewport: { width: 90, height: 20 },
        expanded,
      };
      const plain = { width: 90, height: 20, color: false };
      const first = firstScreenState({ ...o, listing: cached });
      const full = initState({ ...o, listing: fresh });
      assertEquals(render(first, plain), render(full, plain));
      assertEquals(render(completeRows(first, cached), plain), render(full, plain));
    }
  } finally {
    Deno.removeSync(f.dir, { recursive: true });
  }
});
