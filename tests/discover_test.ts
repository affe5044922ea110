// `keyz discover` on a store like a person's: ordinary passwords, keys filed where no provider
// name finds them, an ignored entry, a teammate's entry, a trusted user manifest and an
// untrusted store manifest. Real pass, gpg and git; a real terminal (util-linux `script`) for
// the y/N question. No network anywhere in discover: there is no server in this file.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { addTeammate, makeStore, type TestStore, writeEntries } from "./support/store.ts";
import { assertNoSecret, ROOT, runKeyz, runKeyzInTerminal } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { DiscoverOutput } from "../src/cli/output_schemas.ts";
import {
  discoverKeys,
  identifyingProviders,
  judgeEntry,
  MIN_LENGTH_FOR_LAST4,
} from "../src/discover/discover.ts";
import { mergeManifests } from "../src/providers/load.ts";
import { MemoryStore } from "../src/store/store.ts";
import { parseEntry } from "../src/store/secret.ts";
import { sha256Hex } from "../src/util/hash.ts";

/** Ordinary passwords in the usual layouts, some looking a little like tokens. */
const PASSWORDS: Record<string, string> = {
  "web/github": "hunter2hunter2\nuser: alice",
  "web/netflix": "n3tfl1x and chill",
  "web/reddit": "reddit-pw-2024",
  "social/twitter": "tw password 1",
  "social/mastodon": "m4st0d0n pass",
  "email/gmail": "gmail-pass 99",
  "email/proton": "proton mail pw",
  "bank/chase": "chase 4242 pin",
  "bank/ing": "ing banking",
  "work/vpn": "vpn passphrase one",
  "work/jira": "jira pw",
  "work/wiki": "Correct-Horse-Battery-Staple-2026",
  "misc/wifi": "wifi at home",
  "misc/router": "admin admin",
  "misc/sk-notes": "sk-this-is-my-password-not-a-key-at-all-2026",
  "shop/amazon": "amazon pw",
  "gaming/steam": "steam guard pw",
  "travel/airbnb": "airbnb pw",
  "cloud/dropbox": "dropbox pw",
  "dev/docker": "docker hub pw",
  "dev/npm": "npm_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
  "home/alarm": "1234 alarm",
};

/** Keys filed where no path segment names their provider. */
const HIDDEN_KEYS: Record<string, { provider: string; key: string }> = {
  "web/openrouter-personal": {
    provider: "openrouter",
    key: keyLike("openrouter", "CANARY-disc-or"),
  },
  "notes/xai-token": { provider: "xai", key: keyLike("xai", "CANARY-disc-xai") },
  "dev/tokens/gh-ci": { provider: "github", key: keyLike("github", "CANARYdiscgh") },
  "misc/llm-work": { provider: "anthropic", key: keyLike("anthropic", "CANARY-disc-ant") },
  "cloud/studio-key": { provider: "google", key: keyLike("google", "CANARY-disc-goo") },
  "work/openai-project": { provider: "openai", key: keyLike("openai", "CANARY-disc-oai") },
};

/** A DeepSeek key has only a conservative shape: discover never proposes it. */
const CONSERVATIVE_KEY = keyLike("deepseek", "CANARY-disc-ds");
/** Two trusted user manifests document the same shape: a key of it is ambiguous. */
const AMBIGUOUS_KEY = `ak-${"0123456789abcdef".repeat(2)}`;
const KNOWN_KEY = keyLike("openrouter", "CANARY-disc-known");
const TEAM_KEY = keyLike("xai", "CANARY-disc-team");
const IGNORED_KEY = keyLike("openrouter", "CANARY-disc-ignored");

const manifest = (id: string, keyPattern: string) =>
  JSON.stringify({
    id,
    name: id,
    keyType: "API key",
    keyPattern,
    keyPatternSource: "documented",
    baseUrl: `https://api.${id}.example`,
    kind: "balance",
    steps: [{ id: "main", path: "/balance" }],
    fields: { balance: { path: "balance" } },
    currency: "USD",
  });

interface Person {
  store: TestStore;
  env: Record<string, string>;
  secrets: string[];
}

