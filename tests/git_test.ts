// keyz's use of the store's git: only .keyz/ is ever staged or committed, the user's own staged
// changes are left alone, no textconv ever runs, modes commit/stage/none, git failures, and two
// machines sharing one store through a remote.
import { assert, assertEquals, assertMatch, assertNotMatch } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

const KEYS = {
  "api/deepseek/main": keyLike("deepseek", "CANARY-deepseek-git-01"),
  "work/openrouter/team": keyLike("openrouter", "CANARY-git-02"),
};

function deepseekBody(total: string) {
  return {
    is_available: true,
    balance_infos: [{
      currency: "USD",
      total_balance: total,
      granted_balance: "0",
      topped_up_balance: total,
    }],
  };
}

async function serve(): Promise<TestServer> {
  return await startServer([
    { path: "/user/balance", body: deepseekBody("90.00"), repeat: 1 },
    { path: "/user/balance", body: deepseekBody("100.00") },
    // OpenRouter without a management credential: the key's own remaining limit.
    {
      path: "/api/v1/key",
      body: { data: { limit: 25.5, limit_remaining: 20.25, usage_monthly: 5.25 } },
    },
  ]);
}

function envFor(store: TestStore, server: TestServer, storeDir = store.storeDir) {
  return {
    ...store.env,
    PASSWORD_STORE_DIR: storeDir,
    KEYZ_RETRY_BASE_MS: "0",
    KEYZ_BASE_URL_DEEPSEEK: server.url,
    KEYZ_BASE_URL_OPENROUTER: server.url,
  };
}

const lines = (s: string) => s.split("\n").filter(Boolean);

