// `keyz check` end to end (real pass store, hand-written sidecars; no network, no decryption),
// durations and Prometheus rendering. The judging itself is tested in judge_test.ts.
import { assert, assertEquals, assertMatch, assertThrows } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { assertNoSecret, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { CheckOutput } from "../src/cli/output_schemas.ts";
import { escapeLabel } from "../src/check/prometheus.ts";
import { parseDuration } from "../src/util/duration.ts";

const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d{3}Z$/, "Z");
const H = 3_600_000;
const D = 24 * H;

const SECRETS = {
  "api/deepseek/main": keyLike("deepseek", "CANARY-check-deepseek-1"),
  "api/openrouter/team": keyLike("openrouter", "CANARY-check-2"),
  "work/openai/main": keyLike("openai", "CANARY-check-openai-3"),
  "api/moonshot/old": keyLike("moonshot", "CANARY-check-moonshot-4"),
  'api/deepseek/we"ird\\x': keyLike("deepseek", "CANARY-check-weird-5"),
  // An ordinary password: never checked, counted or exported.
  "misc/thing": "correct horse battery staple CANARY-6",
};

async function writeJson(store: TestStore, rel: string, value: unknown) {
  const file = `${store.storeDir}/.keyz/${rel}`;
  await Deno.mkdir(file.slice(0, file.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(file, JSON.stringify(value, null, 2) + "\n");
}

function account(provider: string, path: string, o: Record<string, unknown>) {
  return {
    schema_version: 2,
    account: `${provider}/${path}`,
    provider,
    metadata: null,
    fetched_at: iso(H),
    ...o,
  };
}

let shared: Promise<TestStore> | undefined;
function store(): Promise<TestStore> {
  shared ??= (async () => {
    const s = await makeStore({ entries: SECRETS });
    const acc = (p: string, path: string, o: Record<string, unknown>) =>
      writeJson(s, `accounts/${p}/${path}.json`, account(p, path, o));
    await acc("deepseek", "api/deepseek/main", {
      metadata: { kind: "balance", balance: 3.5, currency: "CNY" },
    });
    await acc("deepseek", 'api/deepseek/we"ird\\x', {
      metadata: { kind: "balance", balance: 110, currency: "CNY" },
    });
    await acc("openrouter", "api/openrouter/team", {
      metadata: { kind: "balance", balance: 25, currency: "USD" },
      fetched_at: iso(3 * D),
    });
    await acc("moonshot", "api/moonshot/old", {
      metadata: { kind: "balance", balance: 40, currency: "CNY" },
    });
    // The last attempt failed: recorded in the untracked state, not in the account file.
    await writeJson(s, "state/state.json", {
      schema_version: 1,
      accounts: {
        "moonshot/api/moonshot/old": {
          at: iso(H / 2),
          error: { kind: "auth", message: "HTTP 401" },
          failures: 1,
        },
      },
      entries: {},
    });
    await writeJson(s, "keys/work/openai/main.json", {
      schema_version: 2,
      path: "work/openai/main",
      expires_at: iso(-3 * D),
    });
    await writeJson(s, "keys/misc/thing.json", {
      schema_version: 2,
      path: "misc/thing",
      expires_at: iso(2 * D),
    });
    // The store's per-key threshold; the command line wins over it.
    await Deno.writeTextFile(
      `${s.storeDir}/.keyz/config.jsonc`,
      `{ // thresholds\n "keys": { "api/openrouter/team": { "min_balance": 10 } } }\n`,
    );
    return s;
  })();
  return shared;
}

async function keyz(args: string[]) {
  const s = await store();
  const r = await runKeyz(args, { env: { ...s.env, NO_COLOR: "1" } });
  assertNoSecret({ stdout: r.stdout, stderr: r.stderr }, Object.values(SECRETS));
  return r;
}

Deno.test("check --json: every kind of issue, documented shape, exit 1", async () => {
  const r = await keyz([
    "check",
    "--min-balance",
    "100",
    "--expiring-within",
    "7d",
    "--stale-after",
    "2d",
    "--json",
  ]);
  assertEquals(r.code, 1, r.stderr);
  const doc = CheckOutput.parse(JSON.parse(r.stdout));
  const kinds = Object.fromEntries(doc.keys.map((k) => [k.path, k.issues.map((i) => i.kind)]));
  assertEquals(kinds["api/deepseek/main"], ["low_balance"]);
  assertEquals(kinds['api/deepseek/we"ird\\x'], []);
  // What the user typed (100) wins over the store's own 10 for this key.
  assertEquals(kinds["api/openrouter/team"], ["low_balance", "stale"]);
  assertEquals(kinds["api/moonshot/old"], ["error", "low_balance"]);
  assertEquals(kinds["work/openai/main"], ["expiring", "never_synced"]);
  assertEquals(doc.keys.find((k) => k.path === "api/moonshot/old")?.state, "auth");
  // Not a key: not checked at all.
  assertEquals(kinds["misc/thing"], undefined);
  assertEquals(doc.ok, false);
  assertEquals(doc.summary.checked, 5);
  assertEquals(doc.summary.attention, 4);
  assertEquals(doc.summary.by_kind.low_balance, 3);
});

Deno.test("check: exit 0 when all fine, text lines for issues, usage errors exit 2", async () => {
  const fine = await keyz(["check", "api/deepseek", "--min-balance", "1"]);
  assertEquals(fine.code, 0, fine.stderr);
  assertMatch(fine.stdout, /all 2 keys fine/);
  const low = await keyz(["check", "api/deepseek/main", "--min-balance", "5"]);
  assertEquals(low.code, 1);
  assertMatch(
    low.stdout,
    /api\/deepseek\/main\s+deepseek\s+low_balance\s+balance 3\.50 CNY is below 5 CNY/,
  );
  assert(!low.stdout.includes("\x1b["), "NO_COLOR and a pipe: no escapes");
  for (const bad of [["--min-balance", "lots"], ["--stale-after", "5y"], ["nope/missing"]]) {
    const r = await keyz(["check", ...bad]);
    assertEquals(r.code, 2, `${bad.join(" ")}: ${r.stderr}`);
    assertEquals(r.stderr.trim().split("\n").length, 1, r.stderr);
    assertMatch(r.stderr, /^keyz: /);
  }
});

Deno.test("check --format prometheus: HELP/TYPE, one series per key, escaped labels", async () => {
  const r = await keyz(["check", "--format", "prometheus", "--min-balance", "5"]);
  // Written metrics are a success (keys need attention: that is in keyz_attention).
  assertEquals(r.code, 0, r.stderr);
  assert(r.stdout.includes('keyz_attention{path="api/deepseek/main",provider="deepseek"} 1'));
  const lines = r.stdout.trimEnd().split("\n");
  assert(lines.includes("# TYPE keyz_balance gauge"));
  assert(
    lines.includes(
      "# HELP keyz_up 1 when the key's last sync succeeded, 0 when it failed or never ran",
    ),
  );
  assert(
    lines.includes('keyz_balance{currency="CNY",path="api/deepseek/main",provider="deepseek"} 3.5'),
  );
  assert(
    lines.includes(
      'keyz_balance{currency="CNY",path="api/deepseek/we\\"ird\\\\x",provider="deepseek"} 110',
    ),
  );
  assert(lines.includes('keyz_up{path="api/moonshot/old",provider="moonshot"} 0'));
  // An ordinary password is never named in the metrics.
  assert(!r.stdout.includes("misc/thing"), r.stdout);
  assert(
    lines.some((l) =>
      l.startsWith(
        'keyz_last_sync_timestamp_seconds{path="api/deepseek/main",provider="deepseek"} ',
      )
    ),
  );
  // Every sample line is `name{labels} number`, and every family is declared before use.
  const declared = new Set<string>();
  for (const l of lines) {
    const t = /^# TYPE (\w+) gauge$/.exec(l);
    if (t) declared.add(t[1]);
    else if (!l.startsWith("# HELP ")) {
      const m = /^(\w+)\{([a-z_]+="(?:[^"\\]|\\.)*",?)*\} (-?\d+(\.\d+)?(e[+-]?\d+)?|NaN)$/.exec(l);
      assert(m, `bad sample line: ${l}`);
      assert(declared.has(m[1]), `undeclared ${m[1]}`);
    }
  }
});

Deno.test("check --output: the metrics file is replaced atomically (temp + rename), exit 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "keyz-prom-" });
  try {
    const file = `${dir}/keyz.prom`;
    await Deno.writeTextFile(file, "old\n");
    // A second name for the old file: an in-place write would change what it reads.
    await Deno.link(file, `${dir}/before`);
    const r = await keyz(["check", "--format", "prometheus", "--min-balance", "5", "-o", file]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(r.stdout, "");
    const written = await Deno.readTextFile(file);
    const direct = await keyz(["check", "--format", "prometheus", "--min-balance", "5"]);
    assertEquals(written, direct.stdout);
    assertEquals(await Deno.readTextFile(`${dir}/before`), "old\n");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["before", "keyz.prom"]);
    const json = await keyz(["check", "--json", "--min-balance", "5", "--output", `${dir}/c.json`]);
    assertEquals(json.code, 1, "json keeps check's exit code");
    CheckOutput.parse(JSON.parse(await Deno.readTextFile(`${dir}/c.json`)));
    for (
      const args of [
        ["--format", "prometheus", "-o", `${dir}/missing/keyz.prom`],
        ["--format", "prometheus", "-o", dir],
        ["-o", `${dir}/text.out`],
      ]
    ) {
      const bad = await keyz(["check", ...args]);
      assertEquals(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
      assertEquals(bad.stderr.split("\n").filter(Boolean).length, 1, bad.stderr);
      assertMatch(bad.stderr, /^keyz: /);
    }
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "before",
      "c.json",
      "keyz.prom",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("check --help and keyz help prometheus tell one story", async () => {
  const help = await keyz(["check", "--help"]);
  const topic = await keyz(["help", "prometheus"]);
  for (const text of [help.stdout, topic.stdout]) {
    assertMatch(
      text,
      /--format prometheus --output \/var\/lib\/node_exporter\/textfile\/keyz\.prom/,
    );
    assertMatch(text, /exits? 0|is 0 once the metrics are written/);
    assert(!/> \S*keyz\.prom/.test(text), "no redirect straight into the collector's file");
  }
});

Deno.test("check: cleanup", async () => {
  if (shared) await (await shared).cleanup();
});

Deno.test("durations and label escaping", () => {
  assertEquals(parseDuration("7d"), 7 * D);
  assertEquals(parseDuration("12h"), 12 * H);
  assertEquals(parseDuration("30m"), 30 * 60_000);
  assertEquals(parseDuration("3"), 3 * D);
  assertThrows(() => parseDuration("1y"));
  assertThrows(() => parseDuration("-1d"));
  assertEquals(escapeLabel('a"b\\c\nd'), 'a\\"b\\\\c\\nd');
});
