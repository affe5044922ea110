// A real bash, with the script from `keyz completions bash`, completes commands, options,
// provider ids and pass paths from a real store (each TAB runs keyz).
import { assert, assertEquals } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { keyzArgv, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { shQuote } from "../src/keyenv/quote.ts";
import { withFolders } from "../src/cli/completions.ts";

Deno.test("bash completes keyz sy<TAB>, options, provider ids and pass paths", async () => {
  const store = await makeStore({
    entries: {
      "api/deepseek/main": "sk-CANARY-comp-1",
      "api/openrouter/team": keyLike("openrouter", "CANARY-comp-2"),
    },
  });
  const bin = await Deno.makeTempDir({ prefix: "keyz-bin-" });
  try {
    const script = await runKeyz(["completions", "bash"], { env: store.env });
    assertEquals(script.code, 0, script.stderr);
    await Deno.writeTextFile(`${bin}/keyz.bash`, script.stdout);
    await keyzOnPath(bin);
    // Each case: the words on the line (last one being completed) -> COMPREPLY, one per line.
    const cases: [string, string[]][] = [
      ["keyz sy", ["sync"]],
      ["keyz ch", ["check"]],
      ["keyz check --min", ["--min-balance"]],
      ["keyz check --format ", ["text", "json", "prometheus"]],
      ["keyz show api/deep", ["api/deepseek/", "api/deepseek/main"]],
      ["keyz show api/deepseek/m", ["api/deepseek/main"]],
      ["keyz map api/deepseek/main deeps", ["deepseek"]],
      ["keyz sync --provider openr", ["openrouter"]],
      ["keyz providers l", ["list"]],
      ["keyz completions ", ["bash", "zsh", "fish"]],
    ];
    const body = cases.map(([line], i) =>
      `COMP_WORDS=(${
        line.split(" ").map(shQuote).join(" ")
      }); COMP_CWORD=$((\${#COMP_WORDS[@]}-1)); ` +
      `_keyz; echo "#${i}"; printf '%s\\n' "\${COMPREPLY[@]}"`
    ).join("\n");
    const denoDir = await denoDirOf();
    const out = await new Deno.Command("bash", {
      args: ["--norc", "-c", `source ${shQuote(`${bin}/keyz.bash`)}\n${body}`],
      env: {
        ...store.env,
        PATH: `${bin}:${store.env.PATH}`,
        DENO_DIR: denoDir,
        DENO_NO_UPDATE_CHECK: "1",
      },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    const got = text.split(/^#\d+\n/m).slice(1).map((s) => s.split("\n").filter(Boolean));
    cases.forEach(([line, want], i) => assertEquals(got[i], want, line));
    assert(!text.includes("CANARY"));
  } finally {
    await Deno.remove(bin, { recursive: true });
    await store.cleanup();
  }
});

Deno.test("completion scripts exist for zsh and fish; folders are offered once", async () => {
  for (const shell of ["zsh", "fish"]) {
    const r = await runKeyz(["completions", shell], { env: {} });
    assertEquals(r.code, 0, r.stderr);
    assert(r.stdout.includes("keyz __complete --"), shell);
  }
  assertEquals((await runKeyz(["completions", "tcsh"], { env: {} })).code, 2);
  assertEquals(withFolders(["a/b/c", "a/d"]), ["a/", "a/b/", "a/b/c", "a/d"]);
});

/** A `keyz` command on PATH that runs this checkout under the release permission set. */
async function keyzOnPath(bin: string): Promise<void> {
  const argv = keyzArgv([]).map(shQuote).join(" ");
  await Deno.writeTextFile(
    `${bin}/keyz`,
    `#!/bin/sh\nexec ${shQuote(Deno.execPath())} ${argv} "$@"\n`,
  );
  await Deno.chmod(`${bin}/keyz`, 0o755);
}

async function denoDirOf(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const info = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
  })
    .output();
  return JSON.parse(new TextDecoder().decode(info.stdout)).denoDir;
}

async function installed(cmd: string): Promise<boolean> {
  try {
    return (await new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

for (const shell of ["fish", "zsh"] as const) {
  Deno.test({
    name: `a real ${shell} completes commands, option values and pass paths`,
    ignore: !(await installed(shell)),
  }, async () => {
    const store = await makeStore({
      entries: { "work/kimi": "sk-CANARY-comp-3", "work/xai": "x" },
    });
    const bin = await Deno.makeTempDir({ prefix: "keyz-bin-" });
    try {
      await keyzOnPath(bin);
      const script = await runKeyz(["completions", shell], { env: store.env });
      assertEquals(script.code, 0, script.stderr);
      const file = `${bin}/keyz.${shell}`;
      await Deno.writeTextFile(file, script.stdout);
      // fish asks its own completion machinery; zsh runs the function with compadd stubbed.
      const program = shell === "fish"
        ? `source ${file}; complete -C 'keyz sy'; echo '#'; complete -C 'keyz show work/'; ` +
          `echo '#'; complete -C 'keyz check --format '`
        : `autoload -Uz compinit && compinit -u -D; source ${file}; ` +
          `compadd() { print -r -- "\${@[-1]}" }; ` +
          `words=(keyz sy); CURRENT=2; _keyz; print '#'; ` +
          `words=(keyz show work/); CURRENT=3; _keyz; print '#'; ` +
          `words=(keyz check --format ''); CURRENT=4; _keyz`;
      const out = await new Deno.Command(shell, {
        args: shell === "fish" ? ["--no-config", "-c", program] : ["-f", "-c", program],
        env: {
          ...store.env,
          PATH: `${bin}:${store.env.PATH}`,
          DENO_DIR: await denoDirOf(),
          DENO_NO_UPDATE_CHECK: "1",
        },
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const text = new TextDecoder().decode(out.stdout);
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      const [sync, paths, formats] = text.split("#\n").map((s) =>
        s.split("\n").map((l) => l.split("\t")[0]).filter(Boolean).sort()
      );
      assertEquals(sync, ["sync"]);
      assertEquals(paths, ["work/", "work/kimi", "work/xai"]);
      assertEquals(formats, ["json", "prometheus", "text"]);
    } finally {
      await Deno.remove(bin, { recursive: true });
      await store.cleanup();
    }
  });
}
