// `keyz edit`: the browser's edit from the command line, with the one validator both use
// (src/sidecars/key_edit.ts), committed through the store-write helper with the .gpg's sha256.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { EditOutput } from "../src/cli/output_schemas.ts";
import { applyKeyEdits, type KeyEditField } from "../src/sidecars/key_edit.ts";
import { applyEdit, type EditField } from "../src/ui/state.ts";
import { sha256Hex } from "../src/store/store.ts";

const PATH = "api/deepseek/main";

Deno.test("one validator: what the browser refuses, keyz edit refuses, with the same words", () => {
  const cases: [KeyEditField, string, string | RegExp][] = [
    ["env", "PATH", /keyz never sets PATH: /],
    ["env", "ld_preload", /keyz never sets LD_\*: /],
    ["env", "BASH_ENV", /keyz never sets BASH_\*/],
    ["env", "1BAD", "letters, digits and _ only, e.g. OPENAI_API_KEY"],
    ["expires_at", "2026-02-31", "2026-02-31 is not a date in the calendar"],
    ["expires_at", "next week", "use a date like 2026-12-31 (or never)"],
    ["notes", "two\nlines", "notes are one line of text (no control characters)"],
    ["notes", "x".repeat(1001), "notes are at most 1000 characters"],
    ["tags", "ok bad\u202eevil", /^bad tag/],
  ];
  for (const [field, text, want] of cases) {
    const cli = applyKeyEdits(undefined, PATH, [{ field, text }]);
    assert("error" in cli, `${field}=${text} accepted`);
    if (typeof want === "string") assertEquals(cli.error, want);
    else assertMatch(cli.error, want);
    // The browser's fields are a subset; where it has the field it says the same.
    if (["notes", "tags", "expires_at", "env"].includes(field)) {
      assertEquals(applyEdit(undefined, PATH, field as EditField, text), { error: cli.error });
    }
  }
  for (const [field, text] of [["low_balance", "-1"], ["low_balance", "lots"], ["tag", "a b"]]) {
    assert("error" in applyKeyEdits(undefined, PATH, [{ field: field as KeyEditField, text }]));
  }
  const ok = applyKeyEdits({ schema_version: 2, path: PATH, tags: ["a"], env: "X_KEY" }, PATH, [
    { field: "tag", text: "b" },
    { field: "untag", text: "a" },
    { field: "expires_at", text: "2026-12-31" },
    { field: "env", text: "" },
    { field: "low_balance", text: "2.50" },
  ]);
  assertEquals(ok, {
    key: {
      schema_version: 2,
      path: PATH,
      tags: ["b"],
      expires_at: "2026-12-31T00:00:00Z",
      low_balance: 2.5,
    },
    changed: ["tags", "expires_at", "env", "low_balance"],
  });
  assertEquals(
    applyEdit(undefined, PATH, "tags", "prod, ci prod"),
    { key: { schema_version: 2, path: PATH, tags: ["prod", "ci"] } },
  );
  const cleared = applyKeyEdits(
    { schema_version: 2, path: PATH, expires_at: "2026-01-01T00:00:00Z" },
    PATH,
    [
      { field: "expires_at", text: "never" },
      { field: "low_balance", text: "none" },
    ],
  );
  assertEquals(cleared, { key: { schema_version: 2, path: PATH }, changed: ["expires_at"] });
});

