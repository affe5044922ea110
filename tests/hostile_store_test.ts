// A hostile store, as a teammate could push it (trust rules 2, 5, 6): symlinks at every level
// of .keyz pointing at a decoy folder outside the store, `../` and absolute paths in every
// path-like field of map.json and the sidecars, environment names that run code, entry names
// at the file-name limit. For every input: nothing outside .keyz changes (the decoy, every
// .gpg file, the rest of the store and HOME are hashed before and after), nothing is read
// through a link (the decoy's files carry a marker that must never show), the command names
// the file in one line, and the other keys still sync.
import { assert, assertEquals, assertMatch, assertNotMatch } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";

const DEEPSEEK = "api/deepseek/main";
const OPENROUTER = "work/openrouter/team";
const KEYS: Record<string, string> = {
  [DEEPSEEK]: "sk-5d0c1e2f3a4b5c6d7e8f9a0b1c2d3e4f",
  [OPENROUTER]: `sk-or-v1-${"3c".repeat(32)}`,
};
/** Written into every decoy file: seen in any output, keyz read through a link. */
const MARK = "DECOY-7731";

const DEEPSEEK_BODY = {
  is_available: true,
  balance_infos: [{
    currency: "USD",
    total_balance: "3.00",
    granted_balance: "0",
    topped_up_balance: "3.00",
  }],
};

type Class = "symlink" | "path" | "env" | "name";
const tried: Record<Class, number> = { symlink: 0, path: 0, env: 0, name: 0 };
const outsideWrites: Record<Class, number> = { symlink: 0, path: 0, env: 0, name: 0 };

interface World {
  store: TestStore;
  server: TestServer;
  env: Record<string, string>;
  keyz: string;
  decoy: string;
  base: string;
}

let shared: Promise<World> | undefined;
const world = () => shared ??= makeWorld();

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const d = await crypto.subtle.digest("SHA-256", data);
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Everything outside the store's .keyz and .git (and gpg's and keyz's own cache folders), by
 * path: a file's hash, a link's target, a folder's presence. Links are recorded, never entered.
 */
async function outside(w: World): Promise<Map<string, string>> {
  const skip = new Set([
    `${w.store.storeDir}/.keyz`,
    `${w.store.storeDir}/.git`,
    w.store.gnupgHome,
    `${w.store.dir}/home/.cache`,
  ]);
  const out = new Map<string, string>();
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (skip.has(p)) continue;
      if (e.isSymlink) out.set(p, `link ${await Deno.readLink(p)}`);
      else if (e.isDirectory) {
        out.set(p, "dir");
        await walk(p);
      } else out.set(p, await sha256(await Deno.readFile(p)));
    }
  };
  await walk(w.store.dir);
  return out;
}

function changes(before: Map<string, string>, after: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, h] of before) if (after.get(p) !== h) out.push(`changed or removed: ${p}`);
  for (const p of after.keys()) if (!before.has(p)) out.push(`created: ${p}`);
  return out;
}

async function git(w: World, ...args: string[]): Promise<string> {
  const r = await w.store.gitRun(args);
  assertEquals(r.code, 0, `git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Copy a folder, marking every JSON sidecar in it (a decoy of .keyz). */
async function copyMarked(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const src = `${from}/${e.name}`;
    const dst = `${to}/${e.name}`;
    if (e.isDirectory) await copyMarked(src, dst);
    else if (e.name.endsWith(".json")) {
      const v = JSON.parse(await Deno.readTextFile(src));
      if (v.metadata) v.metadata = { ...v.metadata, balance: 777.77, label: MARK };
      else v.notes = MARK;
      await Deno.writeTextFile(dst, JSON.stringify(v, null, 2) + "\n");
    } else await Deno.writeTextFile(dst, `${await Deno.readTextFile(src)}# ${MARK}\n`);
  }
}

