// The release archive, as the workflow packs it after `deno compile` (which cannot run here):
// `deno task package` on a stand-in for the binary (the launcher `deno task install` writes,
// running this checkout under the release permission set), then the archive is checked as a
// user would use it: checksum, layout, keyz and keyz-run from the extracted folder, the man
// page rendered by man(1), the completion scripts parsed by their shells.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { assertNoSecret, getDenoDir, ROOT } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { launcher } from "../scripts/install.ts";
import { layout } from "../scripts/package.ts";

const dec = new TextDecoder();
const EPOCH = "1764547200"; // 2025-12-01

async function run(
  cmd: string,
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string } = {},
) {
  const o = await new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    env: opts.env,
    clearEnv: !!opts.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, stdout: dec.decode(o.stdout), stderr: dec.decode(o.stderr) };
}

async function has(cmd: string): Promise<boolean> {
  return (await run("sh", ["-c", `command -v ${cmd}`])).code === 0;
}

const EXPECTED = [
  "keyz-linux-x64/",
  "keyz-linux-x64/README.md",
  "keyz-linux-x64/bin/",
  "keyz-linux-x64/bin/keyz",
  "keyz-linux-x64/bin/keyz-run",
  "keyz-linux-x64/share/",
  "keyz-linux-x64/share/bash-completion/",
  "keyz-linux-x64/share/bash-completion/completions/",
  "keyz-linux-x64/share/bash-completion/completions/keyz",
  "keyz-linux-x64/share/bash-completion/completions/keyz-run",
  "keyz-linux-x64/share/fish/",
  "keyz-linux-x64/share/fish/vendor_completions.d/",
  "keyz-linux-x64/share/fish/vendor_completions.d/keyz-run.fish",
  "keyz-linux-x64/share/fish/vendor_completions.d/keyz.fish",
  "keyz-linux-x64/share/man/",
  "keyz-linux-x64/share/man/man1/",
  "keyz-linux-x64/share/man/man1/keyz.1",
  "keyz-linux-x64/share/zsh/",
  "keyz-linux-x64/share/zsh/site-functions/",
  "keyz-linux-x64/share/zsh/site-functions/_keyz",
];

