// Every command's error paths end in exactly one line on stderr, `keyz: <what> (<what to do>)`,
// with no second `keyz:` in it (no doubled prefixes), nothing on stdout, and a stable exit code.
// Typo suggestions sit inside that line. Plus: naming a non-key to sync exits 1, `show FOLDER`
// sums the folder up, `show NAME` suggests entries.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { buildProgram } from "../src/cli/program.ts";
import { ShowFolderOutput } from "../src/cli/output_schemas.ts";
import { didYouMean, suggestEntries } from "../src/util/suggest.ts";

const ENTRIES = {
  "api/deepseek/main": keyLike("deepseek", "CANARY-errors-1"),
  "work/openrouter": keyLike("openrouter", "CANARY-errors-2"),
  "work/moonshot": keyLike("moonshot", "CANARY-errors-3"),
  "work/notes": "just a password CANARY-errors-4",
  "bank/chase": "hunter2-CANARY-errors-5",
};
const SECRETS = Object.values(ENTRIES);

let shared: Promise<TestStore> | undefined;
const store = () =>
  shared ??= (async () => {
    const s = await makeStore({ entries: ENTRIES });
    const acc = async (provider: string, path: string, metadata: unknown, extra = {}) => {
      const file = `${s.storeDir}/.keyz/accounts/${provider}/${path}.json`;
      await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
      await Deno.writeTextFile(
        file,
        JSON.stringify({
          schema_version: 2,
          account: `${provider}/${path}`,
          provider,
          metadata,
          fetched_at: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
          ...extra,
        }),
      );
    };
    await acc("openrouter", "work/openrouter", { kind: "balance", balance: 12.5, currency: "USD" });
    await acc("moonshot", "work/moonshot", { kind: "balance", balance: 0.5, currency: "USD" });
    // A broken key sidecar: its problem is reported once, without a second prefix.
    await Deno.mkdir(`${s.storeDir}/.keyz/keys/api/deepseek`, { recursive: true });
    await Deno.writeTextFile(`${s.storeDir}/.keyz/keys/api/deepseek/main.json`, "[1,");
    await Deno.writeTextFile(
      `${s.storeDir}/.keyz/config.jsonc`,
      `{ "thresholds": { "min_balance": 1 } }\n`,
    );
    return s;
  })();

async function keyz(args: string[], extra: Record<string, string> = {}) {
  const s = await store();
  const r = await runKeyz(args, { env: { ...s.env, NO_COLOR: "1", ...extra } });
  assertNoSecret({ stdout: r.stdout, stderr: r.stderr }, SECRETS);
  return r;
}