async function makeWorld(): Promise<World> {
  const store = await makeStore({ git: true, entries: KEYS });
  const server = await startServer([
    { path: "/user/balance", body: DEEPSEEK_BODY },
    { path: "/api/v1/credits", body: { data: { total_credits: 10, total_usage: 4 } } },
    {
      path: "/api/v1/key",
      body: { data: { label: "team", usage_monthly: 2, limit: 10, limit_remaining: 8 } },
    },
  ]);
  const env = {
    ...store.env,
    NO_COLOR: "1",
    KEYZ_NO_CACHE: "1",
    KEYZ_RETRY_BASE_MS: "0",
    KEYZ_BASE_URL_DEEPSEEK: server.url,
    KEYZ_BASE_URL_OPENROUTER: server.url,
  };
  const first = await runKeyz(["sync", "--all"], { env });
  assertEquals(first.code, 0, first.stderr);
  const keyz = `${store.storeDir}/.keyz`;
  const decoy = `${store.dir}/decoy`;
  await copyMarked(keyz, `${decoy}/tree`);
  await Deno.mkdir(`${decoy}/providers`);
  await Deno.writeTextFile(`${decoy}/.bashrc`, `# ${MARK} the user's shell start-up\n`);
  await Deno.writeTextFile(`${decoy}/docker-config.json`, `{"auths": {}, "note": "${MARK}"}\n`);
  await Deno.writeTextFile(`${decoy}/package.json`, `{"name": "${MARK}"}\n`);
  await Deno.writeTextFile(
    `${decoy}/map.json`,
    JSON.stringify({ schema_version: 1, keys: { [DEEPSEEK]: { provider: "openrouter" } } }),
  );
  await Deno.writeTextFile(`${decoy}/config.jsonc`, `// ${MARK}\n{ "git": "none" }\n`);
  await Deno.writeTextFile(`${decoy}/providers/decoy.jsonc`, `// ${MARK}\n{}\n`);
  const base = (await git({ store } as World, "rev-parse", "HEAD")).trim();
  return { store, server, env, keyz, decoy, base };
}

/** Back to the synced, committed store; nothing untracked (or ignored) left in .keyz. */
async function reset(w: World): Promise<void> {
  await git(w, "reset", "-q", "--hard", w.base);
  await git(w, "clean", "-qfdx", "--", ".keyz");
}

/** Replace `.keyz/<rel>` by a link to `target` (a decoy path). */
async function link(w: World, rel: string, target: string): Promise<void> {
  const p = rel ? `${w.keyz}/${rel}` : w.keyz;
  await Deno.remove(p, { recursive: true }).catch(() => {});
  await Deno.mkdir(p.slice(0, p.lastIndexOf("/")), { recursive: true });
  await Deno.symlink(target, p);
}

async function writeJson(w: World, rel: string, value: unknown): Promise<void> {
  await Deno.writeTextFile(`${w.keyz}/${rel}`, JSON.stringify(value, null, 2) + "\n");
}

/** Commit .keyz as found (links, ignored files and all): what a teammate pushes. */
async function push(w: World): Promise<void> {
  await git(w, "add", "-A", "-f", "--", ".keyz");
  await git(w, "commit", "-q", "--allow-empty", "-m", "a teammate's push");
}

interface Case {
  what: string;
  setup: (w: World) => Promise<void>;
  /** sync's exit code: 0 all ok, 1 the `failing` keys failed, 3 the command failed in one line. */
  exit: 0 | 1 | 3;
  failing?: string[];
  /** Must appear in sync's stderr or a result (the file named). */
  names: RegExp;
}

const ACCOUNT_DS = "accounts/deepseek/api/deepseek/main.json";
const KEY_DS = "keys/api/deepseek/main.json";
const HISTORY_DS = "history/api/deepseek/main.jsonl";

