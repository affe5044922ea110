// Fast checks that the shared test helpers (tests/support/*) do what they promise.
import assert from "node:assert/strict";
import { join } from "node:path";
import { addTeammate, makeStore } from "./support/store.ts";
import { hostile, startServer } from "./support/server.ts";
import { assertNoSecret, keyzArgv, ROOT, runKeyz, V8_FLAGS } from "./support/cli.ts";

const OPENAI = "sk-test-canary-1111\nname: personal\nemail: me@example.invalid\n";

Deno.test("makeStore: pass show returns the inserted content exactly", async () => {
  const store = await makeStore({
    entries: { "ai/openai/personal": OPENAI, "ai/anthropic/work": "sk-ant-canary-2222" },
  });
  try {
    assert.equal(await store.show("ai/openai/personal"), OPENAI);
    assert.equal(await store.show("ai/anthropic/work"), "sk-ant-canary-2222");
    assert.equal((await Deno.stat(store.gnupgHome)).mode! & 0o777, 0o700);
    assert.equal(
      (await Deno.readTextFile(join(store.storeDir, ".gpg-id"))).trim(),
      store.fingerprint,
    );
    for (const k of ["HOME", "PATH", "GNUPGHOME", "PASSWORD_STORE_DIR", "XDG_CONFIG_HOME"]) {
      assert.ok(store.env[k], k);
    }
    assert.ok(store.env.XDG_CONFIG_HOME.startsWith(store.dir));
    // The store is really encrypted.
    const raw = await Deno.readFile(join(store.storeDir, "ai/openai/personal.gpg"));
    assert.equal(new TextDecoder("latin1").decode(raw).includes("sk-test-canary"), false);
  } finally {
    await store.cleanup();
  }
  await assert.rejects(Deno.stat(store.dir), Deno.errors.NotFound);
});

Deno.test("makeStore: git stores commit every insert; stores are independent", async () => {
  const [a, b] = await Promise.all([makeStore({ git: true }), makeStore()]);
  try {
    await a.insert("ai/openai/x", "sk-x\n");
    const log = await a.gitRun(["log", "--format=%an <%ae>|%s"]);
    assert.equal(log.code, 0, log.stderr);
    const lines = log.stdout.trim().split("\n");
    // pass git init makes two commits, then one per insert (newest first).
    assert.equal(lines.length, 3, log.stdout);
    assert.match(
      lines[0],
      /^keyz test <keyz@example\.invalid>\|Add given password for ai\/openai\/x/,
    );
    assert.equal((await a.gitRun(["config", "user.email"])).stdout.trim(), "keyz@example.invalid");
    assert.equal(b.git, false);
    assert.notEqual(a.gnupgHome, b.gnupgHome);
    assert.equal((await b.pass(["show", "ai/openai/x"])).code, 1);
  } finally {
    await Promise.all([a.cleanup(), b.cleanup()]);
  }
});

Deno.test("snapshotSecrets: stable, and sees changes", async () => {
  const store = await makeStore({ git: true, entries: { "a/one": "k1\n", "b/c/two": "k2\n" } });
  try {
    const s1 = await store.snapshotSecrets();
    const s2 = await store.snapshotSecrets();
    assert.deepEqual([...s1.keys()], ["a/one.gpg", "b/c/two.gpg"]);
    assert.deepEqual(s1, s2);
    for (const v of s1.values()) assert.match(v, /^[0-9a-f]{64}$/);
    await store.insert("a/one", "k1-rotated\n");
    const s3 = await store.snapshotSecrets();
    assert.notEqual(s3.get("a/one.gpg"), s1.get("a/one.gpg"));
    assert.equal(s3.get("b/c/two.gpg"), s1.get("b/c/two.gpg"));
  } finally {
    await store.cleanup();
  }
});