/** [args, exit code, the line (exact string or pattern)] for each command's error paths. */
const CASES: [string[], number, string | RegExp][] = [
  [["snyc"], 2, "keyz: unknown command 'snyc' (did you mean sync?)"],
  [["sync", "--jsn"], 2, "keyz: unknown option '--jsn' (did you mean --json?)"],
  [["sync"], 2, /^keyz: nothing to sync \(/],
  [["sync", "nope/entry"], 2, /^keyz: no such entry or folder: nope\/entry \(/],
  [["sync", "--provider", "nope"], 2, /^keyz: unknown provider nope \(/],
  [["ls", "--provider", "nope"], 2, /^keyz: unknown provider nope/],
  [["ls", "--sort", "size"], 2, /^keyz: option '--sort <by>' argument 'size' is invalid/],
  [["show"], 2, /^keyz: missing required argument 'path'/],
  [["show", "deepseek"], 2, "keyz: no such entry: deepseek (did you mean api/deepseek/main?)"],
  [
    ["show", "work/openroutr"],
    2,
    /^keyz: no such entry: work\/openroutr \(did you mean work\/openrouter\?\)$/,
  ],
  [["show", "zzz/qqq"], 2, /^keyz: no such entry: zzz\/qqq \(see `keyz ls`/],
  [["map", "nope", "deepseek"], 2, /^keyz: no such entry: nope/],
  [["map", "bank/chase", "nope"], 2, /^keyz: unknown provider nope/],
  [
    ["map", "api", "deepseek"],
    2,
    /^keyz: api is a folder \(name one of its 1 entries, e.g. api\/deepseek\/main\)$/,
  ],
  [["unmap", "bank/chase"], 2, /^keyz: bank\/chase is not a key keyz recognises/],
  [["edit", "work/moonshot", "--env", "PATH"], 2, /^keyz: --env: keyz never sets PATH: /],
  [["edit", "work/moonshot"], 2, /^keyz: nothing to edit/],
  [["ignore", "nope"], 2, /^keyz: no such entry or folder: nope/],
  [["discover", "nope"], 2, /^keyz: no such entry or folder: nope/],
  [["unignore", "bank"], 2, /^keyz: bank is not ignored/],
  [["providers", "show", "nope"], 2, /^keyz: unknown provider nope/],
  [["providers", "trust", "nope"], 2, /^keyz: unknown provider nope/],
  [["providers", "check", "missing.jsonc"], 2, /^keyz: cannot read missing\.jsonc/],
  [["providers", "list", "--yaml"], 2, /^keyz: unknown option '--yaml'/],
  [["providers", "lst"], 2, /^keyz: unknown command 'lst' \(did you mean list\?\)$/],
  [["check", "--min-balance", "lots"], 2, /^keyz: bad amount "lots"/],
  [["check", "-o", "x.prom"], 2, /^keyz: --output writes json or prometheus/],
  [["env"], 2, /^keyz: no keys selected/],
  [["env", "nope"], 2, /^keyz: no such entry or folder: nope/],
  [["run", "work/moonshot", "--", "true"], 2, /^keyz: cannot start programs itself .*keyz-run/],
  [["completions", "tcsh"], 2, /^keyz: command-argument value 'tcsh' is invalid/],
  [["init", "tcsh"], 2, /^keyz: command-argument value 'tcsh' is invalid/],
  [["help", "nope"], 2, /^keyz: no help for "nope"/],
  [
    ["history", "work/moonshoot"],
    2,
    "keyz: no such entry: work/moonshoot (did you mean work/moonshot?)",
  ],
  [["doctor", "--fixx"], 2, "keyz: unknown option '--fixx' (did you mean --fix?)"],
  [["browse"], 6, /^keyz: browse needs a terminal \(stdin and stdout\) \(use keyz ls/],
  [["demo"], 6, /^keyz: demo needs a terminal .*\(keyz demo --no-browse /],
];

Deno.test("every command's errors are one line: `keyz: `, no second prefix, nothing on stdout", async () => {
  for (const [args, code, want] of CASES) {
    const r = await keyz(args);
    const what = `keyz ${args.join(" ")}`;
    assertEquals(r.code, code, `${what}: ${r.stderr}`);
    assertEquals(r.stdout, "", what);
    const lines = r.stderr.split("\n");
    assertEquals(lines.length, 2, `${what}: one line and its newline: ${r.stderr}`);
    assert(lines[0].startsWith("keyz: "), `${what}: ${lines[0]}`);
    assertEquals(lines[0].indexOf("keyz:", 1), -1, `${what}: doubled prefix: ${lines[0]}`);
    if (typeof want === "string") assertEquals(lines[0], want, what);
    else assertMatch(lines[0], want, what);
  }
  // No store at all.
  const r = await keyz(["ls"], { PASSWORD_STORE_DIR: "/nonexistent/store" });
  assertEquals(r.code, 3, r.stderr);
  assertEquals(r.stderr.split("\n").filter(Boolean).length, 1, r.stderr);
  assertEquals(r.stderr.indexOf("keyz:", 1), -1, r.stderr);
});

Deno.test("every command of the tree has an error case above", () => {
  const program = buildProgram(() => {});
  const names: string[] = [];
  const walk = (cmd: typeof program, prefix: string[]) => {
    for (const c of cmd.commands) {
      if (c.name().startsWith("__")) continue;
      const full = [...prefix, c.name()];
      if (c.commands.length) walk(c as typeof program, full);
      else names.push(full.join(" "));
    }
  };
  walk(program, []);
  const covered = new Set(CASES.map(([a]) => a[0] === "providers" ? `providers ${a[1]}` : a[0]));
  for (const n of names) assert(covered.has(n), `no error case for keyz ${n}`);
});

Deno.test("a sidecar problem is named once: no 'bad sidecar: keyz:'", async () => {
  const check = await keyz(["check", "api/deepseek/main"]);
  assertEquals(check.code, 1, check.stderr);
  assertMatch(check.stdout, /bad sidecar: \S*main\.json/);
  assert(!check.stdout.includes("keyz:"), check.stdout);
  const show = await keyz(["show", "api/deepseek/main"]);
  assertMatch(show.stdout, /problem\s+\S*main\.json/);
  assert(!show.stdout.includes("keyz:"), show.stdout);
});

Deno.test("sync of a named entry that cannot be synced exits 1 and says why (no decryption)", async () => {
  const r = await keyz(["sync", "bank/chase"]);
  assertEquals(r.code, 1, r.stderr);
  assertMatch(
    r.stdout,
    /bank\/chase\s+-\s+not a key: no provider recognised \(keyz map PATH PROVIDER\)/,
  );
  const json = await keyz(["sync", "bank/chase", "--json"]);
  assertEquals(json.code, 1);
  const [res] = JSON.parse(json.stdout).results;
  assertEquals([res.path, res.status, res.reason], ["bank/chase", "skipped", "other"]);
});

Deno.test("keyz show FOLDER sums up its keys: count, states, attention, balance per currency", async () => {
  const r = await keyz(["show", "work"]);
  assertEquals(r.code, 0, r.stderr);
  assertMatch(r.stdout, /^folder\s+work\/$/m);
  assertMatch(r.stdout, /^keys\s+2 \(2 live\)$/m);
  assertMatch(r.stdout, /^balance\s+13\.00 USD$/m);
  assertMatch(r.stdout, /^attention\s+1 \(1 low balance\)$/m);
  assertMatch(r.stdout, /^other\s+1 entry that is not a key \(keyz ls --all\)$/m);
  const j = await keyz(["show", "work/", "--json"]);
  assertEquals(ShowFolderOutput.parse(JSON.parse(j.stdout)), {
    folder: "work",
    keys: 2,
    states: { live: 2 },
    attention: 1,
    issues: { low_balance: 1 },
    balances: [{ currency: "USD", total: 13 }],
    others: 1,
  });
});

Deno.test("suggestions: by segment, edit distance and substring", () => {
  const all = ["api/deepseek/main", "api/deepseek/alt", "work/openrouter", "web/github"];
  assertEquals(suggestEntries("deepseek", all), ["api/deepseek/alt", "api/deepseek/main"]);
  assertEquals(suggestEntries("openroutr", all), ["work/openrouter"]);
  assertEquals(suggestEntries("deepseek/mian", all), ["api/deepseek/main"]);
  assertEquals(suggestEntries("hub", all), ["web/github"]);
  assertEquals(suggestEntries("zz", all), []);
  assertEquals(didYouMean(["a", "b", "c"]), "did you mean a, b or c?");
});

Deno.test("errors: cleanup", async () => {
  if (shared) await (await shared).cleanup();
});