const symlinkCases: Case[] = [
  {
    what: ".keyz itself",
    setup: (w) => link(w, "", `${w.decoy}/tree`).then(() => {}),
    exit: 3,
    names: /\.keyz is a symbolic link/,
  },
  ...["keys", "accounts", "history", "state"].map((dir): Case => ({
    what: `.keyz/${dir}`,
    setup: (w) => link(w, dir, `${w.decoy}/tree/${dir === "state" ? "keys" : dir}`),
    exit: 0,
    names: new RegExp(`\\.keyz/${dir} was a symbolic link .*moved aside`),
  })),
  {
    what: ".keyz/accounts/<provider>",
    setup: (w) => link(w, "accounts/deepseek", `${w.decoy}/tree/accounts/deepseek`),
    exit: 1,
    failing: [DEEPSEEK],
    names: /accounts\/deepseek is a symbolic link/,
  },
  {
    what: ".keyz/accounts/<provider>/<folder>",
    setup: (w) => link(w, "accounts/deepseek/api", `${w.decoy}/tree/accounts/deepseek/api`),
    exit: 1,
    failing: [DEEPSEEK],
    names: /accounts\/deepseek\/api is a symbolic link/,
  },
  {
    what: ".keyz/keys/<folder>",
    setup: (w) => link(w, "keys/api", `${w.decoy}/tree/keys/api`),
    exit: 1,
    failing: [DEEPSEEK],
    names: /keys\/api is a symbolic link/,
  },
  {
    what: ".keyz/history/<folder>",
    setup: (w) => link(w, "history/api", `${w.decoy}/tree/history/api`),
    exit: 1,
    failing: [DEEPSEEK],
    names: /history\/api is a symbolic link/,
  },
  {
    what: "an account sidecar",
    setup: (w) => link(w, ACCOUNT_DS, `${w.decoy}/docker-config.json`),
    exit: 0,
    names: /deepseek\/main\.json is a symbolic link.*moved aside/,
  },
  {
    what: "an account sidecar (dangling)",
    setup: (w) => link(w, ACCOUNT_DS, `${w.decoy}/created-by-keyz.json`),
    exit: 0,
    names: /deepseek\/main\.json is a symbolic link.*moved aside/,
  },
  {
    what: "a key sidecar",
    setup: (w) => link(w, KEY_DS, `${w.decoy}/package.json`),
    exit: 0,
    names: /keys\/api\/deepseek\/main\.json is a symbolic link.*moved aside/,
  },
  {
    what: "a history file",
    setup: (w) => link(w, HISTORY_DS, `${w.decoy}/.bashrc`),
    exit: 1,
    failing: [DEEPSEEK],
    names: /main\.jsonl is a symbolic link/,
  },
  ...[".gitattributes", ".gitignore", "lock"].map((name): Case => ({
    what: `.keyz/${name}`,
    setup: (w) => link(w, name, `${w.decoy}/.bashrc`),
    exit: 0,
    names: new RegExp(`\\.keyz/${name.replace(".", "\\.")} was a symbolic link .*moved aside`),
  })),
  {
    what: ".keyz/map.json",
    setup: (w) => link(w, "map.json", `${w.decoy}/map.json`),
    exit: 3,
    names: /map\.json is a symbolic link/,
  },
  {
    what: ".keyz/config.jsonc",
    setup: (w) => link(w, "config.jsonc", `${w.decoy}/config.jsonc`),
    exit: 3,
    names: /config\.jsonc is a symbolic link/,
  },
  {
    what: ".keyz/providers",
    setup: (w) => link(w, "providers", `${w.decoy}/providers`),
    exit: 0,
    names: /./,
  },
  {
    what: ".keyz/providers/<manifest>",
    setup: async (w) => {
      await Deno.mkdir(`${w.keyz}/providers`, { recursive: true });
      await link(w, "providers/decoy.jsonc", `${w.decoy}/providers/decoy.jsonc`);
    },
    exit: 0,
    names: /./,
  },
];

const mapWith = (keys: Record<string, unknown>) => (w: World) =>
  writeJson(w, "map.json", { schema_version: 1, keys });