Deno.test("startServer: routes, query subset, repeat, 404, hits", async () => {
  const srv = await startServer([
    { method: "GET", path: "/v1/usage", query: { page: "2" }, body: { page: 2 } },
    { path: "/v1/usage", status: 429, body: "slow down", repeat: 1 },
    { path: "/v1/usage", body: { page: 1 }, headers: { "x-test": "yes" } },
    { method: "POST", path: "/echo", handler: async (req) => new Response(await req.text()) },
  ]);
  try {
    const auth = { authorization: "Bearer sk-canary" };
    const r1 = await fetch(`${srv.url}/v1/usage?page=2&limit=5`, { headers: auth });
    assert.deepEqual(await r1.json(), { page: 2 });
    const r2 = await fetch(`${srv.url}/v1/usage`);
    assert.equal(r2.status, 429);
    assert.equal(await r2.text(), "slow down");
    const r3 = await fetch(`${srv.url}/v1/usage`);
    assert.equal(r3.status, 200);
    assert.equal(r3.headers.get("x-test"), "yes");
    assert.equal(r3.headers.get("content-type"), "application/json");
    assert.deepEqual(await r3.json(), { page: 1 });
    const r4 = await fetch(`${srv.url}/nope`);
    assert.equal(r4.status, 404);
    assert.equal((await r4.json()).error, "no route");
    const r5 = await fetch(`${srv.url}/echo`, { method: "POST", body: "hello" });
    assert.equal(await r5.text(), "hello");

    assert.deepEqual(srv.hits.map((h) => [h.method, h.path, h.route]), [
      ["GET", "/v1/usage", 0],
      ["GET", "/v1/usage", 1],
      ["GET", "/v1/usage", 2],
      ["GET", "/nope", -1],
      ["POST", "/echo", 3],
    ]);
    assert.deepEqual(srv.hits[0].query, { page: "2", limit: "5" });
    assert.equal(srv.hits[0].headers.authorization, "Bearer sk-canary");
    assert.equal(srv.hits[1].headers.authorization, undefined);
    assert.equal(srv.hits[4].body, "hello");
  } finally {
    await srv.close();
  }
});

Deno.test("hostile responses", async () => {
  const other = await startServer([{ path: "/landed", body: { ok: true } }]);
  const srv = await startServer([
    { path: "/drip", handler: hostile.drip({ intervalMs: 20 }) },
    { path: "/drip-text", handler: hostile.drip({ text: '{"a":1}', intervalMs: 2 }) },
    { path: "/huge", handler: hostile.huge(3_000_000) },
    { path: "/html", handler: hostile.html() },
    { path: "/trunc", handler: hostile.truncatedJson() },
    { path: "/cut", handler: hostile.cutConnection() },
    { path: "/redirect", handler: hostile.redirect(`${other.url}/landed`) },
    { path: "/delay", delayMs: 10_000, body: "late" },
  ]);
  try {
    // Drip forever: the client gives up; the server must not leak the timer.
    const ctl = new AbortController();
    const drip = await fetch(`${srv.url}/drip`, { signal: ctl.signal });
    const reader = drip.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), " ");
    ctl.abort();
    await assert.rejects(reader.read());

    assert.deepEqual(await (await fetch(`${srv.url}/drip-text`)).json(), { a: 1 });

    const huge = await fetch(`${srv.url}/huge`);
    assert.equal(huge.headers.get("content-length"), "3000000");
    const hugeText = await huge.text();
    assert.equal(hugeText.length, 3_000_000);
    assert.equal(JSON.parse(hugeText).pad.length, 3_000_000 - 10);

    const html = await fetch(`${srv.url}/html`);
    assert.match(html.headers.get("content-type")!, /^text\/html/);
    assert.match(await html.text(), /^<!DOCTYPE html>/);

    const trunc = await fetch(`${srv.url}/trunc`);
    assert.equal(trunc.headers.get("content-type"), "application/json");
    await assert.rejects(trunc.json(), SyntaxError);

    const cut = await fetch(`${srv.url}/cut`);
    await assert.rejects(cut.text());

    const redir = await fetch(`${srv.url}/redirect`, { redirect: "manual" });
    assert.equal(redir.status, 302);
    assert.equal(redir.headers.get("location"), `${other.url}/landed`);
    await redir.body?.cancel();

    // A pending delay is cut short by close().
    const late = fetch(`${srv.url}/delay`).then((r) => r.text());
    while (!srv.hits.some((h) => h.path === "/delay")) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const t0 = Date.now();
    await srv.close();
    assert.equal(await late, "late");
    assert.ok(Date.now() - t0 < 5_000);
  } finally {
    await srv.close();
    await other.close();
  }
});