Deno.test("deno task package: the archive, its checksum, and a keyz that runs from it", async () => {
  const tmp = await Deno.makeTempDir({ prefix: "keyz-pkg-" });
  const key = keyLike("deepseek", "CANARY-pkg-1");
  const store = await makeStore({ entries: { "api/deepseek/main": key } });
  try {
    // The stand-in for the compiled binary.
    const binary = `${tmp}/keyz-built`;
    await Deno.writeTextFile(binary, launcher(Deno.execPath(), ROOT), { mode: 0o755 });
    const task = async (out: string) =>
      await run(Deno.execPath(), [
        "task",
        "-q",
        "--config",
        `${ROOT}/deno.json`,
        "package",
        "--binary",
        binary,
        "--name",
        "keyz-linux-x64",
        "--out",
        out,
      ], {
        env: {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: Deno.env.get("HOME") ?? "/",
          SOURCE_DATE_EPOCH: EPOCH,
          DENO_NO_UPDATE_CHECK: "1",
          DENO_DIR: await getDenoDir(),
        },
      });
    const packed = await task(`${tmp}/dist`);
    assertEquals(packed.code, 0, packed.stderr);
    assertEquals(
      [...Deno.readDirSync(`${tmp}/dist`)].map((e) => e.name).sort(),
      ["keyz-linux-x64.tar.gz", "keyz-linux-x64.tar.gz.sha256"],
    );
    const sum = await run("sha256sum", ["-c", "keyz-linux-x64.tar.gz.sha256"], {
      cwd: `${tmp}/dist`,
    });
    assertEquals(sum.code, 0, sum.stdout + sum.stderr);
    assertEquals(sum.stdout, "keyz-linux-x64.tar.gz: OK\n");
    // Reproducible: the same sources and epoch give the same bytes.
    assertEquals((await task(`${tmp}/again`)).code, 0);
    assertEquals(
      await Deno.readTextFile(`${tmp}/again/keyz-linux-x64.tar.gz.sha256`),
      await Deno.readTextFile(`${tmp}/dist/keyz-linux-x64.tar.gz.sha256`),
    );

    const list = await run("tar", ["-tzvf", `${tmp}/dist/keyz-linux-x64.tar.gz`]);
    const entries = list.stdout.trim().split("\n").map((l) => l.split(/\s+/));
    assertEquals(entries.map((e) => e.at(-1)).sort(), EXPECTED);
    for (const e of entries) {
      assertEquals(e[1], "0/0", "owned by root in the archive");
      const exec = e.at(-1)!.includes("/bin/");
      if (!e[0].startsWith("d")) assertEquals(e[0], exec ? "-rwxr-xr-x" : "-rw-r--r--", e.at(-1));
    }
    assertEquals(layout(0).length, EXPECTED.filter((p) => !p.endsWith("/")).length);

    // Unpacked, the way a user installs it: keyz and keyz-run work from the folder.
    assertEquals(
      (await run("tar", ["-xzf", `${tmp}/dist/keyz-linux-x64.tar.gz`, "-C", tmp])).code,
      0,
    );
    const top = `${tmp}/keyz-linux-x64`;
    const env = {
      ...store.env,
      PATH: "/usr/local/bin:/usr/bin:/bin",
      DENO_NO_UPDATE_CHECK: "1",
      DENO_DIR: await getDenoDir(),
    };
    const version = await run(`${top}/bin/keyz`, ["--version"], { env, cwd: tmp });
    assertEquals(version.stdout, "0.1.0\n", version.stderr);
    const probe = await run(
      `${top}/bin/keyz-run`,
      ["api/deepseek/main", "--", "sh", "-c", `test "$DEEPSEEK_API_KEY" = '${key}' && exit 3`],
      { env, cwd: tmp },
    );
    assertEquals(probe.code, 3, probe.stderr);
    assertNoSecret({ stdout: probe.stdout, stderr: probe.stderr }, [key]);

    // The man page: roff that man(1) renders, with every command and topic.
    const man = `${top}/share/man/man1/keyz.1`;
    if (await has("groff")) {
      const warn = await run("groff", ["-man", "-Tutf8", "-ww", "-z", man]);
      assertEquals(warn.stderr, "", "no roff warnings");
    }
    if (await has("man")) {
      const page = await run("man", ["-l", man], {
        env: { PATH: "/usr/bin:/bin", MANPAGER: "cat", MANWIDTH: "80", LANG: "C.UTF-8" },
      });
      assertEquals(page.code, 0, page.stderr);
      const text = withoutOverstrike(page.stdout);
      assertMatch(text, /^KEYZ\(1\)/);
      for (const c of ["keyz sync", "keyz edit", "keyz init", "keyz providers check"]) {
        assert(text.includes(c), `${c} in the man page`);
      }
      assertMatch(text, /node_exporter textfile collector/);
      assertMatch(text, /2025-12-01/);
      // Every command's help fits 80 columns; the topics are preformatted text (as in
      // docs/commands.md), kept as written.
      const commands = text.slice(text.indexOf("\nCOMMANDS"), text.indexOf("\nTOPICS"));
      assert(commands.length > 1000, "the COMMANDS section");
      for (const l of commands.split("\n")) assert([...l].length <= 80, `man line too wide: ${l}`);
    }
    // The completion scripts parse in their shells.
    for (
      const [shell, file] of [
        ["bash", "share/bash-completion/completions/keyz"],
        ["zsh", "share/zsh/site-functions/_keyz"],
        ["fish", "share/fish/vendor_completions.d/keyz.fish"],
      ]
    ) {
      if (!(await has(shell))) continue;
      const r = await run(shell, ["-n", `${top}/${file}`]);
      assertEquals(r.code, 0, `${shell}: ${r.stderr}`);
    }
    assertMatch(
      await Deno.readTextFile(`${top}/share/zsh/site-functions/_keyz`),
      /^#compdef keyz keyz-run\n/,
    );
  } finally {
    await store.cleanup();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the release workflow compiles with the tasks' flags and packs with deno task package", async () => {
  const wf = await Deno.readTextFile(`${ROOT}/.github/workflows/release.yml`);
  const cfg = await Deno.readTextFile(`${ROOT}/deno.json`);
  const compileTask = /"compile": "deno compile -q (-P=keyz --v8-flags=\S+) --no-prompt/.exec(cfg);
  assert(compileTask, "the compile task");
  assert(wf.replace(/\s+/g, " ").includes(`${compileTask[1]} --no-prompt -o dist/keyz main.ts`));
  assertMatch(
    wf,
    /deno task package --binary dist\/keyz --name \$\{\{ matrix\.name \}\} --out dist/,
  );
  assertMatch(wf, /dist\/\$\{\{ matrix\.name \}\}\.tar\.gz\.sha256/);
  assertMatch(wf, /sha256sum keyz-\*\.tar\.gz > SHA256SUMS/);
});

/** man's bold and underline are "c\bc" and "_\bc": keep the last character of each. */
function withoutOverstrike(text: string): string {
  let out = "";
  for (const ch of text) {
    if (ch === "\b") out = out.slice(0, -1);
    else out += ch;
  }
  return out;
}
