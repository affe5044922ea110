// The README is tested: every command shown in README.md and docs/*.md runs here, against a
// throwaway store with keyz installed the way the README says (`deno task install`), in a
// folder of its own. A block that cannot run (installing software, needing a terminal) says so
// with `<!-- not tested: why -->` just before it; a table example, inside its cell.
//
//   - Command blocks: fenced `sh`, `bash`, `zsh`, `fish`, `console`, or untagged ones with lines
//     starting `$ `, `keyz ` or `keyz-run `. Other blocks (json, jsonc, output) are not commands.
//   - Each command line runs on its own in the block's shell; it must exit 0 or 1 (1: something
//     needs attention, which is an answer, not a failure), never a usage error (2: the docs
//     drifted from the program), never an unexpected error.
//   - In `$ command` blocks, the lines after a command are its output, compared exactly (the
//     temporary home shows as /home/me).
//   - The README's command table lists every command, with options the commands really take.
import { assert, assertEquals } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { assertNoSecret, getDenoDir, ROOT } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { shQuote } from "../src/keyenv/quote.ts";
import { buildProgram } from "../src/cli/program.ts";

export interface Block {
  file: string;
  /** 1-based line of the opening fence (or of the table row). */
  line: number;
  lang: string;
  text: string;
  /** The reason given by a `<!-- not tested: reason -->` marker. */
  notTested?: string;
}

const MARKER = /<!--\s*not tested:\s*(.*?)\s*-->/;

/** Fenced code blocks, each with the marker on the last non-blank line before it. */
export function fencedBlocks(file: string, markdown: string): Block[] {
  const lines = markdown.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let j = i + 1;
    while (j < lines.length && lines[j] !== "```") j++;
    let k = i - 1;
    while (k >= 0 && lines[k].trim() === "") k--;
    const marker = k >= 0 ? MARKER.exec(lines[k]) : null;
    out.push({
      file,
      line: i + 1,
      lang: open[1],
      text: lines.slice(i + 1, j).join("\n"),
      ...(marker ? { notTested: marker[1] } : {}),
    });
    i = j;
  }
  return out;
}

const SHELLS: Record<string, string> = {
  sh: "bash",
  bash: "bash",
  shell: "bash",
  console: "bash",
  zsh: "zsh",
  fish: "fish",
};

export function isCommandBlock(b: Block): boolean {
  if (b.lang in SHELLS) return true;
  if (b.lang !== "" && b.lang !== "text") return false;
  return b.text.split("\n").some((l) => /^(\$ |keyz |keyz-run )/.test(l));
}

