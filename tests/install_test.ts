// `deno task install` puts a real `keyz` and `keyz-run` into Deno's global bin folder; they run
// from any folder with paths relative to it. `keyz init` gives bash, zsh and fish `keyz run`
// (through keyz-run) and the completions; without it `keyz run` points to keyz-run in one line.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { assertNoSecret, ROOT, runKeyz, V8_FLAGS } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { shQuote } from "../src/keyenv/quote.ts";
import { binDir, launcher, MARKER, V8_FLAGS as INSTALL_V8_FLAGS } from "../scripts/install.ts";

const KEY = keyLike("deepseek", "CANARY-install-1");
const dec = new TextDecoder();

interface Out {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  cmd: string,
  args: string[],
  opts: { env: Record<string, string>; cwd?: string; stdin?: string },
): Promise<Out> {
  const child = new Deno.Command(cmd, {
    args,
    env: opts.env,
    clearEnv: true,
    cwd: opts.cwd,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.stdin));
    await w.close();
  }
  const o = await child.output();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}

let denoDir: string | undefined;
async function getDenoDir(): Promise<string> {
  if (denoDir) return denoDir;
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return denoDir = fromEnv;
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  return denoDir = JSON.parse(dec.decode(info.stdout)).denoDir as string;
}

interface Installed {
  root: string;
  bin: string;
  store: TestStore;
  /** A folder outside the checkout, holding the manifest walkthrough's files. */
  cwd: string;
  /** The user's environment with the bin folder on PATH. */
  env: Record<string, string>;
}

let shared: Promise<Installed> | undefined;
function installed(): Promise<Installed> {
  shared ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "keyz-root-" });
    const store = await makeStore({ entries: { "api/deepseek/main": KEY } });
    const cwd = await Deno.makeTempDir({ prefix: "keyz-cwd-" });
    const fixtures = `${ROOT}/tests/fixtures/manifests/elevenlabs`;
    await Deno.copyFile(`${fixtures}/elevenlabs.jsonc`, `${cwd}/elevenlabs.jsonc`);
    await Deno.copyFile(`${fixtures}/sample.json`, `${cwd}/sample.json`);
    const base: Record<string, string> = {
      ...store.env,
      DENO_DIR: await getDenoDir(),
      DENO_NO_UPDATE_CHECK: "1",
      NO_COLOR: "1",
    };
    const r = await run(
      Deno.execPath(),
      ["task", "-q", "--config", `${ROOT}/deno.json`, "install"],
      {
        env: { ...base, DENO_INSTALL_ROOT: root },
        cwd,
      },
    );
    assertEquals(r.code, 0, r.stderr);
    const bin = `${root}/bin`;
    return { root, bin, store, cwd, env: { ...base, PATH: `${bin}:${base.PATH}` } };
  })();
  return shared;
}

Deno.test("deno task install: keyz and keyz-run in $DENO_INSTALL_ROOT/bin, the release flags", async () => {
  const { bin } = await installed();
  for (const name of ["keyz", "keyz-run"]) {
    const st = await Deno.stat(`${bin}/${name}`);
    assert(st.isFile && (st.mode! & 0o111) === 0o111, `${name} is executable`);
    assert((await Deno.readTextFile(`${bin}/${name}`)).includes(MARKER));
  }
  const shim = await Deno.readTextFile(`${bin}/keyz`);
  assert(shim.includes("'-P=keyz'"), shim);
  assert(shim.includes(`'${V8_FLAGS}'`), "the V8 flags of the keyz and compile tasks");
  assertEquals(INSTALL_V8_FLAGS, V8_FLAGS);
  const tasks = await Deno.readTextFile(`${ROOT}/deno.json`);
  assert(tasks.includes(`-P=keyz ${V8_FLAGS} main.ts`));
  assertEquals(binDir({ DENO_INSTALL_ROOT: "/opt/deno/" }), "/opt/deno/bin");
  assertEquals(binDir({ HOME: "/home/me" }), "/home/me/.deno/bin");
  assert(launcher("/usr/bin/deno", "/src/keyz").startsWith("#!/bin/sh\n"));
});

