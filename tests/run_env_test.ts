// `keyz env` and the `keyz-run` wrapper end to end against a real pass store: the output is
// read back by a real sh (and fish, python-dotenv when installed) to the exact key; the
// wrapper passes exit codes through and never prints a key.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { assertNoSecret, keyzArgv, ROOT, runKeyz } from "./support/cli.ts";
import { EnvOutput } from "../src/cli/output_schemas.ts";
import { dotenvQuote, fishQuote, shQuote } from "../src/keyenv/quote.ts";
import { resolveAssignments } from "../src/keyenv/select.ts";

/** Every character a shell could trip on (no newline: a key is one line). */
const NASTY = `sk-CANARY 'sq' "dq" $HOME \\back \`t\` ;&|*?#!~% $(id) end`;
/** What dotenv can carry losslessly in every parser: no single quote. */
const DOTENV_SAFE = `sk-CANARY-dot "dq" $HOME \\n \\back #x`;
const KEYS = {
  "api/openrouter/main": NASTY,
  "api/deepseek/main": DOTENV_SAFE,
  "api/openai/a": "sk-CANARY-openai-a",
  "api/openai/b": "sk-CANARY-openai-b",
  "misc/custom": "sk-CANARY-custom",
};
const SECRETS = Object.values(KEYS);

let shared: Promise<TestStore> | undefined;
const store = () => shared ??= makeStore({ entries: KEYS });

