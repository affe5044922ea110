// `keyz browse` in a real terminal (tmux, 80x24) on a real pass store: navigate, filter,
// details, a background sync against the loopback server, copy to a real X clipboard (Xvfb +
// xclip) that pass clears, quit and Ctrl-C with the terminal restored.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { hostile, providerFixture, startServer } from "./support/server.ts";
import { keyzArgv, ROOT } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";

const CANARY = keyLike("deepseek", "CANARY-browse-deepseek-42aa");

function which(cmd: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      if (Deno.statSync(`${dir}/${cmd}`).isFile) return true;
    } catch { /* next */ }
  }
  return false;
}

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function denoDir(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const r = await run(Deno.execPath(), ["info", "--json"]);
  return (JSON.parse(r.stdout) as { denoDir: string }).denoDir;
}

const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/** `"autosync": false` in the user config (~/.config/keyz/config.jsonc): no sync by itself. */
async function autosyncOff(env: Record<string, string>) {
  await Deno.mkdir(`${env.XDG_CONFIG_HOME}/keyz`, { recursive: true });
  await Deno.writeTextFile(
    `${env.XDG_CONFIG_HOME}/keyz/config.jsonc`,
    '{\n  // the browser never syncs by itself\n  "autosync": false\n}\n',
  );
}