Deno.test("installed keyz runs from another folder: relative paths are the caller's", async () => {
  const { env, cwd } = await installed();
  const check = await run("keyz", ["providers", "check", "elevenlabs.jsonc"], { env, cwd });
  assertEquals(check.code, 0, check.stderr);
  assertEquals(check.stdout, "elevenlabs.jsonc: ok (elevenlabs, quota, api.elevenlabs.io)\n");
  const replay = await run(
    "keyz",
    ["providers", "check", "elevenlabs.jsonc", "--response", "sample.json"],
    { env, cwd },
  );
  assertEquals(replay.code, 0, replay.stderr);
  assertEquals(JSON.parse(replay.stdout).plan, "creator");
  const ls = await run("keyz", ["ls"], { env, cwd });
  assertEquals(ls.code, 0, ls.stderr);
  assertMatch(ls.stdout, /api\/deepseek\/main\s+deepseek/);
});

Deno.test("installed keyz-run finds keyz beside it (on PATH or not); KEYZ_BIN still wins", async () => {
  const { env, cwd, bin } = await installed();
  await Deno.writeTextFile(`${cwd}/expected`, KEY);
  const probe = ["sh", "-c", 'test "$DEEPSEEK_API_KEY" = "$(cat ./expected)" && exit 7; exit 9'];
  const onPath = await run("keyz-run", ["api/deepseek/main", "--", ...probe], { env, cwd });
  assertEquals(onPath.code, 7, onPath.stderr);
  assertNoSecret({ stdout: onPath.stdout, stderr: onPath.stderr }, [KEY]);
  // Not on PATH at all: called by its path, it still finds the keyz installed beside it.
  const bare = { ...env, PATH: "/usr/local/bin:/usr/bin:/bin" };
  const byPath = await run(`${bin}/keyz-run`, ["api/deepseek/main", "--", ...probe], {
    env: bare,
    cwd,
  });
  assertEquals(byPath.code, 7, byPath.stderr);
  const fake = `${cwd}/fake-keyz`;
  await Deno.writeTextFile(fake, "#!/bin/sh\necho 'export FROM_FAKE=yes'\n");
  await Deno.chmod(fake, 0o755);
  const over = await run(
    "keyz-run",
    ["x", "--", "sh", "-c", 'test "$FROM_FAKE" = yes && exit 5'],
    { env: { ...env, KEYZ_BIN: fake }, cwd },
  );
  assertEquals(over.code, 5, over.stderr);
});

