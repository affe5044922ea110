// keyz doctor: secret keys counted as gpg counts them (a subkey is not a key), the credential
// suggested for the key that needs one (never for the admin key itself), and one line per
// provider host about reachability (resolves / refused / ok) with nothing sent.
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { assertNoSecret, ROOT, runKeyz } from "./support/cli.ts";
import { keyLike } from "./support/keys.ts";
import { DoctorOutput } from "../src/cli/output_schemas.ts";

Deno.test("doctor counts secret keys, not key files (the store's key has a subkey)", async () => {
  const store = await makeStore({ entries: { "misc/wifi": "correct horse" } });
  try {
    const files = [...Deno.readDirSync(`${store.gnupgHome}/private-keys-v1.d`)].length;
    assertEquals(files, 2, "an ed25519 key and its cv25519 subkey: two key files");
    const r = await runKeyz(["doctor", "--offline"], { env: { ...store.env, NO_COLOR: "1" } });
    assertEquals(r.code, 0, r.stdout + r.stderr);
    assertMatch(r.stdout, /holds 1 secret key \(with 1 subkey\)\n/);
  } finally {
    await store.cleanup();
  }
});

Deno.test("doctor suggests the credential for the key that needs it, never for the admin key", async () => {
  const admin = keyLike("anthropic-admin", "CANARY-doc-admin");
  const main = keyLike("anthropic", "CANARY-doc-main");
  const store = await makeStore({
    entries: { "llm/claude/admin": admin, "llm/claude/main": main, "misc/wifi": "x" },
  });
  try {
    const env = { ...store.env, NO_COLOR: "1" };
    // The plain key's sync says the credential is missing (no request is made).
    const sync = await runKeyz(["sync", "llm/claude/main", "--json"], { env });
    assertEquals(JSON.parse(sync.stdout).results[0].error.kind, "config");
    const r = await runKeyz(["doctor", "--offline", "--json"], { env });
    const checks = DoctorOutput.parse(JSON.parse(r.stdout)).checks;
    const cred = checks.filter((c) => c.id === "credential");
    assertEquals(cred.length, 1, JSON.stringify(cred));
    assertEquals(cred[0].status, "warn");
    assertMatch(cred[0].message, /^llm\/claude\/main has no Anthropic Admin API key/);
    assertEquals(cred[0].hint, "keyz map llm/claude/main anthropic --credential llm/claude/admin");
    assert(!checks.some((c) => c.message.startsWith("llm/claude/admin")), r.stdout);
    // Once linked, nothing is said about either.
    const map = await runKeyz(
      ["map", "llm/claude/main", "anthropic", "--credential", "llm/claude/admin"],
      { env },
    );
    assertEquals(map.code, 0, map.stderr);
    const after = await runKeyz(["doctor", "--offline", "--json"], { env });
    const left = DoctorOutput.parse(JSON.parse(after.stdout)).checks;
    assertEquals(left.filter((c) => c.id === "credential"), []);
    assertNoSecret({ a: r.stdout, b: after.stdout }, [admin, main]);
  } finally {
    await store.cleanup();
  }
});

Deno.test("doctor: one line per provider host (ok / refused / DNS), nothing sent, --offline skips", async () => {
  // A listener that counts what arrives: the check must connect and send nothing.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  let received = 0, accepted = 0;
  const serving = (async () => {
    for await (const conn of listener) {
      accepted++;
      const buf = new Uint8Array(1024);
      try {
        for (;;) {
          const n = await conn.read(buf);
          if (n === null) break;
          received += n;
        }
      } catch { /* reset */ }
      try {
        conn.close();
      } catch { /* closed */ }
    }
  })();
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const closedPort = closed.addr.port;
  closed.close();
  const store = await makeStore({
    entries: {
      "api/acmeup/main": "acme-up-key-CANARY-net-1",
      "api/acmedown/main": "acme-down-key-CANARY-net-2",
      "api/acmedns/main": "acme-dns-key-CANARY-net-3",
      "api/deepseek/main": keyLike("deepseek", "CANARY-net-4"),
    },
  });
  try {
    const sample = await Deno.readTextFile(
      `${ROOT}/tests/fixtures/manifests/elevenlabs/elevenlabs.jsonc`,
    );
    const dir = `${store.env.XDG_CONFIG_HOME}/keyz/providers`;
    await Deno.mkdir(dir, { recursive: true });
    const hosts = {
      acmeup: `localhost:${(listener.addr as Deno.NetAddr).port}`,
      acmedown: `127.0.0.1:${closedPort}`,
      acmedns: "keyz-doctor-test.invalid",
    };
    for (const [id, host] of Object.entries(hosts)) {
      await Deno.writeTextFile(
        `${dir}/${id}.jsonc`,
        sample.replace('"id": "elevenlabs"', `"id": "${id}"`)
          .replace(/"aliases": \[[^\]]*\]/, '"aliases": []')
          .replace('"https://api.elevenlabs.io"', `"https://${host}"`),
      );
      const t = await runKeyz(["providers", "trust", id, "--yes"], { env: store.env });
      assertEquals(t.code, 0, t.stderr);
    }
    // deepseek is pointed at a test server: not tried.
    const env = { ...store.env, NO_COLOR: "1", KEYZ_BASE_URL_DEEPSEEK: "http://127.0.0.1:9" };
    const r = await runKeyz(["doctor"], { env });
    assertEquals(r.code, 1, "unreachable hosts need attention");
    const lines = r.stdout.split("\n");
    const line = (re: RegExp) => lines.find((l) => re.test(l));
    assert(
      line(
        new RegExp(
          `✓ localhost:\\d+ \\(acmeup\\): reachable \\(TCP \\d+ answered; no key sent\\)$`,
        ),
      ),
      r.stdout,
    );
    assert(
      line(
        new RegExp(
          `! 127\\.0\\.0\\.1:${closedPort} \\(acmedown\\): connection refused; no key sent$`,
        ),
      ),
      r.stdout,
    );
    assert(
      line(/! keyz-doctor-test\.invalid \(acmedns\): does not resolve \(DNS\); no key sent$/),
      r.stdout,
    );
    assert(
      line(/· deepseek: not tried \(KEYZ_BASE_URL_DEEPSEEK points it at a test server\)$/),
      r.stdout,
    );
    assertEquals(accepted, 1);
    const offline = await runKeyz(["doctor", "--offline", "--json"], { env });
    const net = DoctorOutput.parse(JSON.parse(offline.stdout)).checks.filter((c) =>
      c.id === "network"
    );
    assertEquals(net.map((c) => c.message), ["provider hosts not tried (--offline)"]);
    assertEquals(accepted, 1, "--offline connects nowhere");
    assertNoSecret({ a: r.stdout + r.stderr }, ["CANARY-net"]);
  } finally {
    listener.close();
    await serving.catch(() => {});
    await store.cleanup();
  }
  assertEquals(received, 0, "nothing was sent to the host");
});