/** From `.keyz/keys/` (a key path) up to the folder holding the store and the decoy. */
const escape = "../../../decoy";
/** From `.keyz/accounts/<provider>/@` (a credential): `@..` is a folder of its own. */
const credEscape = "../../../../../../decoy";

const pathCases: Case[] = [
  ...[
    `${escape}/docker-config`,
    `/${escape}/docker-config`,
    `api/../${escape}/docker-config`,
    "api//deepseek/main",
    "api/./deepseek/main",
    ".git/hooks/x",
    "api/deepseek/\u001b]0;title\u0007",
  ].map((bad): Case => ({
    what: `map.json key ${JSON.stringify(bad)}`,
    setup: mapWith({ [bad]: { provider: "deepseek" }, [DEEPSEEK]: { provider: "deepseek" } }),
    exit: 0,
    names: /map\.json: mapping .* skipped/,
  })),
  ...[`${credEscape}/docker-config`, "/etc/passwd", `api/../${credEscape}/x`, "api//x"].map(
    (bad): Case => ({
      what: `map.json credential ${JSON.stringify(bad)}`,
      setup: mapWith({ [DEEPSEEK]: { provider: "deepseek", credential: bad } }),
      exit: 0,
      names: /map\.json: mapping "api\/deepseek\/main" skipped: credential/,
    }),
  ),
  {
    what: "map.json provider `../`",
    setup: mapWith({ [DEEPSEEK]: { provider: `${escape}/docker-config` } }),
    exit: 0,
    names: /./, // not loaded: the key is skipped, nothing written
  },
  ...[`${escape}/package`, `/${escape}/package`, `api/../${escape}/package`].map(
    (bad): Case => ({
      what: `key sidecar path ${JSON.stringify(bad)}`,
      // Another provider in the file makes sync rewrite it: to where the entry is, only.
      setup: (w) =>
        writeJson(w, KEY_DS, { schema_version: 1, path: bad, provider: "openai", account: bad }),
      exit: 0,
      names: /./,
    }),
  ),
  ...[`deepseek/${escape}/docker-config`, `${escape}/docker-config`].map((bad): Case => ({
    what: `account sidecar account ${JSON.stringify(bad)}`,
    setup: async (w) => {
      const file = `${w.keyz}/${ACCOUNT_DS}`;
      const v = JSON.parse(await Deno.readTextFile(file));
      await writeJson(w, ACCOUNT_DS, { ...v, account: bad, provider: `${escape}` });
    },
    exit: 0,
    names: /./,
  })),
  {
    what: "store manifest id `../`",
    setup: async (w) => {
      await Deno.mkdir(`${w.keyz}/providers`, { recursive: true });
      const text = await Deno.readTextFile(new URL("../providers/deepseek.jsonc", import.meta.url));
      await Deno.writeTextFile(
        `${w.keyz}/providers/evil.jsonc`,
        text.replace(/"id":\s*"deepseek"/, `"id": "${escape}"`),
      );
    },
    exit: 0,
    names: /./,
  },
];

