// Ordinary OS failures are not bugs (trust rule 8): a closed pipe ends quietly; `.keyz` or the
// store being a file, a read-only store and a full disk each give one line naming the path
// and the problem, with the store/environment exit code (3).
import { assert, assertEquals, assertMatch, assertNotMatch } from "./support/assert.ts";
import { makeStore, type TestStore } from "./support/store.ts";
import { keyzArgv, ROOT, runKeyz } from "./support/cli.ts";

const KEYS = {
  "api/deepseek/main": "sk-5d0c1e2f3a4b5c6d7e8f9a0b1c2d3e4f",
  "work/openrouter/team": `sk-or-v1-${"3c".repeat(32)}`,
};

let shared: Promise<TestStore> | undefined;
const store = () => shared ??= makeStore({ git: true, entries: KEYS });

function oneLine(r: { code: number; stderr: string }, re: RegExp): void {
  assertEquals(r.code, 3, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assertMatch(lines[0], re);
  assertNotMatch(r.stderr, /unexpected error|report this as a bug/);
}

let denoDir: Promise<string> | undefined;
/** The runner's DENO_DIR (keyz runs with a temp HOME; see support/cli.ts). */
function getDenoDir(): Promise<string> {
  denoDir ??= new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stderr: "null" })
    .output().then((o) => JSON.parse(new TextDecoder().decode(o.stdout)).denoDir as string);
  return denoDir;
}

async function sh(args: string[]): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(args[0], {
    args: args.slice(1),
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Run `fn` with `target` mounted as given; false (and nothing run) when mounting is not allowed. */
async function withMount(mount: string[], target: string, fn: () => Promise<void>) {
  if ((await sh(["mount", ...mount, target])).code !== 0) return false;
  try {
    await fn();
  } finally {
    const u = await sh(["umount", target]);
    assertEquals(u.code, 0, u.stderr);
  }
  return true;
}

Deno.test("a closed pipe ends quietly (keyz ls | head -1, keyz ls --json | head -c 1)", async () => {
  const s = await store();
  for (const args of [["ls"], ["ls", "--json"], ["help", "env"]]) {
    // The reader has gone before keyz writes: its first write meets a broken pipe.
    const child = new Deno.Command(Deno.execPath(), {
      args: keyzArgv(args),
      cwd: ROOT,
      clearEnv: true,
      env: { ...s.env, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: await getDenoDir() },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    await child.stdout.cancel();
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, `${args.join(" ")}: ${stderr}`);
    assertEquals(stderr, "", args.join(" "));
  }
  // And through a real shell pipeline.
  const line = await new Deno.Command("bash", {
    args: [
      "-c",
      `set -o pipefail; "$0" ${
        keyzArgv(["ls", "--json"]).map((a) => `'${a}'`).join(" ")
      } | head -c 1`,
      Deno.execPath(),
    ],
    cwd: ROOT,
    clearEnv: true,
    env: { ...s.env, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: await getDenoDir() },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(line.stderr), "");
  assertEquals(line.code, 0);
});

Deno.test(".keyz or the store being a file: one line naming it, exit 3", async () => {
  const s = await store();
  const file = `${s.dir}/not-a-folder`;
  await Deno.writeTextFile(file, "x\n");
  for (const args of [["ls"], ["ls", "--json"], ["sync", "--all"], ["doctor", "--fix"]]) {
    const r = await runKeyz(args, { env: { ...s.env, PASSWORD_STORE_DIR: file } });
    if (args[0] === "doctor") {
      assertEquals(r.code, 1, r.stderr);
      assertMatch(r.stdout, /no password store at .*not-a-folder/);
    } else oneLine(r, /not-a-folder is a file, not a password store folder/);
  }
  await Deno.writeTextFile(`${s.storeDir}/.keyz`, "x\n");
  try {
    for (const args of [["sync", "--all"], ["map", "api/deepseek/main", "deepseek"]]) {
      oneLine(await runKeyz(args, { env: s.env }), /\.keyz is a file where a folder is needed/);
    }
    // Readers see a store without keyz files.
    assertEquals((await runKeyz(["ls"], { env: s.env })).code, 0);
  } finally {
    await Deno.remove(`${s.storeDir}/.keyz`);
  }
});

Deno.test("a read-only store: one line naming the path, exit 3", async () => {
  const s = await store();
  const ran = await withMount(["--bind", "-o", "ro", s.storeDir], s.storeDir, async () => {
    // A plain bind mount ignores ro on older kernels: make sure it is read-only.
    await sh(["mount", "-o", "remount,bind,ro", s.storeDir]);
    const probe = await Deno.writeTextFile(`${s.storeDir}/probe`, "x").then(
      () => true,
      () => false,
    );
    assert(!probe, "the bind mount is writable");
    for (const args of [["sync", "--all"], ["map", "api/deepseek/main", "deepseek"]]) {
      oneLine(
        await runKeyz(args, { env: s.env }),
        /\.keyz cannot be written: read-only file system/,
      );
    }
    assertEquals((await runKeyz(["ls"], { env: s.env })).code, 0, "readers still read");
  });
  if (!ran) {
    // No mounting here (not root, or no CAP_SYS_ADMIN): the mapping itself is unit-tested in
    // store_files_test.ts ("OS failures map to one line ...").
  }
});

Deno.test("a full disk: one line naming the file, exit 3", async () => {
  const s = await store();
  const mnt = await Deno.makeTempDir({ prefix: "keyz-full-" });
  await withMount(["-t", "tmpfs", "-o", "size=256k", "tmpfs"], mnt, async () => {
    const storeDir = `${mnt}/store`;
    const cp = await sh(["cp", "-a", s.storeDir, storeDir]);
    assertEquals(cp.code, 0, cp.stderr);
    // Fill what is left.
    const filler = await Deno.open(`${mnt}/filler`, { write: true, create: true });
    try {
      const chunk = new Uint8Array(4096);
      for (;;) await filler.write(chunk);
    } catch {
      /* full */
    } finally {
      filler.close();
    }
    const env = { ...s.env, PASSWORD_STORE_DIR: storeDir };
    oneLine(
      await runKeyz(["sync", "--all"], { env }),
      /\/store\/\.keyz\/\S+ cannot be written: no space left on the device \(free some space/,
    );
  });
  await Deno.remove(mnt, { recursive: true });
});

Deno.test("os failures: cleanup", async () => {
  if (shared) await (await shared).cleanup();
});