/** A tmux server of our own (-L), so nothing of the user's tmux is touched. */
class Tmux {
  readonly socket = `keyz-test-${Deno.pid}`;
  screens: string[] = [];
  async cmd(...args: string[]) {
    return await run("tmux", ["-L", this.socket, "-f", "/dev/null", ...args]);
  }
  async capture(target: string): Promise<string> {
    const r = await this.cmd("capture-pane", "-p", "-t", target);
    this.screens.push(r.stdout);
    return r.stdout;
  }
  async waitFor(target: string, re: RegExp, timeoutMs = 10_000): Promise<string> {
    const end = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < end) {
      last = await this.capture(target);
      if (re.test(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${re} on screen:\n${last}`);
  }
  keys(target: string, ...keys: string[]) {
    return this.cmd("send-keys", "-t", target, ...keys);
  }
  async kill() {
    await this.cmd("kill-server");
  }
}

async function startXvfb(): Promise<{ display: string; stop(): void } | undefined> {
  if (!which("Xvfb") || !which("xclip")) return undefined;
  for (const n of [99, 98, 97, 96]) {
    try {
      Deno.statSync(`/tmp/.X11-unix/X${n}`);
      continue; // taken
    } catch { /* free */ }
    const child = new Deno.Command("Xvfb", {
      args: [`:${n}`, "-screen", "0", "320x240x24", "-nolisten", "tcp"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 50; i++) {
      try {
        Deno.statSync(`/tmp/.X11-unix/X${n}`);
        return {
          display: `:${n}`,
          stop: () => {
            try {
              child.kill("SIGTERM");
            } catch { /* gone */ }
          },
        };
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    child.kill("SIGKILL");
    await child.status;
  }
  return undefined;
}

Deno.test({
  name: "browse in tmux: navigate, filter, details, sync, copy, quit, Ctrl-C",
  ignore: !which("tmux"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const store = await makeStore({
    git: true,
    entries: {
      "api/deepseek/main": `${CANARY}\n`,
      "work/moonshot": keyLike("moonshot", "CANARY-browse-kimi-77"),
      "misc/wifi": "not-a-key",
    },
  });
  const server = await startServer([{
    path: "/user/balance",
    body: providerFixture("deepseek", "balance.json"),
  }]);
  const x = await startXvfb();
  const tmux = new Tmux();
  const exitFile = `${store.dir}/exit-code`;
  // This test syncs by hand: autosync is off for good in the user config.
  await autosyncOff(store.env);
  try {
    const env: Record<string, string> = {
      ...store.env,
      DENO_DIR: await denoDir(),
      DENO_NO_UPDATE_CHECK: "1",
      TERM: "xterm-256color",
      KEYZ_RETRY_BASE_MS: "0",
      KEYZ_BASE_URL_DEEPSEEK: server.url,
      PASSWORD_STORE_CLIP_TIME: "2",
      ...(x ? { DISPLAY: x.display } : {}),
    };
    // tmux's server environment is not ours: the CLI's env goes on its command line.
    const command = (name: string) =>
      `cd ${sh(ROOT)} && env -i ${Object.entries(env).map(([k, v]) => `${k}=${sh(v)}`).join(" ")} ${
        sh(Deno.execPath())
      } ${keyzArgv(["browse"]).map(sh).join(" ")}; echo $? > ${
        sh(`${exitFile}.${name}`)
      }; sleep 60`;
    const started = await tmux.cmd(
      "new-session",
      "-d",
      "-s",
      "a",
      "-x",
      "80",
      "-y",
      "24",
      command("a"),
    );
    assertEquals(started.code, 0, started.stderr);

    // First screen: the tree from the file tree and sidecars (nothing synced yet).
    let screen = await tmux.waitFor("a", /q quit/, 20_000);
    assertMatch(screen, /keyz browse/);
    assertMatch(screen, /main\s+deepseek\s+- · never/);
    // An ordinary password is not in the browser; the header counts keys.
    assert(!screen.includes("wifi"), screen);
    screen = await tmux.waitFor("a", /2 keys · sort: name · autosync off \(user config\)/);

    // Filter, then move to the key: the details pane shows it.
    await tmux.keys("a", "/", "d", "e", "e", "p");
    await tmux.waitFor("a", /\/deep▏ {2}1 match/);
    await tmux.keys("a", "Enter", "G");
    screen = await tmux.waitFor("a", /provider\s+deepseek \(from path\)/);
    assertMatch(screen, /›\s+main/);

    // Sync in the background: the badge changes when the result arrives.
    await tmux.keys("a", "s");
    screen = await tmux.waitFor("a", /main\s+deepseek\s+110\.00 CNY ✓ live/);
    await tmux.waitFor("a", /synced 1 key: 1 ok/);
    assertEquals(server.hits.length, 1);

    // Copy: through pass to the X clipboard, cleared after PASSWORD_STORE_CLIP_TIME=2.
    if (x) {
      await tmux.keys("a", "c");
      screen = await tmux.waitFor(
        "a",
        /copied api\/deepseek\/main to the clipboard \(pass, xclip\)/,
      );
      const clip = () =>
        run("xclip", ["-o", "-selection", "clipboard"], {
          DISPLAY: x.display,
          PATH: "/usr/bin:/bin",
        });
      assertEquals((await clip()).stdout, CANARY);
      const end = Date.now() + 8000;
      while ((await clip()).stdout === CANARY && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 200));
      }
      assert((await clip()).stdout !== CANARY, "pass cleared the clipboard");
    }

    // Clear the filter, quit: the alternate screen is left and the cursor shown again.
    await tmux.keys("a", "Escape");
    await tmux.waitFor("a", /work/);

    // Resize: the frame is redrawn for the new size (wide: details beside the tree), and back.
    await tmux.cmd("resize-window", "-t", "a", "-x", "130", "-y", "30");
    // Header and footer both at the new width: the whole frame has been drawn.
    screen = await tmux.waitFor("a", /^ keyz browse.{70,}sort: name · autosync.*$[\s\S]*q quit/m);
    assertEquals(screen.split("\n").filter((l) => l.trim()).length > 24, true);
    await tmux.cmd("resize-window", "-t", "a", "-x", "80", "-y", "24");
    screen = await tmux.waitFor("a", /^ keyz browse.{1,50}sort: name · autosync off.*$/m);
    await tmux.keys("a", "q");
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(`${exitFile}.a`).catch(() => undefined)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals((await Deno.readTextFile(`${exitFile}.a`)).trim(), "0");
    const modes = await tmux.cmd(
      "display-message",
      "-p",
      "-t",
      "a",
      "#{alternate_on} #{cursor_flag}",
    );
    assertEquals(modes.stdout.trim(), "0 1");
    assertEquals((await tmux.capture("a")).includes("keyz browse"), false);
    const prefs = JSON.parse(
      await Deno.readTextFile(`${store.env.XDG_CONFIG_HOME}/keyz/browse.json`),
    );
    assert(prefs.stores[store.storeDir].expanded.includes("api"));

    // Ctrl-C: exit code 130, terminal restored.
    await tmux.cmd("new-session", "-d", "-s", "b", "-x", "80", "-y", "24", command("b"));
    await tmux.waitFor("b", /q quit/, 20_000);
    await tmux.keys("b", "C-c");
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(`${exitFile}.b`).catch(() => undefined)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals((await Deno.readTextFile(`${exitFile}.b`)).trim(), "130");
    const modesB = await tmux.cmd(
      "display-message",
      "-p",
      "-t",
      "b",
      "#{alternate_on} #{cursor_flag}",
    );
    assertEquals(modesB.stdout.trim(), "0 1");

    // The key was never on screen.
    for (const s of tmux.screens) assert(!s.includes(CANARY), "key shown on screen");
  } finally {
    await tmux.kill();
    x?.stop();
    await server.close();
    await store.cleanup();
  }
});

Deno.test({
  name: "browse in tmux: an arrow split across reads moves, Esc never quits, bracketed paste",
  ignore: !which("tmux"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const store = await makeStore({
    entries: {
      "api/deepseek/main": `sk-${"5".repeat(32)}\n`,
      "work/kimi": `sk-${"7".repeat(48)}\n`,
      "misc/wifi": "not-a-key",
    },
  });
  const tmux = new Tmux();
  const exitFile = `${store.dir}/exit-code`;
  await autosyncOff(store.env); // no provider here to sync with
  try {
    const env: Record<string, string> = {
      ...store.env,
      DENO_DIR: await denoDir(),
      DENO_NO_UPDATE_CHECK: "1",
      TERM: "xterm-256color",
      // A long wait for the rest of a sequence, so the test does not race the machine: the
      // ESC and the "[B" below are 200 ms apart, and must still make one key.
      KEYZ_ESC_DELAY_MS: "1500",
    };
    const command = `cd ${sh(ROOT)} && env -i ${
      Object.entries(env).map(([k, v]) => `${k}=${sh(v)}`).join(" ")
    } ${sh(Deno.execPath())} ${keyzArgv(["browse"]).map(sh).join(" ")}; echo $? > ${
      sh(exitFile)
    }; sleep 60`;
    await tmux.cmd("new-session", "-d", "-s", "k", "-x", "80", "-y", "24", command);
    await tmux.waitFor("k", /q quit/, 20_000);
    await tmux.waitFor("k", /›▾ api\//);

    // Down as ESC, then "[B" 200 ms later: tmux writes them separately (run-shell waits in
    // between), so keyz reads them in two reads. One key: the cursor moves, nothing quits.
    await tmux.cmd(
      "send-keys",
      "-t",
      "k",
      "Escape",
      ";",
      "run-shell",
      "sleep 0.2",
      ";",
      "send-keys",
      "-t",
      "k",
      "-l",
      "[B",
    );
    await tmux.waitFor("k", /›\s+▾ deepseek\//);

    // Esc alone: after the wait it is Escape, which clears (nothing here) and never quits.
    await tmux.keys("k", "Escape");
    await new Promise((r) => setTimeout(r, 2500));
    await tmux.keys("k", "j");
    await tmux.waitFor("k", /›\s+main\s+deepseek/);

    // Bracketed paste: into the filter as one line (the newline does not submit it) ...
    await tmux.keys("k", "/");
    await tmux.waitFor("k", /\/▏ {2}\d+ match/);
    await tmux.cmd("set-buffer", "-b", "kz", "dee\npseek\n");
    await tmux.cmd("paste-buffer", "-p", "-b", "kz", "-t", "k");
    let screen = await tmux.waitFor("k", /\/dee pseek▏ {2}1 match/);
    assertMatch(screen, /type to filter/); // still in the filter
    await tmux.keys("k", "C-u", "k", "i", "m", "i", "Enter");
    await tmux.waitFor("k", /filter: \/kimi/);
    // ... and in the tree it is ignored: a pasted "q" does not quit, "S" does not sync.
    await tmux.cmd("set-buffer", "-b", "kz", "qS");
    await tmux.cmd("paste-buffer", "-p", "-b", "kz", "-t", "k");
    await tmux.keys("k", "Escape");
    screen = await tmux.waitFor("k", /main\s+deepseek/); // the filter is cleared
    assertMatch(screen, /keyz browse/);
    assert(!screen.includes("syncing"), screen);

    // q quits; bracketed paste is off again in the shell.
    await tmux.keys("k", "q");
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(exitFile).catch(() => undefined)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals((await Deno.readTextFile(exitFile)).trim(), "0");
    const modes = await tmux.cmd("display-message", "-p", "-t", "k", "#{alternate_on}");
    assertEquals(modes.stdout.trim(), "0");
    // The shell's terminal echoes a paste: with bracketed paste still on it would show the
    // brackets (^[[200~).
    await tmux.cmd("set-buffer", "-b", "kz", "pasted-after-exit");
    await tmux.cmd("paste-buffer", "-p", "-b", "kz", "-t", "k");
    screen = await tmux.waitFor("k", /pasted-after-exit/);
    assert(!screen.includes("200~"), screen);
  } finally {
    await tmux.kill();
    await store.cleanup();
  }
});

Deno.test("browse refuses to start without a terminal (exit 6)", async () => {
  const { runKeyz } = await import("./support/cli.ts");
  const r = await runKeyz(["browse"], { env: { HOME: "/nonexistent" } });
  assertEquals(r.code, 6);
  assertMatch(r.stderr, /needs a terminal.*use keyz ls or keyz sync in scripts/);
});

Deno.test({
  name: "keyz demo in tmux: opens the browser on the synced sample store, cleans up on quit",
  ignore: !which("tmux"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const tmp = await Deno.makeTempDir({ prefix: "keyz-demo-tmux-" });
  const home = await Deno.makeTempDir({ prefix: "keyz-demo-home-" });
  const exitFile = `${home}.exit`;
  const tmux = new Tmux();
  try {
    const env: Record<string, string> = {
      HOME: home,
      TMPDIR: tmp,
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      LANG: "C.UTF-8",
      TERM: "xterm-256color",
      DENO_DIR: await denoDir(),
      DENO_NO_UPDATE_CHECK: "1",
    };
    const command = `cd ${sh(ROOT)} && env -i ${
      Object.entries(env).map(([k, v]) => `${k}=${sh(v)}`).join(" ")
    } ${sh(Deno.execPath())} ${keyzArgv(["demo"]).map(sh).join(" ")}; echo $? > ${
      sh(exitFile)
    }; sleep 60`;
    await tmux.cmd("new-session", "-d", "-s", "d", "-x", "100", "-y", "30", command);
    const screen = await tmux.waitFor("d", /110\.00 CNY/, 20_000);
    assertMatch(screen, /deepseek/);
    assertMatch(screen, /auth/); // the demo's revoked key
    assert(!screen.includes("wifi"), "an ordinary password is in the browser");
    await tmux.keys("d", "q");
    for (let i = 0; i < 100; i++) {
      if (await Deno.stat(exitFile).catch(() => undefined)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assertEquals((await Deno.readTextFile(exitFile)).trim(), "0");
    assertEquals([...Deno.readDirSync(tmp)].map((e) => e.name), []);
  } finally {
    await tmux.kill();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    await Deno.remove(home, { recursive: true }).catch(() => {});
    await Deno.remove(exitFile).catch(() => {});
  }
});

// ---------------------------------------------------------------------------------------------
// Autosync: the browser syncs what is due by itself. KEYZ_MINUTE_MS shortens every minute of
// the due rule (refresh intervals, the backoff and its hour, the 5-minute check) so that hours
// pass in seconds; the screen and the server's log say what happened.

const DEEPSEEK_BALANCE = providerFixture("deepseek", "balance.json");
const MOONSHOT_BALANCE = providerFixture("moonshot", "balance.json");
const deepseekKey = (n: string) => `sk-${n.repeat(32).slice(0, 32)}`;
const moonshotKey = `sk-${"Mk3".repeat(16)}`;

/** Start `keyz browse` in tmux session `name` with exactly `env`; its exit code goes to a file. */
async function startBrowse(tmux: Tmux, name: string, env: Record<string, string>, dir: string) {
  const full: Record<string, string> = {
    ...env,
    DENO_DIR: await denoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    TERM: "xterm-256color",
  };
  const command = `cd ${sh(ROOT)} && env -i ${
    Object.entries(full).map(([k, v]) => `${k}=${sh(v)}`).join(" ")
  } ${sh(Deno.execPath())} ${keyzArgv(["browse"]).map(sh).join(" ")}; echo $? > ${
    sh(`${dir}/exit-${name}`)
  }; sleep 60`;
  const r = await tmux.cmd("new-session", "-d", "-s", name, "-x", "100", "-y", "24", command);
  assertEquals(r.code, 0, r.stderr);
}

/** Wait until `check` holds (polling), or fail after `timeoutMs`. */
async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "autosync in tmux: due keys fetched with no key pressed, fresh ones not, a stops it",
  ignore: !which("tmux"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const store = await makeStore({
    git: true,
    entries: {
      "api/deepseek/main": `${deepseekKey("1")}\n`,
      "work/deepseek/team": `${deepseekKey("2")}\n`,
      "work/moonshot/main": `${moonshotKey}\n`,
      "misc/wifi": "correct horse battery staple\n",
    },
  });
  const server = await startServer([
    { path: "/user/balance", body: DEEPSEEK_BALANCE },
    { path: "/v1/users/me/balance", body: MOONSHOT_BALANCE },
  ]);
  const tmux = new Tmux();
  const asked = (key: string) =>
    server.hits.filter((h) => h.headers["authorization"] === `Bearer ${key}`).length;
  try {
    const env: Record<string, string> = {
      ...store.env,
      KEYZ_RETRY_BASE_MS: "0",
      KEYZ_BASE_URL_DEEPSEEK: server.url,
      KEYZ_BASE_URL_MOONSHOT: server.url,
      // A minute of 200 ms: DeepSeek's refresh "1m" below is 200 ms, the check every 1 s.
      KEYZ_MINUTE_MS: "200",
    };
    // The Moonshot key was synced just now (fresh for a day); the DeepSeek keys never.
    const { runKeyz } = await import("./support/cli.ts");
    const pre = await runKeyz(["sync", "work/moonshot/main"], { env });
    assertEquals(pre.code, 0, pre.stderr);
    await Deno.writeTextFile(
      `${store.storeDir}/.keyz/config.jsonc`,
      JSON.stringify({ providers: { deepseek: { refresh: "1m" }, moonshot: { refresh: "1d" } } }),
    );
    assertEquals(asked(moonshotKey), 1);

    await startBrowse(tmux, "s", env, store.dir);
    // Fetched with no key pressed: both DeepSeek keys, in one sync and one commit.
    let screen = await tmux.waitFor("s", /main\s+deepseek\s+110\.00 CNY ✓ live/, 30_000);
    await tmux.waitFor("s", /team\s+deepseek\s+110\.00 CNY ✓ live/);
    assertMatch(screen, /autosync on/);
    const log = () => store.gitRun(["log", "--format=%s"]).then((r) => r.stdout.split("\n"));
    await until(
      "one commit for both",
      async () => (await log()).includes("keyz: sync 2 keys (deepseek)"),
    );
    // Due again every 200 ms: synced again while the browser stays open.
    await until("DeepSeek synced three times", () => asked(deepseekKey("1")) >= 3);
    assertEquals(asked(moonshotKey), 1, "the fresh Moonshot key was fetched");

    // a: off for the session. A sync already under way ends; then nothing more is asked.
    await tmux.keys("s", "a");
    await tmux.waitFor("s", /autosync off for this session/);
    screen = await tmux.waitFor("s", /autosync off\s*$/m);
    await tmux.waitFor("s", /^(?![\s\S]*syncing)/);
    const quiet = server.hits.length;
    // 5 s: 25 of DeepSeek's refresh intervals, 5 of autosync's checks.
    await sleep(5000);
    assertEquals(server.hits.length, quiet, "requests after autosync was turned off");
    // a again: on, and due keys are fetched at once.
    await tmux.keys("s", "a");
    await tmux.waitFor("s", /autosync on\s*$/m);
    await until("a sync after turning autosync on", () => server.hits.length > quiet);
    assertEquals(asked(moonshotKey), 1);
    await tmux.keys("s", "q");
    await until("the browser to quit", () => {
      try {
        return Deno.readTextFileSync(`${store.dir}/exit-s`).trim() === "0";
      } catch {
        return false;
      }
    });
  } finally {
    await tmux.kill();
    await server.close();
    await store.cleanup();
  }
});

Deno.test({
  name: "autosync in tmux: offline, each account backs off (doubling), the header says so",
  ignore: !which("tmux"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const store = await makeStore({ entries: { "api/deepseek/main": `${deepseekKey("3")}\n` } });
  // Every request's connection is cut: a network failure (3 requests per try: 2 retries).
  const times: number[] = [];
  const cut = hostile.cutConnection();
  const server = await startServer([{
    path: "/user/balance",
    handler: (req) => {
      times.push(Date.now());
      return cut(req);
    },
  }]);
  const tmux = new Tmux();
  const minute = 200;
  try {
    await Deno.mkdir(`${store.storeDir}/.keyz`, { recursive: true });
    await Deno.writeTextFile(
      `${store.storeDir}/.keyz/config.jsonc`,
      JSON.stringify({ providers: { deepseek: { refresh: "1m" } } }),
    );
    await startBrowse(tmux, "o", {
      ...store.env,
      KEYZ_RETRY_BASE_MS: "0",
      KEYZ_BASE_URL_DEEPSEEK: server.url,
      KEYZ_MINUTE_MS: String(minute),
    }, store.dir);
    await tmux.waitFor("o", /○ 1 provider unreachable since \d\d:\d\d · 1 keys/, 30_000);
    // Watch 20 s of it. Without a backoff it would try every check (1 s): about 20 tries.
    await until("the first try", () => times.length >= 3);
    const start = times[0];
    await sleep(20_000);
    const tries: number[] = [];
    for (let i = 0; i < times.length; i += 3) if (times[i] - start <= 20_000) tries.push(times[i]);
    assert(tries.length >= 3 && tries.length <= 10, `${tries.length} tries in 20 s`);
    // Each wait is at least the backoff after that many failures (less the second that attempt
    // times are rounded to): the refresh interval doubled per failure, capped at 60 minutes.
    const { waitAfterMs } = await import("../src/sync/plan.ts");
    for (let k = 1; k < tries.length; k++) {
      const gap = tries[k] - tries[k - 1];
      const least = waitAfterMs(minute, k, minute) - 1000;
      assert(gap >= least, `try ${k + 1} came ${gap} ms after try ${k}, before its backoff`);
    }
    const state = JSON.parse(await Deno.readTextFile(`${store.storeDir}/.keyz/state/state.json`));
    const record = state.accounts["deepseek/api/deepseek/main"];
    assert(record.failures >= tries.length, JSON.stringify(record));
    assertEquals(record.error.kind, "network");
    // It never gave up on the browser: still running, still unreachable.
    await tmux.waitFor("o", /unreachable since[\s\S]*q quit/);
  } finally {
    await tmux.kill();
    await server.close();
    await store.cleanup();
  }
});

Deno.test({
  name: "autosync in tmux: the store lock held by another keyz: the browser waits and says so",
  ignore: !which("tmux"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const store = await makeStore({
    git: true,
    entries: { "api/deepseek/main": `${deepseekKey("4")}\n` },
  });
  const server = await startServer([{ path: "/user/balance", body: DEEPSEEK_BALANCE }]);
  const tmux = new Tmux();
  // A cron `keyz sync` holding the lock: an exclusive flock on .keyz/lock, as keyz takes it.
  await Deno.mkdir(`${store.storeDir}/.keyz`, { recursive: true });
  const lockFile = `${store.storeDir}/.keyz/lock`;
  const lock = await Deno.open(lockFile, { read: true, write: true, create: true });
  await lock.lock(true);
  await lock.write(new TextEncoder().encode(`4242 ${new Date().toISOString()} sync\n`));
  let held = true;
  try {
    await startBrowse(tmux, "l", {
      ...store.env,
      KEYZ_RETRY_BASE_MS: "0",
      KEYZ_BASE_URL_DEEPSEEK: server.url,
    }, store.dir);
    let screen = await tmux.waitFor(
      "l",
      /⧗ waiting for keyz process 4242 \(sync\) to finish with the store/,
      30_000,
    );
    assertMatch(screen, /main\s+deepseek\s+- (· never|↻ syncing)/);
    assertEquals(server.hits.length, 0);
    // The other keyz finishes (it removes the file, then lets go): the browser syncs.
    await Deno.remove(lockFile);
    await lock.unlock();
    lock.close();
    held = false;
    screen = await tmux.waitFor("l", /main\s+deepseek\s+110\.00 CNY ✓ live/, 30_000);
    assert(!screen.includes("waiting for"), screen);
    assert(!/locked|error/i.test(screen.split("\n").at(-3) ?? ""), screen);
    assertEquals(server.hits.length, 1);
    await until(
      "the sync's commit",
      async () =>
        (await store.gitRun(["log", "--format=%s"])).stdout.includes("keyz: sync 1 key (deepseek)"),
    );
  } finally {
    if (held) lock.close();
    await tmux.kill();
    await server.close();
    await store.cleanup();
  }
});

Deno.test({
  name: "autosync in tmux: autosync false in the store config: nothing synced, a cannot turn it on",
  ignore: !which("tmux"),
  sanitizeResources: false,
  sanitizeOps: false,
}, async () => {
  const store = await makeStore({ entries: { "api/deepseek/main": `${deepseekKey("5")}\n` } });
  const server = await startServer([{ path: "/user/balance", body: DEEPSEEK_BALANCE }]);
  const tmux = new Tmux();
  try {
    await Deno.mkdir(`${store.storeDir}/.keyz`, { recursive: true });
    await Deno.writeTextFile(`${store.storeDir}/.keyz/config.jsonc`, '{"autosync": false}\n');
    await startBrowse(tmux, "c", {
      ...store.env,
      KEYZ_RETRY_BASE_MS: "0",
      KEYZ_BASE_URL_DEEPSEEK: server.url,
      KEYZ_MINUTE_MS: "200",
    }, store.dir);
    await tmux.waitFor("c", /1 keys · sort: name · autosync off \(store config\)/, 30_000);
    await tmux.keys("c", "a");
    await tmux.waitFor("c", /autosync is off for good in the store config/);
    // 3 s: 3 of autosync's checks (a minute of 200 ms); the key was never synced.
    await sleep(3000);
    const screen = await tmux.waitFor("c", /main\s+deepseek\s+- · never/);
    assertMatch(screen, /autosync off \(store config\)/);
    assertEquals(server.hits.length, 0);
  } finally {
    await tmux.kill();
    await server.close();
    await store.cleanup();
  }
});
