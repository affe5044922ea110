// Crash safety: SIGKILL keyz at random moments of a 200-key sync, several times; the next run
// must recover by itself (stale lock taken over, temp files cleaned) and every sidecar, every
// history line and the git repository must stay intact.
import { assert, assertEquals } from "./support/assert.ts";
import { makeStore, writeEntries } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

const KEYS = 200;
const KILLS = 4;

const DEEPSEEK_BODY = {
  is_available: true,
  balance_infos: [{
    currency: "USD",
    total_balance: "12.50",
    granted_balance: "0.00",
    topped_up_balance: "12.50",
  }],
};

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) out.push(...await files(p));
      else out.push(p);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  return out;
}

interface Invariants {
  /** Valid history lines per key file. */
  history: Map<string, number>;
  texts: string[];
}

/** Every sidecar parses; every history line is JSON (a torn last line is tolerated only mid-run). */
async function checkInvariants(storeDir: string, final: boolean): Promise<Invariants> {
  const history = new Map<string, number>();
  const texts: string[] = [];
  for (const f of await files(`${storeDir}/.keyz`)) {
    const name = f.slice(storeDir.length + 1);
    if (f.endsWith(".tmp")) {
      assert(!final, `temp file left after a clean run: ${name}`);
      continue;
    }
    const text = await Deno.readTextFile(f);
    texts.push(text);
    if (f.endsWith(".json")) {
      try {
        JSON.parse(text);
      } catch {
        throw new Error(`half-written sidecar: ${name}`);
      }
    } else if (f.endsWith(".jsonl")) {
      const lines = text.split("\n");
      assertEquals(lines.at(-1), "", `${name} does not end with a newline`);
      lines.pop();
      for (const l of lines) JSON.parse(l); // throws on a torn line
      history.set(name, lines.length);
    }
  }
  return { history, texts };
}

Deno.test(`crash safety: ${KILLS} SIGKILLs during a ${KEYS}-key sync, then a clean recovery`, async () => {
  const store = await makeStore({ git: true });
  const server = await startServer([{ path: "/user/balance", delayMs: 15, body: DEEPSEEK_BODY }]);
  try {
    const canaries = Array.from(
      { length: KEYS },
      (_, i) => keyLike("deepseek", `CANARY-crash-${i}-${crypto.randomUUID().slice(0, 6)}`),
    );
    const paths = canaries.map((_, i) => `deepseek/k${String(i).padStart(3, "0")}`);
    await writeEntries(store, Object.fromEntries(paths.map((p, i) => [p, canaries[i]])));
    const env = { ...store.env, KEYZ_RETRY_BASE_MS: "0", KEYZ_BASE_URL_DEEPSEEK: server.url };

    let before = new Map<string, number>();
    for (let k = 0; k < KILLS; k++) {
      // Deno starts in ~0.3 s; a full run takes a few seconds: kill anywhere in between.
      const killAt = 400 + Math.floor(Math.random() * 2600);
      const r = await runKeyz(["sync", "--all", "--json", "-c", "8"], { env, timeoutMs: killAt });
      // Orphaned pass/git children finish on their own; give them a moment.
      await new Promise((res) => setTimeout(res, 300));
      assert(r.timedOut || r.code === 0 || r.code === 4, `run ${k}: ${r.code} ${r.stderr}`);
      const inv = await checkInvariants(store.storeDir, false);
      // No history line is ever lost.
      for (const [f, n] of before) {
        assert((inv.history.get(f) ?? 0) >= n, `${f} lost lines (${n} -> ${inv.history.get(f)})`);
      }
      before = inv.history;
    }

    // Generous: 200 decryptions on a busy 2-core machine can take half a minute.
    const last = await runKeyz(["sync", "--all", "--json", "-c", "8"], { env, timeoutMs: 180_000 });
    assertEquals(last.code, 0, last.stderr);
    const doc = JSON.parse(last.stdout);
    assertEquals(doc.summary.ok, KEYS);
    const inv = await checkInvariants(store.storeDir, true);
    for (const p of paths) assert((inv.history.get(`.keyz/history/${p}.jsonl`) ?? 0) >= 1, p);
    for (const [f, n] of before) assert((inv.history.get(f) ?? 0) >= n + 1, `${f}: no new line`);
    await Deno.stat(`${store.storeDir}/.keyz/lock`).then(
      () => assert(false, "lock left behind"),
      () => {},
    );

    const fsck = await store.gitRun(["fsck", "--no-progress"]);
    assertEquals(fsck.code, 0, fsck.stderr);
    const status = await store.gitRun(["status", "--porcelain"]);
    assertEquals(status.code, 0, status.stderr);
    assertEquals(status.stdout, "");
    const tracked = (await store.gitRun(["ls-files", ".keyz"])).stdout.split("\n");
    assert(!tracked.some((f) => f.endsWith(".tmp") || f === ".keyz/lock"), "lock/tmp committed");
    const log = await store.gitRun(["log", "-p", "--", ".keyz"]);
    assertNoSecret([last.stdout, last.stderr, log.stdout, ...inv.texts], canaries.slice(0, 20));
  } finally {
    await server.close();
    await store.cleanup();
  }
});