/** The README command table's example cells (`keyz ...` in the third column). */
export function tableExamples(file: string, markdown: string): Block[] {
  const out: Block[] = [];
  markdown.split("\n").forEach((row, i) => {
    if (!row.startsWith("| `")) return;
    const cells = splitRow(row);
    if (cells.length !== 3) return;
    const code = /^`([^`]*)`/.exec(cells[2]);
    if (!code || !/^(keyz|keyz-run|eval) /.test(code[1])) return;
    const marker = MARKER.exec(cells[2]);
    out.push({
      file,
      line: i + 1,
      lang: "sh",
      text: code[1],
      ...(marker ? { notTested: marker[1] } : {}),
    });
  });
  return out;
}

/** Cells of a Markdown table row (`\|` is a literal bar). */
function splitRow(row: string): string[] {
  return row.replace(/^\|/, "").replace(/\|\s*$/, "").split(/(?<!\\)\|/).map((c) =>
    c.trim().replaceAll("\\|", "|")
  );
}

/** Commands of a plain block: one per line, `\` continues a line, comments and blanks dropped. */
function commandLines(text: string): string[] {
  return text.replace(/\\\n/g, " ").split("\n").filter((l) => l.trim() && !/^\s*#/.test(l));
}

/** `$ command` blocks: each command with the output lines that follow it. */
function promptCommands(text: string): { command: string; output: string }[] {
  const out: { command: string; output: string[] }[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("$ ")) out.push({ command: line.slice(2), output: [] });
    else out.at(-1)?.output.push(line);
  }
  return out.map((c) => ({ command: c.command, output: c.output.join("\n").trimEnd() }));
}

const dec = new TextDecoder();

interface World {
  tmp: string;
  home: string;
  cwd: string;
  env: Record<string, string>;
  secrets: string[];
  cleanup(): Promise<void>;
}

/** A person's machine in miniature: a home, a store with keys and passwords, keyz installed. */
async function world(): Promise<World> {
  const tmp = await Deno.makeTempDir({ prefix: "keyz-docs-" });
  const home = `${tmp}/home/me`;
  const cwd = `${tmp}/work`;
  for (
    const d of [
      home,
      cwd,
      `${home}/.local/share/bash-completion/completions`,
      `${home}/.config/fish/completions`,
      `${tmp}/textfile`,
    ]
  ) await Deno.mkdir(d, { recursive: true });
  const entries: Record<string, string> = {
    "api/deepseek/main": keyLike("deepseek", "CANARY-docs-1"),
    "api/openrouter": keyLike("openrouter", "CANARY-docs-2"),
    "work/openrouter/team": keyLike("openrouter", "CANARY-docs-3"),
    "work/llm": keyLike("openrouter", "CANARY-docs-4"),
    "api/openai/main": keyLike("openai", "CANARY-docs-5"),
    "api/openai/admin": keyLike("openai-admin", "CANARY-docs-6"),
    "cn/kimi": keyLike("moonshot", "CANARY-docs-7"),
    "api/elevenlabs/main": `sk_${"e1".repeat(24)}`,
    "bank/chase": "hunter2 CANARY-docs-9",
    "email/gmail": "correct horse CANARY-docs-10",
    "web/personal/github": "an ordinary password CANARY-docs-11",
  };
  const store = await makeStore({ git: true, entries });
  const server = await startServer([
    {
      path: "/user/balance",
      body: { is_available: true, balance_infos: [{ currency: "CNY", total_balance: "110.00" }] },
    },
    { path: "/api/v1/credits", body: { data: { total_credits: 50, total_usage: 12.5 } } },
    {
      path: "/v1/user/subscription",
      body: JSON.parse(
        await Deno.readTextFile(`${ROOT}/tests/fixtures/manifests/elevenlabs/sample.json`),
      ),
    },
  ]);
  for (const f of ["elevenlabs.jsonc", "sample.json"]) {
    await Deno.copyFile(`${ROOT}/tests/fixtures/manifests/elevenlabs/${f}`, `${cwd}/${f}`);
  }
  // Stands in for "your program" in the keyz-run examples: it needs the key.
  await Deno.writeTextFile(
    `${cwd}/agent.sh`,
    '#!/bin/sh\n[ -n "$OPENROUTER_API_KEY" ] || { echo "agent.sh: no key" >&2; exit 3; }\n',
    { mode: 0o755 },
  );
  const deno = Deno.execPath();
  const env: Record<string, string> = {
    ...store.env,
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    PATH: `${home}/.deno/bin:${deno.slice(0, deno.lastIndexOf("/"))}:/usr/local/bin:/usr/bin:/bin`,
    DENO_DIR: await getDenoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    NO_COLOR: "1",
    KEYZ_RETRY_BASE_MS: "0",
    TEXTFILE_DIR: `${tmp}/textfile`,
    KEYZ_ROOT: ROOT,
  };
  for (const id of ["deepseek", "openrouter", "openai", "moonshot", "elevenlabs"]) {
    env[`KEYZ_BASE_URL_${id.toUpperCase()}`] = server.url;
  }
  // keyz as the README installs it (into the default ~/.deno/bin).
  const install = await shell("bash", "deno task install", env, cwd);
  assertEquals(install.code, 0, install.out);
  return {
    tmp,
    home,
    cwd,
    env,
    secrets: Object.values(entries),
    cleanup: async () => {
      await server.close();
      await store.cleanup();
      await Deno.remove(tmp, { recursive: true });
    },
  };
}

/**
 * `deno task` as typed in the checkout: the docs run in a folder of their own, so `deno task`
 * means this checkout's tasks.
 */
const BASH_PRELUDE =
  'deno() { if [ "$1" = task ]; then shift; command deno task --config "$KEYZ_ROOT/deno.json" "$@"; else command deno "$@"; fi; }\n';

async function shell(
  sh: string,
  command: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; out: string }> {
  const args = sh === "fish"
    ? ["--no-config", "-c", `${command} 2>&1`]
    : sh === "zsh"
    ? ["-f", "-c", `{ ${command}\n} 2>&1`]
    : ["--norc", "--noprofile", "-o", "pipefail", "-c", `${BASH_PRELUDE}{ ${command}\n} 2>&1`];
  const o = await new Deno.Command(sh, {
    args,
    env,
    clearEnv: true,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: o.code, out: dec.decode(o.stdout) + dec.decode(o.stderr) };
}

const DRIFT =
  /unknown command|unknown option|missing required|please report this as a bug|Task not found|command not found/;

async function runBlock(w: World, b: Block): Promise<void> {
  const sh = SHELLS[b.lang] ?? "bash";
  const where = `${b.file}:${b.line}`;
  const check = (command: string, r: { code: number; out: string }) => {
    assert(r.code === 0 || r.code === 1, `${where}: \`${command}\` exited ${r.code}:\n${r.out}`);
    assert(!DRIFT.test(r.out), `${where}: \`${command}\`:\n${r.out}`);
    assertNoSecret({ [`${where} ${command}`]: r.out }, w.secrets);
  };
  if (b.text.split("\n").some((l) => l.startsWith("$ "))) {
    for (const { command, output } of promptCommands(b.text)) {
      const r = await shell(sh, command, w.env, w.cwd);
      check(command, r);
      if (output) {
        assertEquals(
          r.out.replaceAll(w.tmp, "").trimEnd(),
          output,
          `${where}: output of ${command}`,
        );
      }
    }
    return;
  }
  for (const command of commandLines(b.text)) {
    check(command, await shell(sh, command, w.env, w.cwd));
  }
}