async function runCase(w: World, cls: Class, c: Case): Promise<void> {
  await reset(w);
  await c.setup(w);
  await push(w);
  const before = await outside(w);
  // Readers first (the snapshot walk, and a direct read), while the store is as pushed.
  const ls = await runKeyz(["ls", "--json"], { env: w.env });
  const show = await runKeyz(["show", DEEPSEEK, "--json"], { env: w.env });
  const sync = await runKeyz(["sync", "--all", "--json"], { env: w.env });
  const diff = changes(before, await outside(w));
  tried[cls]++;
  outsideWrites[cls] += diff.length;
  assertEquals(diff, [], `${c.what}: writes outside .keyz`);
  const texts = { ls, show, sync };
  for (const [name, r] of Object.entries(texts)) {
    assertNotMatch(r.stdout + r.stderr, new RegExp(MARK), `${c.what}: ${name} read a decoy`);
    assertNotMatch(r.stderr, /report this as a bug|unexpected error/, `${c.what}: ${name}`);
  }
  assertNoSecret(
    Object.fromEntries(
      Object.entries(texts).flatMap(([n, r]) => [[`${n} out`, r.stdout], [
        `${n} err`,
        r.stderr,
      ]]),
    ),
    Object.values(KEYS),
  );
  assertEquals(sync.code, c.exit, `${c.what}: ${sync.stdout}\n${sync.stderr}`);
  if (c.exit === 3) {
    assertEquals(sync.stderr.trim().split("\n").length, 1, `${c.what}: ${sync.stderr}`);
    assertMatch(sync.stderr, c.names);
    return;
  }
  const doc = JSON.parse(sync.stdout) as {
    results: { path: string; status: string; error?: { message: string } }[];
  };
  assertMatch(sync.stderr + JSON.stringify(doc.results), c.names, c.what);
  for (const r of doc.results) {
    const failing = c.failing?.includes(r.path);
    if (failing) {
      assertEquals(r.status, "error", `${c.what}: ${r.path}`);
      assertMatch(r.error!.message, c.names, c.what);
    } else assert(r.status === "ok" || r.status === "skipped", `${c.what}: ${r.path} ${r.status}`);
  }
  assertEquals(
    doc.results.find((r) => r.path === OPENROUTER)?.status,
    "ok",
    `${c.what}: the other key`,
  );
}

for (const [cls, cases] of [["symlink", symlinkCases], ["path", pathCases]] as const) {
  for (const c of cases) {
    Deno.test(`hostile store (${cls}): ${c.what}`, async () => {
      await runCase(await world(), cls, c);
    });
  }
}

Deno.test("hostile store (symlink): doctor names every link, --fix moves them aside, sync works", async () => {
  const w = await world();
  await reset(w);
  const links = [
    ["keys/api", `${w.decoy}/tree/keys/api`],
    ["accounts/deepseek", `${w.decoy}/tree/accounts/deepseek`],
    [HISTORY_DS, `${w.decoy}/.bashrc`],
    [".gitattributes", `${w.decoy}/.bashrc`],
    ["map.json", `${w.decoy}/map.json`],
    ["config.jsonc", `${w.decoy}/config.jsonc`],
  ];
  for (const [rel, target] of links) await link(w, rel, target);
  await push(w);
  const before = await outside(w);
  const doctor = await runKeyz(["doctor", "--json"], { env: w.env });
  assertEquals(doctor.code, 1, doctor.stderr);
  const named = (JSON.parse(doctor.stdout).checks as { id: string; file?: string }[])
    .filter((c) => c.id === "symlink").map((c) => c.file).sort();
  assertEquals(named, links.map(([rel]) => `.keyz/${rel}`).sort());
  const fix = await runKeyz(["doctor", "--fix", "--json"], { env: w.env });
  assertNotMatch(fix.stdout + fix.stderr, new RegExp(MARK));
  const fixed = (JSON.parse(fix.stdout).checks as { id: string; fixed?: boolean }[])
    .filter((c) => c.id === "symlink" && c.fixed);
  assertEquals(fixed.length, links.length, fix.stdout);
  const sync = await runKeyz(["sync", "--all", "--json"], { env: w.env });
  assertEquals(sync.code, 0, sync.stdout + sync.stderr);
  assertEquals(changes(before, await outside(w)), []);
  tried.symlink++;
});

const REFUSED = [
  "PATH",
  "path",
  "LD_PRELOAD",
  "ld_preload",
  "DYLD_INSERT_LIBRARIES",
  "GIT_EXTERNAL_DIFF",
  "GIT_SSH_COMMAND",
  "BASH_ENV",
  "PROMPT_COMMAND",
  "ENV",
  "IFS",
  "PS1",
  "PS4",
  "SHELLOPTS",
  "BASHOPTS",
  "NODE_OPTIONS",
  "PYTHONSTARTUP",
  "PERL5OPT",
  "RUBYOPT",
  "HOME",
  "SHELL",
  "ZDOTDIR",
  "EDITOR",
  "LESSOPEN",
  "JAVA_TOOL_OPTIONS",
  "HTTPS_PROXY",
  "KEYZ_BASE_URL_DEEPSEEK",
];