Deno.test("deno task uninstall removes both; a file keyz did not write is left alone", async () => {
  const root = await Deno.makeTempDir({ prefix: "keyz-root-" });
  try {
    const env = {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: root,
      DENO_DIR: await getDenoDir(),
      DENO_NO_UPDATE_CHECK: "1",
      DENO_INSTALL_ROOT: root,
    };
    const task = (name: string) =>
      run(Deno.execPath(), ["task", "-q", "--config", `${ROOT}/deno.json`, name], { env });
    await Deno.mkdir(`${root}/bin`);
    await Deno.writeTextFile(`${root}/bin/keyz`, "#!/bin/sh\necho mine\n");
    const refused = await task("install");
    assertEquals(refused.code, 1);
    assertMatch(refused.stderr, /exists and was not installed by keyz/);
    await Deno.remove(`${root}/bin/keyz`);
    assertEquals((await task("install")).code, 0);
    assertEquals((await task("install")).code, 0, "installing again replaces our own files");
    const gone = await task("uninstall");
    assertEquals(gone.code, 0, gone.stderr);
    assertEquals([...Deno.readDirSync(`${root}/bin`)], []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

async function installedShell(shell: string): Promise<boolean> {
  return (await run("sh", ["-c", `command -v ${shell}`], {
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
  })).code === 0;
}

/** Per shell: load the integration, then `keyz run` and a plain keyz command, then a TAB. */
const SHELLS: Record<string, { args: (program: string) => string[]; program: string }> = {
  bash: {
    args: (p) => ["--norc", "--noprofile", "-c", p],
    program: `eval "$(keyz init bash)"
keyz run api/deepseek/main -- sh -c 'test "$DEEPSEEK_API_KEY" = "$(cat ./expected)"' && echo run-ok
keyz --version
COMP_WORDS=(keyz-run api/deep); COMP_CWORD=1; _keyz_run; printf 'comp:%s\\n' "\${COMPREPLY[@]}"
COMP_WORDS=(keyz env api/deep); COMP_CWORD=2; _keyz; printf 'env:%s\\n' "\${COMPREPLY[@]}"`,
  },
  zsh: {
    args: (p) => ["-f", "-c", p],
    program: `autoload -Uz compinit && compinit -u -D
eval "$(keyz init zsh)"
keyz run api/deepseek/main -- sh -c 'test "$DEEPSEEK_API_KEY" = "$(cat ./expected)"' && echo run-ok
keyz --version
compadd() { print -r -- "comp:\${@[-1]}" }
words=(keyz-run api/deep); CURRENT=2; _keyz
compadd() { print -r -- "env:\${@[-1]}" }
words=(keyz env api/deep); CURRENT=3; _keyz`,
  },
  fish: {
    args: (p) => ["--no-config", "-c", p],
    program: `keyz init fish | source
keyz run api/deepseek/main -- sh -c 'test "$DEEPSEEK_API_KEY" = "$(cat ./expected)"' && echo run-ok
keyz --version
for c in (complete -C 'keyz-run api/deep'); echo comp:(string split -f1 \\t -- $c); end
for c in (complete -C 'keyz env api/deep'); echo env:(string split -f1 \\t -- $c); end`,
  },
};

for (const [shell, how] of Object.entries(SHELLS)) {
  Deno.test({
    name: `keyz init ${shell}: keyz run goes through keyz-run, completions load (a real ${shell})`,
    ignore: !(await installedShell(shell)),
  }, async () => {
    const { env, cwd } = await installed();
    await Deno.writeTextFile(`${cwd}/expected`, KEY);
    const r = await run(shell, how.args(how.program), { env, cwd });
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n").filter(Boolean);
    assert(lines.includes("run-ok"), r.stdout + r.stderr);
    assert(lines.includes("0.1.0"), "other commands go to keyz itself");
    const comp = lines.filter((l) => l.startsWith("comp:")).map((l) => l.slice(5)).sort();
    assertEquals(comp, ["api/deepseek/", "api/deepseek/main"]);
    const envComp = lines.filter((l) => l.startsWith("env:")).map((l) => l.slice(4)).sort();
    assertEquals(envComp, ["api/deepseek/", "api/deepseek/main"]);
    assertNoSecret({ stdout: r.stdout, stderr: r.stderr }, [KEY]);
  });
}

Deno.test("keyz run without the integration: one line pointing to keyz-run and keyz init", async () => {
  const { store } = await installed();
  const r = await runKeyz(["run", "api/deepseek/main", "--", "echo", "hi"], { env: store.env });
  assertEquals(r.code, 2);
  assertEquals(r.stdout, "");
  assertEquals(r.stderr.split("\n").filter(Boolean).length, 1, r.stderr);
  assertMatch(r.stderr, /^keyz: cannot start programs itself .*keyz-run .*keyz init/);
  for (const shell of ["bash", "zsh", "fish"]) {
    const init = await runKeyz(["init", shell], { env: {} });
    assertEquals(init.code, 0, init.stderr);
    assert(init.stdout.includes("keyz-run"), shell);
  }
  assertEquals((await runKeyz(["init", "tcsh"], { env: {} })).code, 2);
  assertEquals(shQuote("a"), "'a'");
});

Deno.test("install: cleanup", async () => {
  if (!shared) return;
  const s = await shared;
  await s.store.cleanup();
  await Deno.remove(s.root, { recursive: true });
  await Deno.remove(s.cwd, { recursive: true });
});