Deno.test("git: only .keyz is committed, staged user changes survive, modes, failures", async (t) => {
  const store = await makeStore({ git: true, entries: KEYS });
  const server = await serve();
  const env = envFor(store, server);
  const git = async (...args: string[]) => (await store.gitRun(args)).stdout;
  const marker = `${store.dir}/textconv-ran`;
  try {
    // Any textconv/ext-diff run by keyz would leave the marker behind.
    await git("config", "diff.gpg.textconv", `touch ${marker}; cat`);
    await git("config", "diff.external", `sh -c 'touch ${marker}'`);
    // The user's own work in progress: a staged new file, a staged copy of a secret, a dirty file.
    await Deno.writeTextFile(`${store.storeDir}/notes.txt`, "mine\n");
    await Deno.mkdir(`${store.storeDir}/misc`);
    await Deno.copyFile(
      `${store.storeDir}/api/deepseek/main.gpg`,
      `${store.storeDir}/misc/copy.gpg`,
    );
    await git("add", "notes.txt", "misc/copy.gpg");
    await Deno.writeTextFile(`${store.storeDir}/.gpg-id`, `${store.fingerprint}\n# edited\n`);
    const headBefore = (await git("rev-parse", "HEAD")).trim();

    await t.step("commit mode (default): one commit holding only .keyz paths", async () => {
      const r = await runKeyz(["sync", "--all"], { env });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(lines(await git("rev-list", `${headBefore}..HEAD`)).length, 1);
      assertEquals(
        (await git("log", "-1", "--format=%s")).trim(),
        "keyz: sync 2 keys (deepseek, openrouter)",
      );
      const files = lines(await git("show", "--name-only", "--format=", "--no-textconv", "HEAD"));
      assert(files.length > 0);
      for (const f of files) assertMatch(f, /^\.keyz\//);
      assert(files.includes(".keyz/.gitattributes"));
      assert(!files.includes(".keyz/lock"), "the lock is never committed");
      // The user's staged changes are still staged, still uncommitted; the dirty file still dirty.
      assertEquals(lines(await git("diff", "--cached", "--name-only", "--no-textconv")), [
        "misc/copy.gpg",
        "notes.txt",
      ]);
      assertEquals(lines(await git("diff", "--name-only", "--no-textconv")), [".gpg-id"]);
      // The .gitattributes inside .keyz applies to paths relative to .keyz.
      assertMatch(
        await git("check-attr", "merge", "--", ".keyz/history/api/deepseek/main.jsonl"),
        /merge: union/,
      );
      assertMatch(await git("check-attr", "merge", "--", "history/x.jsonl"), /unspecified/);
    });

    await t.step("stage mode stages .keyz only, commits nothing", async () => {
      const head = (await git("rev-parse", "HEAD")).trim();
      const r = await runKeyz(["sync", "api/deepseek/main", "--git", "stage"], { env });
      assertEquals(r.code, 0, r.stderr);
      assertEquals((await git("rev-parse", "HEAD")).trim(), head);
      const staged = lines(await git("diff", "--cached", "--name-only", "--no-textconv"));
      assert(staged.includes(".keyz/history/api/deepseek/main.jsonl"), staged.join());
      assert(staged.includes(".keyz/accounts/deepseek/api/deepseek/main.json"));
      assert(staged.includes("notes.txt"));
    });

    await t.step("none mode from .keyz/config.jsonc touches no git state", async () => {
      await git("reset", "-q", "--", ".keyz");
      await Deno.writeTextFile(`${store.storeDir}/.keyz/config.jsonc`, `{ "git": "none" }\n`);
      const head = (await git("rev-parse", "HEAD")).trim();
      const r = await runKeyz(["sync", "api/deepseek/main"], { env });
      assertEquals(r.code, 0, r.stderr);
      assertEquals((await git("rev-parse", "HEAD")).trim(), head);
      const staged = lines(await git("diff", "--cached", "--name-only", "--no-textconv"));
      assertEquals(staged, ["misc/copy.gpg", "notes.txt"]);
      // --git overrides the store's setting: commit picks up what was left.
      const c = await runKeyz(["sync", "api/deepseek/main", "--git", "commit"], { env });
      assertEquals(c.code, 0, c.stderr);
      assertMatch(await git("log", "-1", "--format=%s"), /^keyz: sync 1 key \(deepseek\)/);
      assertEquals(
        lines(await git("diff", "--cached", "--name-only", "--no-textconv")),
        ["misc/copy.gpg", "notes.txt"],
      );
    });

    await t.step("a failing git: exit 4, files written, the error says what to do", async () => {
      const history = `${store.storeDir}/.keyz/history/api/deepseek/main.jsonl`;
      const before = lines(await Deno.readTextFile(history)).length;
      await Deno.writeTextFile(`${store.storeDir}/.git/index.lock`, "");
      try {
        const r = await runKeyz(["sync", "api/deepseek/main", "--git", "commit"], { env });
        assertEquals(r.code, 4, r.stderr);
        // A fresh index.lock may belong to a live git: kept, and the error says what happens.
        assertMatch(r.stderr, /index\.lock exists: another git is working in the store/);
        assertMatch(r.stderr, /sidecar files are written/);
        assertMatch(r.stderr, /removes the file once it is a minute old/);
        assertEquals(lines(await Deno.readTextFile(history)).length, before + 1);
      } finally {
        await Deno.remove(`${store.storeDir}/.git/index.lock`);
      }
    });

    await t.step("pass.signcommits signs keyz's commits", async () => {
      await git("config", "pass.signcommits", "true");
      await git("config", "user.signingkey", store.fingerprint);
      const r = await runKeyz(["sync", "api/deepseek/main", "--git", "commit"], { env });
      assertEquals(r.code, 0, r.stderr);
      const sig = (await git("log", "-1", "--format=%G?")).trim();
      assert(sig === "G" || sig === "U", `expected a signed commit, got ${sig}`);
      await git("config", "--unset", "pass.signcommits");
    });

    await t.step("history reads git without running textconv", async () => {
      // Without the history file, the figures come from the committed snapshots alone.
      await Deno.remove(`${store.storeDir}/.keyz/history/api/deepseek/main.jsonl`);
      const r = await runKeyz(["history", "api/deepseek/main", "--json"], { env });
      assertEquals(r.code, 0, r.stderr);
      const points = JSON.parse(r.stdout).points as { source: string; value: number }[];
      assert(points.length >= 1, r.stdout);
      for (const p of points) assertEquals(p.source, "git");
      assertEquals(points.at(-1)?.value, 100);
    });

    let markerExists = true;
    await Deno.stat(marker).catch(() => markerExists = false);
    assert(!markerExists, "keyz ran a textconv or external diff");
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("git: two clones sync, pull, merge history by union, newest snapshot wins", async () => {
  const store = await makeStore({
    git: true,
    entries: { "api/deepseek/main": KEYS["api/deepseek/main"] },
  });
  const server = await serve();
  const remote = `${store.dir}/remote.git`;
  const storeB = `${store.dir}/clone-b`;
  const envA = envFor(store, server);
  const envB = envFor(store, server, storeB);
  const gitIn = async (dir: string, ...args: string[]) => {
    const r = await store.gitRun(["-C", dir, "-c", "pull.rebase=false", ...args]);
    return r;
  };
  try {
    assertEquals((await gitIn(store.storeDir, "init", "-q", "--bare", remote)).code, 0);
    await gitIn(store.storeDir, "remote", "add", "origin", remote);
    assertEquals((await gitIn(store.storeDir, "push", "-q", "origin", "HEAD:main")).code, 0);
    assertEquals((await gitIn(store.dir, "clone", "-q", "-b", "main", remote, storeB)).code, 0);

    // B syncs first (90), A a second later (100): A's snapshot is the newest.
    const b = await runKeyz(["sync", "--all"], { env: envB });
    assertEquals(b.code, 0, b.stderr);
    await new Promise((r) => setTimeout(r, 1100));
    const a = await runKeyz(["sync", "--all"], { env: envA });
    assertEquals(a.code, 0, a.stderr);
    assertEquals((await gitIn(store.storeDir, "push", "-q", "origin", "HEAD:main")).code, 0);

    // B pulls: history merges line by line; the account snapshot conflicts.
    const pull = await gitIn(storeB, "pull", "-q", "--no-edit", "origin", "main");
    const historyB = await Deno.readTextFile(`${storeB}/.keyz/history/api/deepseek/main.jsonl`);
    assertNotMatch(historyB, /^(<{7}|={7}|>{7})/m);
    assertEquals(lines(historyB).length, 2);
    const unmerged = lines((await gitIn(storeB, "diff", "--name-only", "--diff-filter=U")).stdout);
    assert(!unmerged.some((f) => f.includes("history/")), unmerged.join());

    // Readers already see the winner, conflict or not.
    const show = await runKeyz(["show", "api/deepseek/main", "--json"], { env: envB });
    assertEquals(show.code, 0, show.stderr);
    assertEquals(JSON.parse(show.stdout).metadata.balance, 100);

    // Only the account snapshot conflicts: doctor --fix repairs and stages it.
    assert(pull.code !== 0, "expected the account snapshot to conflict");
    assertEquals(unmerged, [".keyz/accounts/deepseek/api/deepseek/main.json"]);
    {
      const fix = await runKeyz(["doctor", "--fix", "--json"], { env: envB });
      const doc = JSON.parse(fix.stdout);
      assert(
        doc.checks.some((c: { fixed?: boolean }) => c.fixed),
        fix.stdout,
      );
      assertEquals(
        lines((await gitIn(storeB, "diff", "--name-only", "--diff-filter=U")).stdout),
        [],
      );
      assertEquals((await gitIn(storeB, "commit", "-q", "--no-edit")).code, 0);
    }
    const acc = JSON.parse(
      await Deno.readTextFile(`${storeB}/.keyz/accounts/deepseek/api/deepseek/main.json`),
    );
    assertEquals(acc.metadata.balance, 100);
    // B pushes, A pulls: a fast-forward, both machines agree.
    assertEquals((await gitIn(storeB, "push", "-q", "origin", "HEAD:main")).code, 0);
    assertEquals(
      (await gitIn(store.storeDir, "pull", "-q", "--no-edit", "origin", "main")).code,
      0,
    );
    const accA = await Deno.readTextFile(
      `${store.storeDir}/.keyz/accounts/deepseek/api/deepseek/main.json`,
    );
    assertEquals(JSON.parse(accA), acc);
    const histA = await runKeyz(["history", "api/deepseek/main", "--json"], { env: envA });
    assertEquals(
      JSON.parse(histA.stdout).points.map((p: { value: number }) => p.value),
      [90, 100],
    );
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("git: sync in the middle of a conflicted merge repairs and stages, exit 4", async () => {
  // Covered by the two-clone test's readers; here: keyz sync itself during the merge.
  const store = await makeStore({
    git: true,
    entries: { "api/deepseek/main": KEYS["api/deepseek/main"] },
  });
  const server = await serve();
  const env = envFor(store, server);
  const git = (...args: string[]) => store.gitRun(args);
  try {
    assertEquals((await runKeyz(["sync", "--all"], { env })).code, 0);
    await git("checkout", "-q", "-b", "other", "HEAD~1");
    await new Promise((r) => setTimeout(r, 1100));
    assertEquals((await runKeyz(["sync", "--all"], { env })).code, 0);
    await git("checkout", "-q", "main");
    const merge = await git("merge", "--no-edit", "other");
    assert(merge.code !== 0, "the account file should conflict");
    await new Promise((r) => setTimeout(r, 1100));
    const r = await runKeyz(["sync", "--all"], { env });
    assertEquals(r.code, 4, r.stderr);
    assertMatch(r.stderr, /merge is in progress/);
    assertEquals(lines((await git("diff", "--name-only", "--diff-filter=U")).stdout), []);
    const text = await Deno.readTextFile(
      `${store.storeDir}/.keyz/accounts/deepseek/api/deepseek/main.json`,
    );
    assertNotMatch(text, /<{7}/);
    assertEquals((await git("commit", "-q", "--no-edit")).code, 0);
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("git: an index.lock left by a killed git is removed by the next sync and by doctor --fix", async () => {
  const store = await makeStore({ git: true, entries: KEYS });
  const server = await serve();
  const env = envFor(store, server);
  const lock = `${store.storeDir}/.git/index.lock`;
  const git = async (...args: string[]) => (await store.gitRun(args)).stdout;
  // As a SIGKILL during `git commit` leaves it: the file, and no git running (two minutes ago).
  const leftBehind = async () => {
    await Deno.writeTextFile(lock, "");
    const then = new Date(Date.now() - 120_000);
    await Deno.utime(lock, then, then);
  };
  try {
    assertEquals((await runKeyz(["sync", "--all"], { env })).code, 0);
    const head = (await git("rev-parse", "HEAD")).trim();
    await leftBehind();
    const r = await runKeyz(["sync", "--all", "--verbose"], { env });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stderr, /removed a stale .*\.git\/index\.lock \(it is \d+ s old\)/);
    assertEquals(lines(await git("rev-list", `${head}..HEAD`)).length, 1, "it commits");
    assert(!(await Deno.stat(lock).then(() => true, () => false)));

    await leftBehind();
    const doctor = await runKeyz(["doctor", "--json"], { env });
    const found = JSON.parse(doctor.stdout).checks.find((c: { file?: string }) =>
      c.file === ".git/index.lock"
    );
    assertMatch(found.hint, /keyz doctor --fix/);
    const fix = await runKeyz(["doctor", "--fix", "--json"], { env });
    const fixed = JSON.parse(fix.stdout).checks.find((c: { file?: string }) =>
      c.file === ".git/index.lock"
    );
    assertEquals(fixed.fixed, true, fix.stdout);
    assert(!(await Deno.stat(lock).then(() => true, () => false)));
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("git: --git none on a committed store leaves keyz's git files unmodified", async () => {
  const store = await makeStore({ git: true, entries: KEYS });
  const server = await serve();
  const env = envFor(store, server);
  try {
    assertEquals((await runKeyz(["sync", "--all"], { env })).code, 0);
    const r = await runKeyz(["sync", "--all", "--git", "none"], { env });
    assertEquals(r.code, 0, r.stderr);
    const status = await store.gitRun([
      "status",
      "--porcelain",
      "--",
      ".keyz/.gitignore",
      ".keyz/.gitattributes",
    ]);
    assertEquals(status.stdout, "");
    // One content, ignoring the lock, the untracked state dir, temp and moved-aside files.
    for (const f of ["lock", "state/attempts.json", ".0123abcd.tmp", "x.json.broken-2026"]) {
      const ignored = await store.gitRun(["check-ignore", "-q", `.keyz/${f}`]);
      assertEquals(ignored.code, 0, `.keyz/${f} is not ignored`);
    }
    const kept = await store.gitRun(["check-ignore", "-q", ".keyz/keys/api/deepseek/main.json"]);
    assertEquals(kept.code, 1);
  } finally {
    await server.close();
    await store.cleanup();
  }
});

Deno.test("git: a first sync that synced nothing commits only .keyz's own files, and says so", async () => {
  const store = await makeStore({ git: true, entries: KEYS });
  // Every key is refused: nothing to record, only .keyz's ignore rules and merge attributes.
  const server = await startServer([
    { path: "/user/balance", status: 401, body: { error: { message: "bad key" } } },
    { path: "/api/v1/key", status: 401, body: { error: { message: "bad key" } } },
  ]);
  const env = envFor(store, server);
  const git = async (...args: string[]) => (await store.gitRun(args)).stdout;
  try {
    const head = (await git("rev-parse", "HEAD")).trim();
    const r = await runKeyz(["sync", "--all"], { env });
    assertEquals(r.code, 1, r.stderr);
    assertEquals(lines(await git("rev-list", `${head}..HEAD`)).length, 1);
    assertEquals(
      (await git("log", "-1", "--format=%s")).trim(),
      "keyz: keep .keyz in order (no figures synced)",
    );
    assertEquals(
      lines(await git("show", "--name-only", "--format=", "--no-textconv", "HEAD")).sort(),
      [".keyz/.gitattributes", ".keyz/.gitignore"],
    );
    // Failing again changes nothing git tracks: no commit.
    const again = await runKeyz(["sync", "--all"], { env });
    assertEquals(again.code, 1, again.stderr);
    assertEquals(lines(await git("rev-list", `${head}..HEAD`)).length, 1);
  } finally {
    await server.close();
    await store.cleanup();
  }
});