async function personsStore(): Promise<Person> {
  const store = await makeStore({ git: true });
  await writeEntries(store, {
    ...PASSWORDS,
    ...Object.fromEntries(Object.entries(HIDDEN_KEYS).map(([p, k]) => [p, k.key])),
    "personal/ds-key": CONSERVATIVE_KEY,
    "misc/ak-token": AMBIGUOUS_KEY,
    "api/openrouter/main": KNOWN_KEY,
  });
  await addTeammate(store, { teamFolder: "team" });
  await store.insert("team/shared-token", TEAM_KEY);
  // An ignored entry is never decrypted: this one cannot be (it would show as a failure).
  await Deno.mkdir(`${store.storeDir}/old`, { recursive: true });
  await Deno.writeTextFile(`${store.storeDir}/old/token.gpg`, "not an encrypted file\n");
  const configDir = `${store.env.XDG_CONFIG_HOME}/keyz`;
  await Deno.mkdir(`${configDir}/providers`, { recursive: true });
  const acme = manifest("acme", "^ak-[0-9a-f]{32}$");
  const acme2 = manifest("acme2", "^ak-[0-9a-f]{16,64}$");
  await Deno.writeTextFile(`${configDir}/providers/acme.jsonc`, acme);
  await Deno.writeTextFile(`${configDir}/providers/acme2.jsonc`, acme2);
  await Deno.writeTextFile(
    `${configDir}/trust.json`,
    JSON.stringify({
      schema_version: 1,
      trusted: { acme: [sha256Hex(acme)], acme2: [sha256Hex(acme2)] },
    }),
  );
  // A store manifest (from the team's git, not trusted) whose "documented" shape is anything.
  await Deno.mkdir(`${store.storeDir}/.keyz/providers`, { recursive: true });
  await Deno.writeTextFile(
    `${store.storeDir}/.keyz/providers/zeta.jsonc`,
    manifest("zeta", "^[!-~ ]{4,512}$"),
  );
  const env = { ...store.env, NO_COLOR: "1", XDG_CACHE_HOME: `${store.dir}/cache` };
  const ignore = await runKeyz(["ignore", "old"], { env });
  assertEquals(ignore.code, 0, ignore.stderr);
  await store.gitRun(["add", "-A"]);
  await store.gitRun(["commit", "-q", "-m", "team setup"]);
  const keys = [
    ...Object.values(HIDDEN_KEYS).map((k) => k.key),
    CONSERVATIVE_KEY,
    AMBIGUOUS_KEY,
    KNOWN_KEY,
    TEAM_KEY,
    IGNORED_KEY,
  ];
  // A key shown by its last 4 characters only: nothing before them may appear.
  const secrets = [...Object.values(PASSWORDS), ...keys, ...keys.map((k) => k.slice(0, -4))];
  return { store, env, secrets };
}

async function keyzTexts(store: TestStore): Promise<Record<string, string>> {
  const texts: Record<string, string> = {
    gitlog: (await store.gitRun(["log", "-p", "--all", "--no-textconv"])).stdout,
  };
  for (const dir of [`${store.storeDir}/.keyz`, `${store.dir}/cache`]) {
    for (const f of await walk(dir)) texts[f] = await Deno.readTextFile(f);
  }
  return texts;
}

