// src/store/recipients.ts: whose entry is this, told without decrypting and without gpg. Real
// team stores (a teammate's key from its own GNUPGHOME, pass's per-folder .gpg-id), real gpg
// output for every format keyz reads, and hostile bytes for everything it parses.
import { join } from "node:path";
import {
  ANYONE,
  isNoSecretKeyError,
  keyringStamp,
  ownershipOf,
  passGnupgHome,
  readSecretKeyring,
  recipientsOf,
  recipientsOfFile,
  type SecretKeyring,
} from "../src/store/recipients.ts";
import { keyringKeys } from "../src/store/openpgp.ts";
import { entryFile } from "../src/store/store.ts";
import { addOwnKey, addTeammate, makeStore, type TestStore } from "./support/store.ts";
import { assert, assertEquals } from "./support/assert.ts";

const OPENROUTER = `sk-or-v1-${"0123456789abcdef".repeat(4)}\n`;
const ANTHROPIC = `sk-ant-api03-${"A1b2C3d4E5f6G7h8".repeat(5)}AA\n`;

function keyId(fpr: string): string {
  return fpr.slice(24);
}

async function gpg(store: TestStore, args: string[], stdin?: string) {
  const out = await new Deno.Command("gpg", {
    args: ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", ...args],
    env: store.env,
    clearEnv: true,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const w = out.stdin.getWriter();
    await w.write(new TextEncoder().encode(stdin));
    await w.close();
  }
  const r = await out.output();
  const text = {
    stdout: new TextDecoder().decode(r.stdout),
    stderr: new TextDecoder().decode(r.stderr),
  };
  if (!r.success) throw new Error(`gpg ${args.join(" ")} failed: ${text.stderr}`);
  return { ...text, bytes: r.stdout };
}

/** Every key id and fingerprint gpg lists as having a secret (`gpg -K`). */
async function gpgSecretIds(store: TestStore): Promise<Set<string>> {
  const out = await gpg(store, ["--with-colons", "--list-secret-keys"]);
  const ids = new Set<string>();
  for (const line of out.stdout.split("\n")) {
    const f = line.split(":");
    if (f[0] === "sec" || f[0] === "ssb") ids.add(f[4]);
    if (f[0] === "fpr") ids.add(f[9]);
  }
  return ids;
}

function ownership(store: TestStore, path: string, keyring = readSecretKeyring(store.gnupgHome)) {
  return ownershipOf(recipientsOfFile(entryFile(store.storeDir, path)), keyring);
}

Deno.test("team store: ours -> yours, the teammate's -> not_yours, both -> yours", async () => {
  const store = await makeStore({ git: true });
  try {
    const mate = await addTeammate(store);
    await store.insert("ai/openrouter/personal", OPENROUTER);
    await store.insert("team/openrouter/main", OPENROUTER);
    await store.insert("team/deep/anthropic/ops", ANTHROPIC);
    await store.insert("shared/anthropic/ci", ANTHROPIC);

    const keyring = readSecretKeyring(store.gnupgHome);
    assert(keyring);
    assertEquals(keyring.complete, true);
    // Exactly the keys gpg holds a secret for: keygrips computed as gpg-agent names them.
    assertEquals(new Set(keyring.secret), await gpgSecretIds(store));
    assert(!keyring.secret.has(mate.fingerprint));
    assert(keyring.known.has(keyId(mate.fingerprint)));

    const mine = recipientsOfFile(entryFile(store.storeDir, "ai/openrouter/personal"));
    assert(mine?.length === 1);
    assert(keyring.secret.has(mine[0]), "our encryption subkey");
    const theirs = recipientsOfFile(entryFile(store.storeDir, "team/openrouter/main"));
    assertEquals(theirs?.length, 1);
    assertEquals(recipientsOfFile(entryFile(store.storeDir, "shared/anthropic/ci"))?.length, 2);

    assertEquals(ownership(store, "ai/openrouter/personal", keyring), "yours");
    assertEquals(ownership(store, "team/openrouter/main", keyring), "not_yours");
    assertEquals(ownership(store, "team/deep/anthropic/ops", keyring), "not_yours");
    assertEquals(ownership(store, "shared/anthropic/ci", keyring), "yours");

    // The fallback: pass really cannot decrypt it, and says so in words isNoSecretKeyError knows.
    const shown = await store.pass(["show", "team/openrouter/main"]);
    assert(shown.code !== 0);
    assert(isNoSecretKeyError(shown.stderr), shown.stderr);
    assertEquals(shown.stdout, "");
    // Other failures are not "no secret key".
    const missing = await store.pass(["show", "team/nope"]);
    assert(missing.code !== 0);
    assert(!isNoSecretKeyError(missing.stderr), missing.stderr);
    assertEquals(await store.show("shared/anthropic/ci"), ANTHROPIC);
  } finally {
    await store.cleanup();
  }
});

Deno.test("a recipient missing from the keyring is not_yours; an unread keyring part is unknown", async () => {
  const store = await makeStore();
  try {
    const mate = await addTeammate(store);
    await store.insert("team/openrouter/main", OPENROUTER);
    await store.insert("shared/openrouter/ci", OPENROUTER);
    await gpg(store, ["--yes", "--delete-keys", mate.fingerprint]);
    const keyring = readSecretKeyring(store.gnupgHome);
    assert(keyring);
    assertEquals(keyring.complete, true);
    assert(!keyring.known.has(keyId(mate.fingerprint)));
    // gpg cannot decrypt for a key it does not have, so neither is it ours.
    assertEquals(ownership(store, "team/openrouter/main", keyring), "not_yours");
    assertEquals(ownership(store, "shared/openrouter/ci", keyring), "yours");
    // A keyring keyz could not read to the end may hold that key: unknown, never not_yours.
    const partial: SecretKeyring = { ...keyring, complete: false };
    assertEquals(ownership(store, "team/openrouter/main", partial), "unknown");
    assertEquals(ownership(store, "shared/openrouter/ci", partial), "yours");
  } finally {
    await store.cleanup();
  }
});

Deno.test("hidden recipients, passphrases and armor", async () => {
  const store = await makeStore({ entries: { "ai/openrouter/plain": OPENROUTER } });
  try {
    const write = async (path: string, args: string[]) => {
      const out = await gpg(store, [
        "--trust-model",
        "always",
        "--output",
        "-",
        ...args,
      ], OPENROUTER);
      const file = entryFile(store.storeDir, path);
      await Deno.mkdir(join(file, ".."), { recursive: true });
      await Deno.writeFile(file, out.bytes);
    };
    const keyring = readSecretKeyring(store.gnupgHome);
    await write("ai/hidden", ["--throw-keyids", "-e", "-r", store.fingerprint]);
    await write("ai/armored", ["--armor", "-e", "-r", store.fingerprint]);
    await write("ai/symmetric", ["--symmetric", "--passphrase", "pw"]);
    await write("ai/both", ["--symmetric", "--passphrase", "pw", "-e", "-r", store.fingerprint]);

    assertEquals(recipientsOfFile(entryFile(store.storeDir, "ai/hidden")), [ANYONE]);
    assertEquals(ownership(store, "ai/hidden", keyring), "unknown");
    assertEquals(await store.show("ai/hidden"), OPENROUTER); // gpg tries every secret key
    const armored = new TextDecoder().decode(
      await Deno.readFile(entryFile(store.storeDir, "ai/armored")),
    );
    assert(armored.startsWith("-----BEGIN PGP MESSAGE-----"), armored);
    assertEquals(
      recipientsOfFile(entryFile(store.storeDir, "ai/armored")),
      recipientsOfFile(entryFile(store.storeDir, "ai/openrouter/plain")),
    );
    assertEquals(ownership(store, "ai/armored", keyring), "yours");
    assertEquals(ownership(store, "ai/symmetric", keyring), "unknown");
    assertEquals(ownership(store, "ai/both", keyring), "yours");
  } finally {
    await store.cleanup();
  }
});

Deno.test("RSA keys, and revoked or expired subkeys (gpg still decrypts with them)", async () => {
  const store = await makeStore();
  try {
    const rsa = await addOwnKey(store, "default"); // RSA-3072 + RSA encryption subkey
    await store.pass(["init", "-p", "rsa", rsa]);
    await store.insert("rsa/openrouter/main", OPENROUTER);

    // An encryption subkey revoked after the entry was written.
    await store.insert("revoked/openrouter/main", OPENROUTER);
    const edit = await new Deno.Command("gpg", {
      args: [
        "--batch",
        "--command-fd",
        "0",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
        "--edit-key",
        store.fingerprint,
      ],
      env: store.env,
      clearEnv: true,
      stdin: "piped",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const w = edit.stdin.getWriter();
    await w.write(new TextEncoder().encode("key 1\nrevkey\ny\n0\n\ny\nsave\n"));
    await w.close();
    assert((await edit.status).success);

    // A key whose subkey expired in 2020, with an entry written while it was valid.
    const old = await addOwnKeyAt(store, "20200101T000000");
    const file = entryFile(store.storeDir, "expired/openrouter/main");
    await Deno.mkdir(join(file, ".."), { recursive: true });
    const enc = await gpg(store, [
      "--faked-system-time",
      "20200101T120000!",
      "--trust-model",
      "always",
      "-e",
      "-r",
      old,
    ], OPENROUTER);
    await Deno.writeFile(file, enc.bytes);

    const listing = (await gpg(store, ["--with-colons", "--list-keys"])).stdout;
    assert(/^sub:r:/m.test(listing), listing);
    assert(/^sub:e:/m.test(listing), listing);

    const keyring = readSecretKeyring(store.gnupgHome);
    assert(keyring);
    assertEquals(new Set(keyring.secret), await gpgSecretIds(store));
    for (
      const path of ["rsa/openrouter/main", "revoked/openrouter/main", "expired/openrouter/main"]
    ) {
      assertEquals(ownership(store, path, keyring), "yours", path);
      assertEquals(await store.show(path), OPENROUTER, path);
    }
  } finally {
    await store.cleanup();
  }
});

/** A key created at a past `time` whose subkeys expired a day later; its fingerprint. */
async function addOwnKeyAt(store: TestStore, time: string): Promise<string> {
  const uid = `keyz old <old-${time}@example.invalid>`;
  await gpg(store, [
    "--faked-system-time",
    `${time}!`,
    "--quick-gen-key",
    uid,
    "future-default",
    "default",
    "1d",
  ]);
  const list = await gpg(store, ["--with-colons", "--list-keys", `=${uid}`]);
  return list.stdout.split("\n").find((l) => l.startsWith("fpr:"))!.split(":")[9];
}

Deno.test("every key algorithm keyz computes a keygrip for agrees with gpg-agent's file names", async () => {
  const store = await makeStore();
  try {
    const subkeys = [
      ["nistp256", "encr"],
      ["nistp384", "encr"],
      ["nistp521", "encr"],
      ["brainpoolP256r1", "encr"],
      ["brainpoolP384r1", "encr"],
      ["brainpoolP512r1", "encr"],
      ["secp256k1", "encr"],
      ["nistp256/ecdsa", "sign"],
      ["elg1024", "encr"],
      ["rsa1024", "encr"],
      ["rsa1024", "sign"],
    ];
    for (const [algo, usage] of subkeys) {
      await gpg(store, ["--quick-add-key", store.fingerprint, algo, usage, "never"]);
    }
    await addOwnKey(store, "dsa1024");
    const keyring = readSecretKeyring(store.gnupgHome);
    assert(keyring);
    assertEquals(keyring.undecided.size, 0);
    assertEquals(keyring.known.size, subkeys.length + 3);
    assertEquals(new Set(keyring.secret), await gpgSecretIds(store));
  } finally {
    await store.cleanup();
  }
});

Deno.test("readSecretKeyring: cannot tell -> undefined; legacy pubring.gpg; the stamp", async () => {
  const store = await makeStore();
  try {
    const home = store.gnupgHome;
    assertEquals(readSecretKeyring(join(store.dir, "nowhere")), undefined);
    const stamp = keyringStamp(home);
    assertEquals(keyringStamp(home), stamp);
    const keyring = readSecretKeyring(home);
    assert(keyring);
    assertEquals(keyring.stamp, stamp);

    // A key added changes the stamp (pubring.kbx replaced, a file added to private-keys-v1.d).
    await new Promise((r) => setTimeout(r, 10));
    await addTeammate(store);
    assert(keyringStamp(home) !== stamp);

    // gpg 2.4's keyboxd keeps keys in SQLite; other keyrings may be named in gpg.conf.
    await Deno.writeTextFile(join(home, "common.conf"), "use-keyboxd\n");
    assertEquals(readSecretKeyring(home), undefined);
    await Deno.remove(join(home, "common.conf"));
    await Deno.writeTextFile(join(home, "gpg.conf"), "# keyring\nkeyring /elsewhere/pubring.kbx\n");
    assertEquals(readSecretKeyring(home), undefined);
    await Deno.writeTextFile(join(home, "gpg.conf"), "# keyring elsewhere\nkeyid-format long\n");
    assert(readSecretKeyring(home));

    // The legacy format, as gpg 2.2 still uses it when only pubring.gpg exists.
    const exported = await gpg(store, ["--export"]);
    await Deno.writeFile(join(home, "pubring.gpg"), exported.bytes);
    await Deno.remove(join(home, "pubring.kbx"));
    const legacy = readSecretKeyring(home);
    assert(legacy);
    assertEquals(legacy.secret, keyring.secret);
    assertEquals(legacy.complete, true);

    // No secret key files: maybe a forwarded gpg-agent holds them, so keyz cannot tell.
    await Deno.rename(join(home, "private-keys-v1.d"), join(home, "private-keys-v1.d.away"));
    assertEquals(readSecretKeyring(home), undefined);
  } finally {
    await store.cleanup();
  }
});

Deno.test("passGnupgHome: pass's environment, unless its gpg options point elsewhere", () => {
  assertEquals(passGnupgHome({ GNUPGHOME: "/demo/gnupg" }), "/demo/gnupg");
  const opts = (o: string) => passGnupgHome({ GNUPGHOME: "/g", PASSWORD_STORE_GPG_OPTS: o });
  assertEquals(opts("--armor --pinentry-mode loopback"), "/g");
  assertEquals(opts("--homedir /elsewhere"), undefined);
  assertEquals(opts("--quiet --keyring=/team.kbx"), undefined);
  assertEquals(opts("--no-default-keyring"), undefined);
});

Deno.test("ownershipOf: the rules", () => {
  const keyring: SecretKeyring = {
    secret: new Set(["AAAAAAAAAAAAAAAA"]),
    undecided: new Set(["CCCCCCCCCCCCCCCC"]),
    known: new Set(["AAAAAAAAAAAAAAAA", "BBBBBBBBBBBBBBBB", "CCCCCCCCCCCCCCCC"]),
    complete: true,
    stamp: "",
  };
  assertEquals(ownershipOf(["AAAAAAAAAAAAAAAA"], keyring), "yours");
  assertEquals(ownershipOf(["BBBBBBBBBBBBBBBB", "AAAAAAAAAAAAAAAA"], keyring), "yours");
  assertEquals(ownershipOf([ANYONE, "AAAAAAAAAAAAAAAA"], keyring), "yours");
  assertEquals(ownershipOf(["BBBBBBBBBBBBBBBB"], keyring), "not_yours");
  assertEquals(ownershipOf(["DDDDDDDDDDDDDDDD"], keyring), "not_yours");
  assertEquals(ownershipOf(["BBBBBBBBBBBBBBBB", ANYONE], keyring), "unknown");
  assertEquals(ownershipOf(["CCCCCCCCCCCCCCCC"], keyring), "unknown");
  assertEquals(ownershipOf(["DDDDDDDDDDDDDDDD"], { ...keyring, complete: false }), "unknown");
  assertEquals(ownershipOf(["BBBBBBBBBBBBBBBB"], { ...keyring, complete: false }), "not_yours");
  assertEquals(ownershipOf([], keyring), "unknown");
  assertEquals(ownershipOf(undefined, keyring), "unknown");
  assertEquals(ownershipOf(["AAAAAAAAAAAAAAAA"], undefined), "unknown");
});

// ---------------------------------------------------------------------------------------------
// Packets built by hand: every header form, and hostile bytes.

const bytes = (...parts: (number | number[] | Uint8Array)[]) =>
  Uint8Array.from(parts.flatMap((p) => typeof p === "number" ? [p] : [...p]));
const hex = (h: string) =>
  Array.from({ length: h.length / 2 }, (_, i) => parseInt(h.slice(2 * i, 2 * i + 2), 16));
const ID_A = "0123456789ABCDEF";
const ID_B = "FEDCBA9876543210";
/** A v3 PKESK body for an ECDH key: version, key id, algorithm, then some session key bytes. */
const pkesk3 = (id: string, filler = 40) => bytes(3, hex(id), 18, new Array(filler).fill(7));
/** New-format header with a one-octet length, and the start of an encrypted data packet. */
const newPacket = (tag: number, body: Uint8Array) => bytes(0xc0 | tag, body.length, body);
const DATA = bytes(0xd2, 0x05, 1, 2, 3, 4, 5);

Deno.test("recipientsOf: header forms, v6 PKESKs, markers and partial lengths", () => {
  assertEquals(recipientsOf(bytes(newPacket(1, pkesk3(ID_A)), DATA)), [ID_A]);
  // Old format: one-, two- and four-octet lengths.
  const body = pkesk3(ID_A, 300);
  assertEquals(recipientsOf(bytes(0x84, 20, pkesk3(ID_B, 10), DATA)), [ID_B]);
  assertEquals(recipientsOf(bytes(0x85, body.length >> 8, body.length & 0xff, body, DATA)), [ID_A]);
  assertEquals(recipientsOf(bytes(0x86, 0, 0, body.length >> 8, body.length & 0xff, body, DATA)), [
    ID_A,
  ]);
  // New format: two- and five-octet lengths.
  const two = body.length - 192;
  assertEquals(recipientsOf(bytes(0xc1, (two >> 8) + 192, two & 0xff, body, DATA)), [ID_A]);
  assertEquals(
    recipientsOf(bytes(0xc1, 255, 0, 0, body.length >> 8, body.length & 0xff, body, DATA)),
    [ID_A],
  );
  // Partial lengths: 256 + 32 + the rest (300+10 bytes in all).
  const chunked = bytes(
    0xc1,
    0xe8,
    body.subarray(0, 256),
    0xe5,
    body.subarray(256, 288),
    body.length - 288,
    body.subarray(288),
  );
  assertEquals(recipientsOf(bytes(chunked, DATA)), [ID_A]);
  // A marker packet first, two recipients, the data in partial chunks (as gpg streams it).
  assertEquals(
    recipientsOf(
      bytes(
        0xa8,
        3,
        0x50,
        0x47,
        0x50,
        newPacket(1, pkesk3(ID_A)),
        newPacket(1, pkesk3(ID_B)),
        0xd2,
        0xe9,
        1,
        2,
      ),
    ),
    [ID_A, ID_B],
  );
  // v6 PKESK: a v4 key's fingerprint (key id = its last 8 bytes), a v6 key's (its first 8).
  const fpr4 = hex("00112233445566778899AABB" + ID_B);
  const fpr6 = hex(ID_A + "00".repeat(24));
  assertEquals(recipientsOf(bytes(newPacket(1, bytes(6, 21, 4, fpr4, 18, 1, 2)), DATA)), [ID_B]);
  assertEquals(recipientsOf(bytes(newPacket(1, bytes(6, 33, 6, fpr6, 25, 1, 2)), DATA)), [ID_A]);
  assertEquals(recipientsOf(bytes(newPacket(1, bytes(6, 0, 25, 1, 2)), DATA)), [ANYONE]);
  // Hidden (wildcard) key id, an unknown PKESK version, and a passphrase: someone unnamed.
  assertEquals(recipientsOf(bytes(newPacket(1, pkesk3("0000000000000000")), DATA)), [ANYONE]);
  assertEquals(
    recipientsOf(bytes(newPacket(1, bytes(9, 1, 2, 3)), newPacket(1, pkesk3(ID_A)), DATA)),
    [ANYONE, ID_A],
  );
  assertEquals(recipientsOf(bytes(newPacket(3, bytes(4, 9, 3, 8, 1)), DATA)), [ANYONE]);
});

Deno.test("keyringKeys: v3 keys skipped, unknown algorithms undecided, v5/v6 keys incomplete", () => {
  const key = (version: number, algo: number) =>
    newPacket(
      6,
      bytes(
        version,
        0x60,
        0,
        0,
        0,
        ...(version === 4 ? [] : [0, 0, 0, 0]),
        algo,
        new Array(32).fill(9),
      ),
    );
  const x25519 = keyringKeys(key(4, 25)); // RFC 9580 X25519 in a v4 key: no keygrip computed
  assertEquals(x25519.complete, true);
  assertEquals(x25519.keys.length, 1);
  assertEquals(x25519.keys[0].keygrip, undefined);
  assertEquals(x25519.keys[0].keyId, x25519.keys[0].fingerprint.slice(24));
  assertEquals(
    keyringKeys(bytes(newPacket(6, bytes(3, 0, 0, 0, 0, 0, 0, 1, 1, 1)), key(4, 25))).keys.length,
    1,
  );
  assertEquals(keyringKeys(bytes(key(4, 25), key(6, 25))).complete, false);
  assertEquals(keyringKeys(bytes(key(5, 22))).complete, false);
  assertEquals(keyringKeys(bytes(newPacket(6, bytes(4, 0, 0)))).complete, false);
  // User ids and signatures are skipped whatever they hold.
  assertEquals(
    keyringKeys(bytes(newPacket(13, bytes(0xff, 0xfe)), newPacket(2, bytes(4)))).complete,
    true,
  );
});

Deno.test("recipientsOf: garbage, truncation and huge lengths give undefined, never a throw", () => {
  const good = bytes(newPacket(1, pkesk3(ID_A)), newPacket(1, pkesk3(ID_B)), DATA);
  assertEquals(recipientsOf(good), [ID_A, ID_B]);
  for (let n = 0; n < good.length - DATA.length; n++) {
    assertEquals(recipientsOf(good.subarray(0, n)), undefined, `truncated to ${n}`);
  }
  assertEquals(recipientsOf(new Uint8Array()), undefined);
  assertEquals(recipientsOf(new TextEncoder().encode("sk-or-v1-not encrypted\n")), undefined);
  assertEquals(recipientsOf(bytes(newPacket(1, pkesk3(ID_A)))), undefined); // no encrypted data
  assertEquals(recipientsOf(DATA), undefined); // no recipient
  assertEquals(recipientsOf(bytes(newPacket(11, bytes(1, 2, 3)), DATA)), undefined); // literal data
  assertEquals(
    recipientsOf(bytes(0xc1, 255, 0xff, 0xff, 0xff, 0xff, pkesk3(ID_A), DATA)),
    undefined,
  );
  assertEquals(recipientsOf(bytes(0x87, pkesk3(ID_A), DATA)), undefined); // indeterminate length
  // Partial chunks adding up past the cap, and endless one-byte chunks.
  assertEquals(recipientsOf(bytes(0xc1, 0xfe, new Uint8Array(100_000))), undefined);
  assertEquals(
    recipientsOf(bytes(0xc1, new Array(50_000).fill([0xe0, 1]).flat(), DATA)),
    undefined,
  );
  // 100,000 marker packets: bounded.
  assertEquals(recipientsOf(bytes(new Array(100_000).fill([0xca, 0]).flat(), DATA)), undefined);
  const armorGarbage = "-----BEGIN PGP MESSAGE-----\n\n!!!!\n-----END PGP MESSAGE-----\n";
  assertEquals(recipientsOf(new TextEncoder().encode(armorGarbage)), undefined);

  // Random bytes, and random damage to a good message.
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 3000; i++) {
    const buf = i % 2
      ? Uint8Array.from({ length: 1 + Math.floor(rand() * 300) }, () => rand() * 256)
      : good.slice();
    if (i % 2 === 0) {
      for (let k = 0; k < 3; k++) buf[Math.floor(rand() * buf.length)] = rand() * 256;
    }
    const r = recipientsOf(buf);
    assert(r === undefined || r.every((id) => /^[0-9A-F]{16}$/.test(id)), String(r));
  }
});

Deno.test("recipientsOfFile: reads a bounded head; not a file -> undefined", async () => {
  const dir = await Deno.makeTempDir({ prefix: "keyz-recipients-" });
  try {
    const huge = join(dir, "huge.gpg");
    const f = await Deno.open(huge, { write: true, create: true });
    await f.write(bytes(newPacket(1, pkesk3(ID_A)), 0xd2, 0xff, 0x7f, 0xff, 0xff, 0xff));
    await f.truncate(200 * 1024 * 1024); // sparse: 200 MB of encrypted data, as far as keyz knows
    f.close();
    assertEquals(recipientsOfFile(huge), [ID_A]);
    const zeros = join(dir, "zeros.gpg");
    await Deno.writeFile(zeros, new Uint8Array(1024 * 1024));
    assertEquals(recipientsOfFile(zeros), undefined);
    assertEquals(recipientsOfFile(join(dir, "missing.gpg")), undefined);
    assertEquals(recipientsOfFile(dir), undefined);
    await Deno.symlink("/dev/zero", join(dir, "dev.gpg"));
    assertEquals(recipientsOfFile(join(dir, "dev.gpg")), undefined);
    const fifo = new Deno.Command("mkfifo", { args: [join(dir, "fifo.gpg")] }).outputSync();
    if (fifo.success) assertEquals(recipientsOfFile(join(dir, "fifo.gpg")), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSecretKeyring: a damaged keyring never throws, and a cut one says so", async () => {
  const store = await makeStore({ entries: { "ai/openrouter/main": OPENROUTER } });
  try {
    await addTeammate(store);
    const kbx = join(store.gnupgHome, "pubring.kbx");
    const good = await Deno.readFile(kbx);
    const blobEnds = new Set<number>();
    for (let pos = 0; pos < good.length;) {
      pos += new DataView(good.buffer, pos).getUint32(0);
      blobEnds.add(pos);
    }
    assert(blobEnds.size >= 3 && blobEnds.has(good.length), "header blob + our key + teammate");
    // Cut anywhere inside a blob: keyz knows it missed something, so our entry stays ours or
    // unknown, never not_yours.
    for (let n = 1; n < good.length; n += 5) {
      if (blobEnds.has(n)) continue;
      Deno.writeFileSync(kbx, good.subarray(0, n));
      const keyring = readSecretKeyring(store.gnupgHome);
      assert(keyring === undefined || !keyring.complete, `cut at ${n}`);
      assert(ownership(store, "ai/openrouter/main", keyring) !== "not_yours", `cut at ${n}`);
    }
    // Random damage: never a throw, only well-formed ids.
    let seed = 7;
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300; i++) {
      const buf = good.slice();
      for (let k = 0; k < 4; k++) buf[Math.floor(rand() * buf.length)] = rand() * 256;
      Deno.writeFileSync(kbx, buf);
      const keyring = readSecretKeyring(store.gnupgHome);
      for (const id of keyring?.known ?? []) assert(/^[0-9A-F]{16}$/.test(id), id);
    }
    Deno.writeFileSync(kbx, new Uint8Array(4096).fill(0xff));
    assertEquals(readSecretKeyring(store.gnupgHome)?.complete ?? false, false);
  } finally {
    await store.cleanup();
  }
});

Deno.test("isNoSecretKeyError: gpg's lines only", () => {
  assert(isNoSecretKeyError("gpg: decryption failed: No secret key\n"));
  assert(
    isNoSecretKeyError(
      "gpg: encrypted with 255-bit ECDH key, ID 1234\ngpg: decryption failed: No secret key\r\n",
    ),
  );
  assert(isNoSecretKeyError("gpg: Entschlüsselung fehlgeschlagen: No secret key\n"));
  assert(isNoSecretKeyError("gpg2: decryption failed: No secret key"));
  assert(!isNoSecretKeyError(""));
  assert(!isNoSecretKeyError("gpg: decryption failed: Bad session key\n"));
  assert(!isNoSecretKeyError("gpg: public key decryption failed: Operation cancelled\n"));
  assert(!isNoSecretKeyError("Error: team/No secret key is not in the password store.\n"));
  // A user id gpg quotes is chosen by its owner.
  assert(!isNoSecretKeyError('      "gpg: decryption failed: No secret key"\n'));
  assert(!isNoSecretKeyError('gpg: encrypted for "x: No secret key"\n'));
});