Deno.test("runKeyz: permission set keyz, cleared env, stdin", async () => {
  const dir = await Deno.makeTempDir({ prefix: "keyz-cli-" });
  try {
    const entry = join(dir, "probe.ts");
    await Deno.writeTextFile(
      entry,
      `const env = Deno.env.toObject();
let runGpg = "allowed";
try { new Deno.Command("gpg", { args: ["--version"] }).outputSync(); } catch (e) { runGpg = (e as Error).name; }
const stdin = await new Response(Deno.stdin.readable).text();
console.log(JSON.stringify({ env, runGpg, stdin, cwd: Deno.cwd() }));
console.error("to stderr");
Deno.exit(3);
`,
    );
    const r = await runKeyz(["a", "b"], {
      env: { HOME: dir, KEYZ_X: "1", NOT_ALLOWED: "2" },
      stdin: "piped in",
      entry,
    });
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stderr, "to stderr\n");
    const out = JSON.parse(r.stdout);
    assert.equal(out.stdin, "piped in");
    assert.equal(out.cwd, ROOT);
    assert.equal(out.runGpg, "NotCapable");
    assert.equal(out.env.KEYZ_X, "1");
    assert.equal(out.env.HOME, dir);
    assert.equal(out.env.NOT_ALLOWED, undefined); // ignored by the permission set
    assert.ok(out.env.PATH);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("assertNoSecret names the output holding the canary", () => {
  assertNoSecret({ stdout: "fine", stderr: "also fine" }, ["sk-canary"]);
  assert.throws(
    () => assertNoSecret({ stdout: "ok", stderr: "line1\nkey sk-canary here" }, ["sk-canary"]),
    /stderr contains canary "sk-canary" \(line 2\)/,
  );
  assert.throws(() => assertNoSecret(["a", "xx sk-1"], ["sk-1"]), /texts\[1\]/);
});

Deno.test("runKeyz, deno task keyz and deno task compile use the same V8 flags", async () => {
  const config = await Deno.readTextFile(`${ROOT}/deno.json`);
  const task = (name: string) => config.match(new RegExp(`"${name}": "([^"]*)"`))?.[1] ?? "";
  for (const name of ["keyz", "compile"]) {
    assert.ok(task(name).includes(`-P=keyz ${V8_FLAGS} `), `${name}: ${task(name)}`);
  }
  assert.ok(keyzArgv([]).includes(V8_FLAGS));
});

Deno.test("addTeammate: pass encrypts the team folder for the teammate only", async () => {
  const store = await makeStore({ git: true });
  try {
    const mate = await addTeammate(store);
    assert.notEqual(mate.fingerprint, store.fingerprint);
    const gpgId = (folder: string) =>
      Deno.readTextFileSync(join(store.storeDir, folder, ".gpg-id")).trim().split("\n");
    assert.deepEqual(gpgId(mate.teamFolder), [mate.fingerprint]);
    assert.deepEqual(gpgId(mate.sharedFolder), [store.fingerprint, mate.fingerprint]);
    await store.insert(`${mate.teamFolder}/x`, "sk-team\n");
    await store.insert(`${mate.sharedFolder}/y`, "sk-shared\n");
    const team = await store.pass(["show", `${mate.teamFolder}/x`]);
    assert.notEqual(team.code, 0);
    assert.match(team.stderr, /No secret key/); // the teammate's secret key is nowhere here
    assert.equal(await store.show(`${mate.sharedFolder}/y`), "sk-shared\n");
  } finally {
    await store.cleanup();
  }
});