Deno.test("discover: proposes the keys filed where no name finds them, shows only last 4, maps nothing without consent", async () => {
  const { store, env, secrets } = await personsStore();
  try {
    const commits = (await store.gitRun(["rev-list", "--count", "HEAD"])).stdout;
    const r = await runKeyz(["discover"], { env });
    assertEquals(r.code, 0, r.stderr);
    assertNoSecret({ stdout: r.stdout, stderr: r.stderr }, secrets);
    for (const [path, k] of Object.entries(HIDDEN_KEYS)) {
      assertMatch(
        r.stdout,
        new RegExp(`^${path}\\s+->\\s+${k.provider}\\s+key ends ${k.key.slice(-4)}$`, "m"),
      );
    }
    assertMatch(r.stdout, /^misc\/ak-token\s+ambiguous: acme or acme2, not proposed/m);
    // Keys by name, conservative shapes, the teammate's entry, the ignored one: not proposed.
    for (const p of ["api/openrouter/main", "personal/ds-key", "team/shared-token", "old/token"]) {
      assert(!r.stdout.includes(p), `${p} in:\n${r.stdout}`);
    }
    assertMatch(r.stdout, /6 keys found in \d+ entries that are not keys yet, 1 ambiguous/);
    assertMatch(r.stdout, /1 not yours \(not decrypted\)/);
    assertMatch(r.stdout, /nothing mapped \(keyz discover --apply/);
    assertEquals(r.stderr, "");

    const j = await runKeyz(["discover", "--json"], { env });
    assertEquals(j.code, 0, j.stderr);
    const doc = DiscoverOutput.parse(JSON.parse(j.stdout));
    assertEquals(
      doc.proposals.map((p) => [p.path, p.provider, p.last4]),
      Object.entries(HIDDEN_KEYS).map(([p, k]) => [p, k.provider, k.key.slice(-4)]).sort(),
    );
    assertEquals(doc.ambiguous, [{
      path: "misc/ak-token",
      providers: ["acme", "acme2"],
      last4: AMBIGUOUS_KEY.slice(-4),
    }]);
    assertEquals(doc.not_yours, 1);
    assertEquals(doc.failed, [], "the ignored (undecryptable) entry was decrypted");
    assertEquals(doc.applied, []);
    // Every ordinary password but web/github (a key by its name), and the DeepSeek key.
    assertEquals(doc.not_keys, Object.keys(PASSWORDS).length - 1 + 1);
    assertEquals(doc.looked_at, doc.not_keys + doc.proposals.length + 1 + doc.not_yours);

    // Nothing was written or committed, and no secret is anywhere keyz writes.
    assertEquals((await store.gitRun(["rev-list", "--count", "HEAD"])).stdout, commits);
    const map = await Deno.readTextFile(`${store.storeDir}/.keyz/map.json`).catch(() => "");
    assert(!map.includes("openrouter-personal"), map);
    assertNoSecret(await keyzTexts(store), secrets);

    // One folder only; an unknown folder is one line and exit 2.
    const web = DiscoverOutput.parse(
      JSON.parse((await runKeyz(["discover", "web", "--json"], { env })).stdout),
    );
    assertEquals(web.looked_at, 3); // web/github is a key by its name: sync's business
    assertEquals(web.proposals.map((p) => p.path), ["web/openrouter-personal"]);
    const none = await runKeyz(["discover", "nosuch"], { env });
    assertEquals(none.code, 2);
    assertEquals(none.stderr.trim().split("\n").length, 1, none.stderr);
  } finally {
    await store.cleanup();
  }
});

Deno.test("discover --apply maps the proposals in one commit of map.json; they are keys from then on", async () => {
  const { store, env, secrets } = await personsStore();
  try {
    const before = (await store.gitRun(["rev-parse", "HEAD"])).stdout.trim();
    const r = await runKeyz(["discover", "--apply"], { env });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /mapped 6 entries in \.keyz\/map\.json/);
    const log = await store.gitRun(["log", "--format=%s", `${before}..HEAD`]);
    assertEquals(
      log.stdout.trim(),
      "keyz: discover: map 6 entries (anthropic, github, google, openai, openrouter, xai)",
    );
    const files = await store.gitRun(["show", "--name-only", "--format=", "HEAD"]);
    assertEquals(files.stdout.trim(), ".keyz/map.json");
    const map = JSON.parse(await Deno.readTextFile(`${store.storeDir}/.keyz/map.json`));
    for (const [path, k] of Object.entries(HIDDEN_KEYS)) {
      assertEquals(map.keys[path], { provider: k.provider }, path);
    }
    assertEquals(map.keys["misc/ak-token"], undefined, "an ambiguous key was mapped");
    const ls = await runKeyz(["ls"], { env });
    assertMatch(ls.stdout, /web\/openrouter-personal\s+openrouter/);
    const show = JSON.parse((await runKeyz(["show", "notes/xai-token", "--json"], { env })).stdout);
    assertEquals(show.recognized, { how: "explicit" });
    // Nothing left to propose.
    const again = DiscoverOutput.parse(
      JSON.parse((await runKeyz(["discover", "--json"], { env })).stdout),
    );
    assertEquals(again.proposals, []);
    assertNoSecret({ ...await keyzTexts(store), stdout: r.stdout, stderr: r.stderr }, secrets);
  } finally {
    await store.cleanup();
  }
});