async function keyz(args: string[]) {
  const s = await store();
  return await runKeyz(args, { env: { ...s.env, NO_COLOR: "1" } });
}

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, {
    args,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function has(cmd: string): Promise<boolean> {
  return (await run("sh", ["-c", `command -v ${cmd}`])).code === 0;
}

async function tempFile(text: string): Promise<string> {
  const f = await Deno.makeTempFile({ prefix: "keyz-env-" });
  await Deno.writeTextFile(f, text);
  return f;
}

/** A strict reader of the dotenv subset keyz writes: NAME='…', NAME=`…`, NAME="…" (no escapes). */
function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(['"`])(.*)\2$/.exec(line);
    assert(m, `not a strict dotenv line: ${line}`);
    assert(!m[3].includes(m[2]), `quote inside value: ${line}`);
    out[m[1]] = m[3];
  }
  return out;
}

Deno.test("env --format sh: a real sh reads back the exact key", async () => {
  const r = await keyz(["env", "api/openrouter/main"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stderr, "");
  const f = await tempFile(r.stdout);
  try {
    const sh = await run("sh", [
      "-c",
      `eval "$(cat "$1")"; printf '%s' "$OPENROUTER_API_KEY"`,
      "sh",
      f,
    ]);
    assertEquals(sh.code, 0, sh.stderr);
    assertEquals(sh.stdout, NASTY);
    if (await has("bash")) {
      const b = await run("bash", [
        "-c",
        `source "$1"; printf '%s' "$OPENROUTER_API_KEY"`,
        "bash",
        f,
      ]);
      assertEquals(b.stdout, NASTY);
    }
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("env --format fish: fish reads back the exact key (when fish is installed)", async () => {
  const r = await keyz(["env", "--format", "fish", "api/openrouter/main"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(r.stdout, `set -gx OPENROUTER_API_KEY ${fishQuote(NASTY)}\n`);
  if (!(await has("fish"))) return;
  const f = await tempFile(r.stdout);
  try {
    const fish = await run("fish", ["-c", `source $argv[1]; printf '%s' "$OPENROUTER_API_KEY"`, f]);
    assertEquals(fish.stdout, NASTY);
  } finally {
    await Deno.remove(f);
  }
});

Deno.test("env --format dotenv and json: parsers read back the exact keys", async () => {
  const r = await keyz(["env", "--format", "dotenv", "api/deepseek/main", "CUSTOM=misc/custom"]);
  assertEquals(r.code, 0, r.stderr);
  assertEquals(parseDotenv(r.stdout), {
    CUSTOM: KEYS["misc/custom"],
    DEEPSEEK_API_KEY: DOTENV_SAFE,
  });
  if ((await run("python3", ["-c", "import dotenv"])).code === 0) {
    const f = await tempFile(r.stdout);
    try {
      const py = await run("python3", [
        "-c",
        "import dotenv,json,sys; print(json.dumps(dotenv.dotenv_values(sys.argv[1])))",
        f,
      ]);
      assertEquals(JSON.parse(py.stdout), {
        DEEPSEEK_API_KEY: DOTENV_SAFE,
        CUSTOM: KEYS["misc/custom"],
      });
    } finally {
      await Deno.remove(f);
    }
  }
  const nasty = await keyz(["env", "--format", "dotenv", "api/openrouter/main"]);
  assertEquals(nasty.code, 2, "', \" and ` together cannot be dotenv");
  assertNoSecret({ stdout: nasty.stdout, stderr: nasty.stderr }, SECRETS);
  const j = await keyz([
    "env",
    "--format",
    "json",
    "api/openrouter",
    "--use",
    "api/openai/b",
    "api/openai",
  ]);
  assertEquals(j.code, 0, j.stderr);
  assertEquals(EnvOutput.parse(JSON.parse(j.stdout)), {
    OPENAI_API_KEY: KEYS["api/openai/b"],
    OPENROUTER_API_KEY: NASTY,
  });
});

Deno.test("env: conflicts and unknown variables are usage errors (exit 2, one line, no key)", async () => {
  for (
    const [args, re] of [
      [
        ["env", "api/openai"],
        /2 keys claim OPENAI_API_KEY: api\/openai\/a, api\/openai\/b \(choose one/,
      ],
      [
        ["env", "misc/custom"],
        /no environment variable known for misc\/custom \(name it: NAME=misc\/custom\)/,
      ],
      [["env", "nope"], /no such entry or folder: nope/],
      [["env", "1BAD=misc/custom"], /bad variable name/],
    ] as const
  ) {
    const r = await keyz([...args]);
    assertEquals(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assertEquals(r.stdout, "");
    assertMatch(r.stderr, re);
    assertEquals(r.stderr.trim().split("\n").length, 1);
    assertNoSecret({ stderr: r.stderr }, SECRETS);
  }
  const named = await keyz([
    "env",
    "--format",
    "json",
    "OPENAI_API_KEY=api/openai/a",
    "api/openai",
  ]);
  assertEquals(JSON.parse(named.stdout), { OPENAI_API_KEY: KEYS["api/openai/a"] });
});

Deno.test("keyz-run: the command gets the key, its exit code passes through, no key printed", async () => {
  const s = await store();
  const info = await run(Deno.execPath(), ["info", "--json"], {
    HOME: Deno.env.get("HOME") ?? "/",
  });
  const denoDir = Deno.env.get("DENO_DIR") ?? JSON.parse(info.stdout).denoDir;
  const bin = await Deno.makeTempDir({ prefix: "keyz-bin-" });
  try {
    const shim = `${bin}/keyz`;
    const argv = keyzArgv([]).map(shQuote).join(" ");
    await Deno.writeTextFile(shim, `#!/bin/sh\nexec ${shQuote(Deno.execPath())} ${argv} "$@"\n`);
    await Deno.chmod(shim, 0o755);
    const env = { ...s.env, DENO_DIR: denoDir, DENO_NO_UPDATE_CHECK: "1", KEYZ_BIN: shim };
    const wrapper = `${ROOT}/bin/keyz-run`;
    const probe =
      `[ "$OPENROUTER_API_KEY" = "$1" ] && [ "$OPENAI_API_KEY" = sk-CANARY-openai-b ] && exit 7; exit 9`;
    const ok = await run("sh", [
      wrapper,
      "api/openrouter/main",
      "--use",
      "api/openai/b",
      "api/openai",
      "--",
      "sh",
      "-c",
      probe,
      "probe",
      NASTY,
    ], env);
    assertEquals(ok.code, 7, ok.stderr);
    // The probe's argv held the canary; keyz's own output must not.
    assertNoSecret({ stdout: ok.stdout, stderr: ok.stderr }, SECRETS);
    const passthrough = await run("sh", [
      wrapper,
      "misc/custom=x",
      "CUSTOM=misc/custom",
      "--",
      "sh",
      "-c",
      "exit 42",
    ], env);
    assertEquals(passthrough.code, 2, "a bad selector stops before the command runs");
    const exit42 = await run("sh", [
      wrapper,
      "CUSTOM=misc/custom",
      "--",
      "sh",
      "-c",
      'test "$CUSTOM" = sk-CANARY-custom && exit 42',
    ], env);
    assertEquals(exit42.code, 42, exit42.stderr);
    const conflict = await run("sh", [wrapper, "api/openai", "--", "sh", "-c", "exit 0"], env);
    assertEquals(conflict.code, 2);
    assertMatch(conflict.stderr, /claim OPENAI_API_KEY/);
    const noCmd = await run("sh", [wrapper, "api/openai/a"], env);
    assertEquals(noCmd.code, 2);
  } finally {
    await Deno.remove(bin, { recursive: true });
  }
});

Deno.test("keyz run: checks the selection, then points to the wrapper (exit 2)", async () => {
  const r = await keyz(["run", "api/openrouter/main", "--", "echo", "hi"]);
  assertEquals(r.code, 2);
  assertMatch(r.stderr, /^keyz: cannot start programs itself .*keyz-run/);
  const bad = await keyz(["run", "api/openai", "--", "echo"]);
  assertMatch(bad.stderr, /claim OPENAI_API_KEY/);
  assertNoSecret({ a: r.stdout + r.stderr, b: bad.stdout + bad.stderr }, SECRETS);
});

Deno.test("env: cleanup", async () => {
  if (shared) await (await shared).cleanup();
});

Deno.test("quoting and selection (pure)", () => {
  assertEquals(shQuote("a'b"), `'a'\\''b'`);
  assertEquals(fishQuote(`a'b\\c`), `'a\\'b\\\\c'`);
  assertEquals(dotenvQuote(`x"y`, "N"), `'x"y'`);
  assertEquals(dotenvQuote(`x'y`, "N"), "`x'y`");
  const r = resolveAssignments([
    { path: "a", defaultName: "K", direct: false },
    { path: "b", defaultName: "K", direct: false },
    { path: "c", direct: false },
  ], ["b"]);
  assertEquals(r.assignments, [{ name: "K", path: "b" }]);
  assertEquals(r.skipped.map((s) => s.path).sort(), ["a", "c"]);
});