Deno.test(`hostile store (env): ${REFUSED.length} names that run code are never set`, async () => {
  const w = await world();
  for (const name of REFUSED) {
    await reset(w);
    await writeJson(w, KEY_DS, { schema_version: 1, path: DEEPSEEK, env: name });
    await push(w);
    const before = await outside(w);
    const r = await runKeyz(["env", DEEPSEEK], { env: w.env });
    assertEquals(r.code, 0, r.stderr);
    // The refused name is passed over (one line naming it); the provider's name is used.
    assertNotMatch(r.stdout, new RegExp(`^export ${name}=`, "im"));
    assertMatch(r.stdout, /^export DEEPSEEK_API_KEY='sk-/m);
    const lines = r.stderr.trim().split("\n");
    assertEquals(lines.length, 1, r.stderr);
    assertMatch(lines[0], new RegExp(`api/deepseek/main: its key sidecar names ${name}, which`));
    const diff = changes(before, await outside(w));
    tried.env++;
    outsideWrites.env += diff.length;
    assertEquals(diff, []);
  }
});

Deno.test("hostile store (env): NAME=PATH with a refused name is a usage error", async () => {
  const w = await world();
  for (const name of ["PATH", "ld_preload", "GIT_PAGER", "PS1", "NODE_OPTIONS"]) {
    const r = await runKeyz(["env", `${name}=${DEEPSEEK}`], { env: w.env });
    assertEquals(r.code, 2, r.stderr);
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, new RegExp(`^keyz: keyz never sets ${name} \\(`));
    tried.env++;
  }
});

Deno.test("hostile store (name): a 240-character entry syncs; a 251-character one fails alone", async () => {
  const w = await world();
  await reset(w);
  const long = `deepseek/${"k".repeat(240)}`;
  const longest = `deepseek/${"q".repeat(251)}`;
  try {
    await w.store.insert(long, KEYS[DEEPSEEK]);
    await w.store.insert(longest, KEYS[DEEPSEEK]);
    const before = await outside(w);
    const sync = await runKeyz(["sync", "--all", "--json"], { env: w.env });
    const diff = changes(before, await outside(w));
    tried.name += 2;
    outsideWrites.name += diff.length;
    assertEquals(diff, []);
    assertEquals(sync.code, 1, sync.stderr);
    const by = Object.fromEntries(
      (JSON.parse(sync.stdout).results as { path: string; status: string; error?: unknown }[])
        .map((r) => [r.path, r]),
    );
    assertEquals(by[long].status, "ok");
    assertEquals(by[DEEPSEEK].status, "ok");
    assertEquals(by[OPENROUTER].status, "ok");
    assertEquals(by[longest].status, "error");
    assertMatch(JSON.stringify(by[longest].error), /has a name longer than 255 bytes/);
    // Committed: one key's failure does not stop the commit of the others.
    assertEquals((await w.store.gitRun(["status", "--porcelain", "--", ".keyz"])).stdout, "");
    assert(
      (await git(w, "ls-files", ".keyz/history/deepseek")).includes("k".repeat(240)),
      "the long entry's history is committed",
    );
  } finally {
    await w.store.pass(["rm", "-rf", "deepseek"]);
  }
});

Deno.test("hostile store: summary and cleanup", async () => {
  if (!shared) return;
  const w = await shared;
  const line = (Object.keys(tried) as Class[])
    .map((c) => `${c}: ${tried[c]} inputs, ${outsideWrites[c]} writes outside .keyz`).join("; ");
  Deno.stdout.writeSync(new TextEncoder().encode(`hostile store: ${line}\n`));
  for (const c of Object.keys(outsideWrites) as Class[]) assertEquals(outsideWrites[c], 0);
  await w.server.close();
  await w.store.cleanup();
});
