// The file primitives under .keyz (src/sidecars/files.ts) and the places that name files
// (layout.ts, map.json): no link in any component, names that fit, temp files that fit and are
// cleaned up, typed errors naming the file; and the deny-list of environment names.
import { assert, assertEquals, assertMatch, assertThrows } from "./support/assert.ts";
import {
  appendLine,
  keyzLinks,
  listKeyzFiles,
  quarantine,
  readJsonSync,
  readKeyzText,
  removeEmptyKeyzFolders,
  removeStaleTemps,
  renameKeyzFile,
  writeAtomic,
} from "../src/sidecars/files.ts";
import { paths } from "../src/sidecars/layout.ts";
import { Sidecars } from "../src/sidecars/sidecars.ts";
import { KeySidecar } from "../src/sidecars/schema.ts";
import { asKeyzError, ExitCode, osProblem, StoreFileError } from "../src/errors.ts";
import { refusedEnvName } from "../src/keyenv/names.ts";
import { defaultEnvName, parseSelector } from "../src/keyenv/select.ts";
import { applyEdit } from "../src/ui/state.ts";
import { acquireLock } from "../src/sidecars/lock.ts";

async function tempStore(): Promise<string> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "keyz-files-" }));
  await Deno.mkdir(`${dir}/.keyz`);
  return dir;
}

function isFileError(problem: string, file: RegExp) {
  return (e: unknown) =>
    e instanceof StoreFileError && e.problem === problem && file.test(e.file) &&
    e.exitCode === ExitCode.store;
}