Deno.test("discover on a terminal asks y/N: no keeps the store as it is, yes maps", async () => {
  const { store, env, secrets } = await personsStore();
  try {
    const head = async () => (await store.gitRun(["rev-parse", "HEAD"])).stdout.trim();
    const before = await head();
    const no = await runKeyzInTerminal(["discover", "web"], { env, input: "n\n" });
    assertEquals(no.code, 0, no.screen);
    assertMatch(no.screen, /web\/openrouter-personal\s+->\s+openrouter/);
    assertMatch(no.screen, /Map this entry\? \[y\/N\]/);
    assertMatch(no.screen, /nothing mapped/);
    assertEquals(await head(), before);
    const yes = await runKeyzInTerminal(["discover", "web"], { env, input: "y\n" });
    assertEquals(yes.code, 0, yes.screen);
    assertMatch(yes.screen, /mapped 1 entry/);
    assert(await head() !== before);
    const map = JSON.parse(await Deno.readTextFile(`${store.storeDir}/.keyz/map.json`));
    assertEquals(map.keys["web/openrouter-personal"], { provider: "openrouter" });
    assertNoSecret({ no: no.screen, yes: yes.screen }, secrets);
  } finally {
    await store.cleanup();
  }
});

Deno.test("discover cannot reach the network: nothing it loads, even lazily, is an HTTP client", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", `${ROOT}/src/cli/discover.ts`],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: { specifier: string }[];
  };
  const loaded = graph.modules.map((m) => m.specifier);
  assert(loaded.some((s) => s.endsWith("/src/discover/discover.ts")), "graph not read");
  const network = loaded.filter((s) => s.includes("/src/fetch/") || /npm:\/?ky@|\/ky\//.test(s));
  assertEquals(network, []);
});

// --- units: which shapes count, and what is shown ------------------------------------------

const acmeSet = mergeManifests([
  { file: "a.jsonc", text: manifest("acme", "^ak-[0-9a-f]{32}$"), source: "user" },
  { file: "b.jsonc", text: manifest("acme2", "^ak-[0-9a-f]{16,64}$"), source: "user" },
  {
    file: "c.jsonc",
    text: JSON.stringify({
      ...JSON.parse(manifest("cons", "^[!-~]{16,512}$")),
      keyPatternSource: "conservative",
    }),
    source: "user",
  },
  { file: "d.jsonc", text: manifest("short", "^s-[a-z]{6}$"), source: "user" },
]);

Deno.test("only trusted documented shapes identify a key; two that accept it make it ambiguous", () => {
  assertEquals(acmeSet.problems, []);
  const all = identifyingProviders(acmeSet.providers.values(), new Set());
  assertEquals(all.map((p) => p.manifest.id), ["acme", "acme2", "short"]);
  const trusted = identifyingProviders(acmeSet.providers.values(), new Set(["acme2"]));
  const key = parseEntry(`${AMBIGUOUS_KEY}\nuser: me`);
  assertEquals(judgeEntry("k", key, all), {
    path: "k",
    kind: "ambiguous",
    providers: ["acme", "acme2"],
    last4: "cdef",
  });
  assertEquals(judgeEntry("k", key, trusted), {
    path: "k",
    kind: "key",
    provider: "acme",
    last4: "cdef",
  });
  assertEquals(judgeEntry("p", parseEntry("hunter2hunter2hunter2"), all).kind, "not_a_key");
  assertEquals(judgeEntry("b", parseEntry("\nak-0123"), all).kind, "not_a_key");
  // A short documented key is proposed without any of its characters.
  assert("s-abcdef".length < MIN_LENGTH_FOR_LAST4);
  assertEquals(judgeEntry("s", parseEntry("s-abcdef"), all), {
    path: "s",
    kind: "key",
    provider: "short",
  });
});

Deno.test("discoverKeys never decrypts an entry told not ours, and keeps going past failures", async () => {
  const store = new MemoryStore({
    "a/key": AMBIGUOUS_KEY,
    "b/mate": MemoryStore.NOT_YOURS,
    "c/pw": "hunter2",
  });
  const candidates = identifyingProviders(acmeSet.providers.values(), new Set(["acme2"]));
  const seen: number[] = [];
  const findings = await discoverKeys({
    store,
    paths: ["a/key", "b/mate", "c/pw", "d/missing"],
    candidates,
    concurrency: 2,
    onFinding: (_, done) => seen.push(done),
  });
  assertEquals(findings.map((f) => f.kind), ["key", "not_yours", "not_a_key", "failed"]);
  assertEquals(store.shown.sort(), ["a/key", "c/pw"]);
  assertEquals(seen.sort(), [1, 2, 3, 4]);
});

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) out.push(...await walk(p));
      else if (e.isFile) out.push(p);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}