Deno.test("README.md and docs/*.md: every command shown runs (or says why not)", async () => {
  const files = [
    "README.md",
    ...[...Deno.readDirSync(`${ROOT}/docs`)]
      .map((e) => `docs/${e.name}`)
      // Generated from --help (tests/output_schema_test.ts keeps it current): no commands to run.
      .filter((f) => f.endsWith(".md") && f !== "docs/commands.md").sort(),
  ];
  const w = await world();
  let ran = 0;
  try {
    for (const file of files) {
      const md = await Deno.readTextFile(`${ROOT}/${file}`);
      const blocks = [
        ...fencedBlocks(file, md).filter(isCommandBlock),
        ...(file === "README.md" ? tableExamples(file, md) : []),
      ];
      for (const b of blocks) {
        if (b.notTested !== undefined) {
          assert(b.notTested.length > 5, `${file}:${b.line}: say why it is not tested`);
          continue;
        }
        await runBlock(w, b);
        ran++;
      }
    }
    assert(ran >= 20, `only ${ran} blocks ran`);
    // What the walkthrough and the examples left behind is what they promise.
    const prom = await Deno.readTextFile(`${w.tmp}/textfile/keyz.prom`);
    assert(prom.includes("# TYPE keyz_balance gauge"), prom);
  } finally {
    await w.cleanup();
  }
});

Deno.test("the README's command table: every command, and only options they take", async () => {
  const md = await Deno.readTextFile(`${ROOT}/README.md`);
  const program = buildProgram(() => {});
  type Cmd = typeof program;
  const find = (cmd: Cmd, name: string) => cmd.commands.find((c) => c.name() === name) as Cmd;
  const listed = new Set<string>();
  for (const row of md.split("\n").filter((r) => r.startsWith("| `"))) {
    const cells = splitRow(row);
    if (cells.length !== 3) continue;
    const spans = [...cells[0].matchAll(/`([^`]*)`/g)].map((m) => m[1]);
    let parent: Cmd | undefined;
    for (const span of spans) {
      const words = span.split(" ");
      if (words[0] === "keyz-run") {
        listed.add("run"); // `keyz run` is the wrapper (bin/keyz-run)
        continue;
      }
      let cmd = find(parent ?? program, words[0]);
      if (!cmd && !parent) continue;
      assert(cmd, `README table: no command ${words[0]} (${row.slice(0, 60)})`);
      if (cmd.commands.length && words[1]) {
        parent = cmd;
        cmd = find(cmd, words[1]);
        assert(cmd, `README table: no command ${span}`);
      }
      const path = parent && cmd !== parent ? `${parent.name()} ${cmd.name()}` : cmd.name();
      listed.add(path);
      const options = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter(Boolean));
      for (const opt of span.match(/--?[a-z][a-z-]*/g) ?? []) {
        if (opt === "--") continue;
        assert(options.has(opt), `README table: keyz ${path} has no option ${opt}`);
      }
    }
  }
  const all: string[] = [];
  for (const c of program.commands) {
    if (c.name().startsWith("__") || c.name() === "help") continue;
    if (c.commands.length) { for (const s of c.commands) all.push(`${c.name()} ${s.name()}`); }
    else all.push(c.name());
  }
  for (const c of all) assert(listed.has(c), `README table: keyz ${c} is missing`);
});

Deno.test("the docs extractor: blocks, markers, prompts, table cells", () => {
  const md = [
    "<!-- not tested: needs a terminal -->",
    "```sh",
    "keyz browse",
    "```",
    "",
    "```jsonc",
    "{}",
    "```",
    "```",
    "$ keyz map a b",
    "a -> b",
    "```",
    "| `x` | y | `keyz ls` <!-- not tested: demo --> |",
  ].join("\n");
  const blocks = fencedBlocks("t.md", md);
  assertEquals(blocks.map((b) => [b.line, b.lang, b.notTested]), [
    [2, "sh", "needs a terminal"],
    [6, "jsonc", undefined],
    [9, "", undefined],
  ]);
  assertEquals(blocks.map(isCommandBlock), [true, false, true]);
  assertEquals(promptCommands(blocks[2].text), [{ command: "keyz map a b", output: "a -> b" }]);
  assertEquals(tableExamples("t.md", md).map((b) => [b.text, b.notTested]), [["keyz ls", "demo"]]);
  assertEquals(commandLines("a \\\n  b\n# c\n\nd"), ["a    b", "d"]);
  assertEquals(shQuote("x"), "'x'");
});
