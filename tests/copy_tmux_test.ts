// Copy in the browser says what really happened. In tmux without a display, keyz sends the key
// to the terminal with OSC 52, and tmux (default set-clipboard external) drops it: the message
// says so and names why xclip was not used. With set-clipboard on, tmux takes it: its buffer
// holds the key, which proves the sequence was sent.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { keyzArgv } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { clipMethod, osc52Message } from "../src/ui/clipboard.ts";

const KEY = keyLike("deepseek", "CANARY-copy-1");
const dec = new TextDecoder();
const sh = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

async function run(cmd: string, args: string[]) {
  const o = await new Deno.Command(cmd, { args, stdin: "null", stdout: "piped", stderr: "piped" })
    .output();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}

async function hasTmux(): Promise<boolean> {
  try {
    return (await run("tmux", ["-V"])).code === 0;
  } catch {
    return false;
  }
}

Deno.test("clipMethod: pass's tools when they have a display, else OSC 52 saying why", async () => {
  const dir = await Deno.makeTempDir({ prefix: "keyz-clip-" });
  try {
    const tool = async (name: string) => {
      await Deno.writeTextFile(`${dir}/${name}`, "#!/bin/sh\n");
      await Deno.chmod(`${dir}/${name}`, 0o755);
    };
    assertEquals(clipMethod({ PATH: dir }), {
      kind: "osc52",
      why: "neither xclip nor wl-copy is installed",
      tmux: false,
    });
    await tool("xclip");
    assertEquals(clipMethod({ PATH: dir, DISPLAY: ":0" }), { kind: "pass", tool: "xclip" });
    const noDisplay = clipMethod({ PATH: dir, TMUX: "/tmp/tmux-0/default,1,0" });
    assertEquals(noDisplay, {
      kind: "osc52",
      why: "xclip needs a display (DISPLAY is not set)",
      tmux: true,
    });
    if (noDisplay.kind === "osc52") {
      assertEquals(
        osc52Message("api/x", noDisplay, 45),
        "sent api/x to the terminal (OSC 52); tmux passes it on only with set-clipboard on " +
          "(xclip needs a display (DISPLAY is not set)); cleared in 45s or on quit",
      );
    }
    await Deno.remove(`${dir}/xclip`);
    await tool("wl-copy");
    assertEquals(clipMethod({ PATH: dir, WAYLAND_DISPLAY: "wayland-0" }), {
      kind: "pass",
      tool: "wl-copy",
    });
    assertMatch(
      (clipMethod({ PATH: dir }) as { why: string }).why,
      /wl-copy needs a display \(WAYLAND_DISPLAY is not set\)/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "browser copy inside tmux: says tmux drops OSC 52 by default; with set-clipboard on it arrives",
  ignore: !(await hasTmux()),
}, async () => {
  const store = await makeStore({ entries: { "api/deepseek/main": KEY } });
  const socket = `keyz-copy-${Deno.pid}`;
  const tmux = (...args: string[]) => run("tmux", ["-L", socket, "-f", "/dev/null", ...args]);
  const screen = async () => (await tmux("capture-pane", "-p", "-t", "c")).stdout;
  const waitFor = async (re: RegExp) => {
    const end = Date.now() + 20_000;
    let last = "";
    while (Date.now() < end) {
      last = await screen();
      if (re.test(last)) return last;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${re}:\n${last}`);
  };
  try {
    const info = await run(Deno.execPath(), ["info", "--json"]);
    const denoDir = Deno.env.get("DENO_DIR") ?? JSON.parse(info.stdout).denoDir;
    // No DISPLAY: xclip (installed here) cannot be used. PATH keeps it findable.
    const env = {
      ...store.env,
      DENO_DIR: denoDir,
      DENO_NO_UPDATE_CHECK: "1",
      TERM: "xterm-256color",
      PASSWORD_STORE_CLIP_TIME: "30",
    };
    const exports = Object.entries(env).map(([k, v]) => `${k}=${sh(v)}`).join(" ");
    const argv = [Deno.execPath(), ...keyzArgv(["browse"])].map(sh).join(" ");
    const started = await tmux(
      "new-session",
      "-d",
      "-s",
      "c",
      "-x",
      "200",
      "-y",
      "30",
      `env -i ${exports} TMUX="$TMUX" ${argv}; sleep 30`,
    );
    assertEquals(started.code, 0, started.stderr);
    await waitFor(/q quit/);
    // Select the key (the tree opens with it visible) and copy.
    await tmux("send-keys", "-t", "c", "G");
    await new Promise((r) => setTimeout(r, 300));
    await tmux("send-keys", "-t", "c", "c");
    const said = await waitFor(/sent api\/deepseek\/main to the terminal \(OSC 52\)/);
    assertMatch(said, /tmux passes it on only with set-clipboard on/);
    assert(!said.includes("copied"), said);
    const none = await tmux("show-buffer");
    assert(none.code !== 0 || !none.stdout.includes(KEY), "default tmux dropped it");
    // With set-clipboard on, tmux takes the OSC 52 into a buffer: keyz did send it.
    await tmux("set-option", "-g", "set-clipboard", "on");
    await tmux("send-keys", "-t", "c", "c");
    const end = Date.now() + 10_000;
    let buffer = "";
    while (Date.now() < end && buffer !== KEY) {
      buffer = (await tmux("show-buffer")).stdout;
      await new Promise((r) => setTimeout(r, 100));
    }
    assertEquals(buffer, KEY);
    await tmux("send-keys", "-t", "c", "q");
    const cleanScreen = await screen();
    assert(!cleanScreen.includes(KEY), "the key is never drawn");
  } finally {
    await tmux("kill-server");
    await store.cleanup();
  }
});