Deno.test("keyz edit: sets, commits with the .gpg's sha256, refuses bad input in one line", async () => {
  const key = keyLike("deepseek", "CANARY-edit-1");
  const store = await makeStore({
    git: true,
    entries: { [PATH]: key, "bank/chase": "hunter2-CANARY-edit-2" },
  });
  const env = { ...store.env, NO_COLOR: "1" };
  const keyz = async (args: string[]) => {
    const r = await runKeyz(args, { env });
    assertNoSecret({ stdout: r.stdout, stderr: r.stderr }, [key, "hunter2-CANARY-edit-2"]);
    return r;
  };
  const commits = async () =>
    (await store.gitRun(["log", "--format=%s"])).stdout.trim().split("\n");
  try {
    const r = await keyz([
      "edit",
      PATH,
      "--note",
      "team budget",
      "--tag",
      "prod",
      "--tag",
      "ci",
      "--expires",
      "2026-12-31",
      "--env",
      "DEEPSEEK_WORK",
      "--low-balance",
      "5",
      "--json",
    ]);
    assertEquals(r.code, 0, r.stderr);
    const doc = EditOutput.parse(JSON.parse(r.stdout));
    assertEquals(doc, {
      path: PATH,
      changed: ["notes", "tags", "expires_at", "env", "low_balance"],
      committed: true,
      key: {
        notes: "team budget",
        tags: ["prod", "ci"],
        expires_at: "2026-12-31T00:00:00Z",
        env: "DEEPSEEK_WORK",
        low_balance: 5,
      },
    });
    const sidecar = JSON.parse(
      await Deno.readTextFile(`${store.storeDir}/.keyz/keys/${PATH}.json`),
    );
    const gpg = await Deno.readFile(`${store.storeDir}/${PATH}.gpg`);
    assertEquals(sidecar.gpg_sha256, await sha256Hex(gpg));
    assertEquals(
      (await commits())[0],
      "keyz: edit api/deepseek/main (notes, tags, expires_at, env, low_balance)",
    );
    const files = await store.gitRun(["show", "--name-only", "--format=", "HEAD"]);
    assert(files.stdout.trim().split("\n").every((f) => f.startsWith(".keyz/")), files.stdout);

    // What the browser and `keyz env` read: the new variable name.
    const shown = await keyz(["show", PATH]);
    assertMatch(shown.stdout, /tags\s+prod, ci/);
    assertMatch(shown.stdout, /notes\s+team budget/);
    assertMatch(shown.stdout, /low below\s+5\n/);
    const json = await keyz(["show", "--json", PATH]);
    assertEquals(JSON.parse(json.stdout).low_balance, 5);
    const exported = await runKeyz(["env", "--format", "json", PATH], { env });
    assertEquals(Object.keys(JSON.parse(exported.stdout)), ["DEEPSEEK_WORK"]);

    const text = await keyz(["edit", PATH, "--untag", "ci", "--expires", "never"]);
    assertEquals(text.code, 0, text.stderr);
    assertMatch(text.stdout, /^edited api\/deepseek\/main\n/);
    assertMatch(text.stdout, /tags\s+prod\s+\(changed\)/);
    assertMatch(text.stdout, /expires_at\s+-\s+\(changed\)/);
    const same = await keyz(["edit", PATH, "--tag", "prod"]);
    assertMatch(same.stdout, /unchanged/);
    const before = await commits();
    for (
      const [args, re] of [
        [
          ["--env", "PATH"],
          /^keyz: --env: keyz never sets PATH: .*\(nothing of api\/deepseek\/main changed\)$/,
        ],
        [["--expires", "2026-02-31"], /^keyz: --expires: 2026-02-31 is not a date/],
        [["--low-balance", "-3"], /^keyz: --low-balance: give an amount/],
        [["--tag", "ok", "--env", "LD_PRELOAD"], /^keyz: --env: keyz never sets LD_\*/],
        [[], /^keyz: nothing to edit \(give --note/],
      ] as const
    ) {
      const bad = await keyz(["edit", PATH, ...args]);
      assertEquals(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
      assertEquals(bad.stdout, "");
      assertEquals(bad.stderr.split("\n").filter(Boolean).length, 1, bad.stderr);
      assertMatch(bad.stderr.trim(), re);
    }
    const other = await keyz(["edit", "bank/chase", "--note", "x"]);
    assertEquals(other.code, 2);
    assertMatch(other.stderr, /^keyz: bank\/chase is not a key keyz recognises \(keyz map/);
    assertEquals(await commits(), before, "a refused edit commits nothing");
    const after = JSON.parse(await Deno.readTextFile(`${store.storeDir}/.keyz/keys/${PATH}.json`));
    assertEquals(after.tags, ["prod"]);
    assertEquals(after.expires_at, undefined);
  } finally {
    await store.cleanup();
  }
});
