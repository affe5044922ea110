// `keyz browse` in a real terminal (tmux, 80x24) on a real pass store: navigate, filter,
// details, a background sync against the loopback server, copy to a real X clipboard (Xvfb +
// xclip) that pass clears, quit and Ctrl-C with the terminal restored.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
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
    body: {
      is_available: true,
      balance_infos: [{
        currency: "CNY",
        total_balance: "110.00",
        granted_balance: "10.00",
        topped_up_balance: "100.00",
      }],
    },
  }]);
  const x = await startXvfb();
  const tmux = new Tmux();
  const exitFile = `${store.dir}/exit-code`;
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
    assertMatch(screen, /2 keys/);

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
    screen = await tmux.waitFor("a", /^ keyz browse.{90,}sort: name\s*$[\s\S]*q quit/m);
    assertEquals(screen.split("\n").filter((l) => l.trim()).length > 24, true);
    await tmux.cmd("resize-window", "-t", "a", "-x", "80", "-y", "24");
    screen = await tmux.waitFor("a", /^ keyz browse.{20,70}sort: name\s*$/m);
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