Deno.test("writeAtomic: a name at the 255-byte limit is written; its temp name fits too", async () => {
  const dir = await tempStore();
  try {
    const name = "k".repeat(250); // + ".json" = 255 bytes
    await writeAtomic(dir, `.keyz/keys/${name}.json`, "{}\n");
    assertEquals(await Deno.readTextFile(`${dir}/.keyz/keys/${name}.json`), "{}\n");
    assertEquals([...Deno.readDirSync(`${dir}/.keyz/keys`)].length, 1, "no temp file left");
    // Over the limit: refused before the file system is touched, naming the file.
    let err: unknown;
    await writeAtomic(dir, `.keyz/keys/${name}x.json`, "{}\n").catch((e) => err = e);
    assert(isFileError("name_too_long", /kx\.json$/)(err), String(err));
    assertMatch((err as StoreFileError).format(), /has a name longer than 255 bytes/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stale temp files of a killed keyz are removed (new short names and old long ones)", async () => {
  const dir = await tempStore();
  try {
    await Deno.mkdir(`${dir}/.keyz/accounts/x`, { recursive: true });
    const stale = [
      ".keyz/accounts/x/.0123abcd.tmp",
      ".keyz/accounts/x/a.json.4242.0123abcd.tmp",
    ];
    const keep = [".keyz/accounts/x/a.json", ".keyz/accounts/x/notes.tmp"];
    for (const f of [...stale, ...keep]) await Deno.writeTextFile(`${dir}/${f}`, "x");
    assertEquals(await removeStaleTemps(dir), 2);
    const left = [...Deno.readDirSync(`${dir}/.keyz/accounts/x`)].map((e) => e.name).sort();
    assertEquals(left, ["a.json", "notes.tmp"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("no write, append, read or move goes through a link, even one that stays in .keyz", async () => {
  const dir = await tempStore();
  const outside = `${dir}/outside.txt`;
  try {
    await Deno.writeTextFile(outside, "mine\n");
    await Deno.mkdir(`${dir}/.keyz/keys/real`, { recursive: true });
    // A link that resolves inside .keyz (allowed before) and one that leaves it.
    await Deno.symlink(`${dir}/.keyz/keys/real`, `${dir}/.keyz/keys/alias`);
    await Deno.symlink(outside, `${dir}/.keyz/keys/out.json`);
    await Deno.symlink(outside, `${dir}/.keyz/history.jsonl`);
    const refused = async (what: string, fn: () => Promise<unknown>, file: RegExp) => {
      let err: unknown;
      await fn().catch((e) => err = e);
      assert(isFileError("symlink", file)(err), `${what}: ${err}`);
      assertMatch((err as StoreFileError).message, /is a symbolic link/);
    };
    await refused("write below", () => writeAtomic(dir, ".keyz/keys/alias/x.json", "{}"), /alias$/);
    await refused("write over", () => writeAtomic(dir, ".keyz/keys/out.json", "{}"), /out\.json$/);
    await refused("append", () => appendLine(dir, ".keyz/history.jsonl", "{}"), /history\.jsonl$/);
    await refused("move below", () => quarantine(dir, ".keyz/keys/alias/x.json"), /alias$/);
    // Following `pass mv`: neither end of a rename may be or run through a link; listing for
    // it neither lists nor enters one.
    await Deno.writeTextFile(`${dir}/.keyz/keys/real/a.json`, "{}\n");
    assertThrows(
      () => renameKeyzFile(dir, ".keyz/keys/real/a.json", ".keyz/keys/alias/a.json"),
      isFileError("symlink", /alias$/),
    );
    assertThrows(
      () => renameKeyzFile(dir, ".keyz/keys/out.json", ".keyz/keys/real/b.json"),
      isFileError("symlink", /out\.json$/),
    );
    assertThrows(
      () => renameKeyzFile(dir, ".keyz/keys/real/a.json", ".keyz/keys/out.json"),
      isFileError("symlink", /out\.json$/),
    );
    assertEquals(listKeyzFiles(dir, ".keyz/keys", ".json"), ["real/a.json"]);
    assert(renameKeyzFile(dir, ".keyz/keys/real/a.json", ".keyz/keys/moved/deep/a.json"));
    removeEmptyKeyzFolders(dir, ".keyz/keys/real/a.json", 2);
    assertEquals(listKeyzFiles(dir, ".keyz/keys", ".json"), ["moved/deep/a.json"]);
    assert(!Deno.statSync(`${dir}/.keyz/keys`).isSymlink);
    assertThrows(
      () => Deno.lstatSync(`${dir}/.keyz/keys/real`),
      (e) => e instanceof Deno.errors.NotFound,
    );
    assertThrows(() => readKeyzText(dir, ".keyz/keys/out.json"), isFileError("symlink", /out/));
    assertThrows(() => readKeyzText(dir, ".keyz/keys/alias/x.json"), isFileError("symlink", /s$/));
    // A sidecar that is a link reads as a broken file naming it (never as its target).
    const r = readJsonSync(dir, ".keyz/keys/out.json", KeySidecar);
    assert(!r.ok && !r.missing && /out\.json is a symbolic link/.test(r.error.message));
    assertEquals(await Deno.readTextFile(outside), "mine\n");
    // Moving a linked sidecar aside moves the link itself, beside it.
    const dest = await quarantine(dir, ".keyz/keys/out.json");
    assert(Deno.lstatSync(`${dir}/${dest}`).isSymlink);
    assertEquals(await Deno.readTextFile(outside), "mine\n");
    assertEquals(keyzLinks(dir), [".keyz/history.jsonl", ".keyz/keys/alias"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a moved-aside name fits the file-name limit", async () => {
  const dir = await tempStore();
  try {
    const name = `${"é".repeat(125)}.json`; // 255 bytes
    await writeAtomic(dir, `.keyz/${name}`, "x");
    const dest = await quarantine(dir, `.keyz/${name}`);
    const base = dest.slice(dest.lastIndexOf("/") + 1);
    assert(new TextEncoder().encode(base).length <= 255, base);
    assertMatch(base, /^é+.*\.broken-\d{4}-/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("layout: only valid pass paths and account ids name a file", () => {
  assertEquals(paths.key("api/openai/main"), ".keyz/keys/api/openai/main.json");
  assertEquals(paths.account("openai/@admin/key"), ".keyz/accounts/openai/@admin/key.json");
  for (
    const bad of ["../x", "/etc/passwd", "a/../../x", "a//b", "a/./b", ".git/x", "a/\x1bb", ""]
  ) {
    assertThrows(() => paths.key(bad), isFileError("bad_path", /^/));
    assertThrows(() => paths.history(bad), isFileError("bad_path", /^/));
    assertThrows(() => paths.account(`openai/${bad}`), isFileError("bad_path", /^/));
    assertThrows(() => paths.account(`openai/@${bad}`), isFileError("bad_path", /^/));
  }
  for (const bad of ["../openai/x", "OpenAI/x", "x", "/openai/x"]) {
    assertThrows(() => paths.account(bad), isFileError("bad_path", /^/));
  }
});

Deno.test("sidecars: a field inside a file never decides its location; bad mappings are skipped", async () => {
  const dir = await tempStore();
  try {
    await Deno.mkdir(`${dir}/.keyz/keys/api`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/.keyz/keys/api/k.json`,
      JSON.stringify({ schema_version: 1, path: "../../../outside", notes: "n" }),
    );
    await Deno.writeTextFile(
      `${dir}/.keyz/map.json`,
      JSON.stringify({
        schema_version: 1,
        keys: {
          "api/k": { provider: "openai" },
          "../x": { provider: "openai" },
          "api/j": { provider: "openai", credential: "/etc/passwd" },
        },
      }),
    );
    const sc = new Sidecars(dir);
    const k = await sc.readKey("api/k");
    assert(k.ok);
    assertEquals(k.value.path, "api/k");
    const { map, skipped } = await sc.readMapChecked();
    assertEquals(Object.keys(map), ["api/k"]);
    assertEquals(skipped.length, 2);
    assertMatch(skipped[0], /map\.json: mapping "\.\.\/x" skipped: `\.\.` is not allowed/);
    assertMatch(skipped[1], /mapping "api\/j" skipped: credential "\/etc\/passwd": absolute/);
    // A read by a bad name is a broken read, not a crash.
    const bad = sc.readKeySync("../x");
    assert(!bad.ok && !bad.missing);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("OS failures map to one line naming the file, exit 3, never a bug report", () => {
  const make = (code: string, message: string) => Object.assign(new Error(message), { code });
  const cases: [string, string, RegExp][] = [
    ["ENOSPC", "No space left on device (os error 28): writefile '/s/.keyz/a.json'", /no space/],
    ["EDQUOT", "Disk quota exceeded (os error 122): write '/s/.keyz/a.json'", /no space/],
    ["EROFS", "Read-only file system (os error 30): open '/s/.keyz/lock'", /read-only/],
    ["EACCES", "Permission denied (os error 13): mkdir '/s/.keyz'", /permission denied/],
    ["ENOTDIR", "Not a directory (os error 20): mkdir '/s/.keyz/keys'", /a file stands/],
    ["EIO", "Input/output error (os error 5): read '/s/.keyz/a.json'", /input\/output/],
  ];
  for (const [code, message, what] of cases) {
    const e = asKeyzError(make(code, message));
    assertEquals(e.exitCode, ExitCode.store, code);
    assertMatch(e.format(), /^keyz: \/s\/\.keyz\S* /);
    assertMatch(e.format(), what);
    assert(!/bug/.test(e.format()), e.format());
  }
  assertEquals(osProblem(make("ENOSPC", "")), "no_space");
  assert(new StoreFileError("/s/x", "no_space").wholeStore);
  assert(!new StoreFileError("/s/x", "symlink").wholeStore);
  assertMatch(asKeyzError(new TypeError("boom")).format(), /report this as a bug/);
});

Deno.test("environment names that run code are refused; every built-in provider's name is not", async () => {
  for (
    const name of [
      "PATH",
      "path",
      "LD_PRELOAD",
      "DYLD_INSERT_LIBRARIES",
      "GIT_EXTERNAL_DIFF",
      "BASH_ENV",
      "BASH_FUNC_x",
      "PROMPT_COMMAND",
      "ENV",
      "IFS",
      "PS1",
      "PS4",
      "SHELLOPTS",
      "BASHOPTS",
      "NODE_OPTIONS",
      "PYTHONPATH",
      "PERL5OPT",
      "RUBYOPT",
      "HOME",
      "SHELL",
      "ZDOTDIR",
      "HISTFILE",
      "GIT_PAGER",
      "SYSTEMD_EDITOR",
      "SSH_ASKPASS",
      "npm_config_script_shell",
      "XDG_CONFIG_HOME",
      "KEYZ_BASE_URL_OPENAI",
    ]
  ) assert(refusedEnvName(name), name);
  const builtIn = new Set<string>();
  for (const e of Deno.readDirSync(new URL("../providers/", import.meta.url))) {
    const text = await Deno.readTextFile(new URL(`../providers/${e.name}`, import.meta.url));
    for (const m of text.matchAll(/"env":\s*"([A-Z0-9_]+)"/g)) builtIn.add(m[1]);
  }
  assert(builtIn.size >= 10);
  for (const name of [...builtIn, "HF_TOKEN", "GITHUB_TOKEN", "PERPLEXITY_API_KEY"]) {
    assertEquals(refusedEnvName(name), undefined, name);
  }
  // Where names are read: a refused sidecar name is passed over for the provider's.
  assertEquals(defaultEnvName("LD_PRELOAD", "OPENAI_API_KEY").name, "OPENAI_API_KEY");
  assertEquals(defaultEnvName("PATH", "NODE_OPTIONS").name, undefined);
  assertEquals(defaultEnvName("MY_KEY", "OPENAI_API_KEY").name, "MY_KEY");
  assertThrows(() => parseSelector("PATH=api/x"), (e) => /keyz never sets PATH/.test(String(e)));
  // Where names are set: the browser's edit.
  const edit = applyEdit(undefined, "api/x", "env", "LD_PRELOAD");
  assert("error" in edit && /keyz never sets LD_/.test(edit.error), JSON.stringify(edit));
  assert("key" in applyEdit(undefined, "api/x", "env", "MY_API_KEY"));
});

Deno.test("taking the lock checks every folder afresh (a long-lived browser after a git pull)", async () => {
  const dir = await tempStore();
  try {
    await writeAtomic(dir, ".keyz/keys/a/x.json", "{}");
    // A pull replaces the folder by a link while the process runs.
    await Deno.rename(`${dir}/.keyz/keys/a`, `${dir}/elsewhere`);
    await Deno.symlink(`${dir}/elsewhere`, `${dir}/.keyz/keys/a`);
    const lock = await acquireLock(dir, "test");
    try {
      let err: unknown;
      await writeAtomic(dir, ".keyz/keys/a/x.json", "{}").catch((e) => err = e);
      assert(isFileError("symlink", /keys\/a$/)(err), String(err));
    } finally {
      await lock.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
