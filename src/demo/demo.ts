/**
 * `keyz demo`: everything keyz does, without a single real key. A temporary folder gets a
 * throwaway GnuPG home (the demo-only keyring in keyring.ts: keyz may spawn only pass and
 * git, so it cannot run gpg to make one), a real pass store with sample keys, and a loopback
 * server that answers like the providers. keyz syncs against it (in-process base-URL
 * override, nothing in the environment) and opens the browser. All of it is removed on exit.
 */
import { childEnv, clipTimeSeconds } from "../env.ts";
import { KeyzError } from "../errors.ts";
import { kyClient } from "../fetch/http.ts";
import { loadProviders } from "../providers/load.ts";
import { PassCliStore } from "../store/pass_cli.ts";
import { Sidecars } from "../sidecars/sidecars.ts";
import { SCHEMA_VERSION } from "../sidecars/schema.ts";
import { syncEntries } from "../sync/session.ts";
import { runProcess } from "../util/process.ts";
import { isoSeconds as iso } from "../util/time.ts";
import { browseWith, requireTerminal } from "../cli/browse.ts";
import { printListing } from "../cli/ls.ts";
import { out } from "../cli/output.ts";
import { DEMO_FINGERPRINT, DEMO_KEYRING } from "./keyring.ts";

/**
 * Sample entries: made-up keys in their providers' real shapes, one per situation the browser
 * shows, among ordinary passwords (which keyz leaves alone).
 */
const ENTRIES: Record<string, string> = {
  "api/deepseek/main": "sk-0d3m0a1b2c3d4e5f60718293a4b5c6d7\n",
  "api/openrouter/team":
    "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\n",
  "work/kimi": "sk-D3moKimiA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0\n",
  "work/siliconflow": "sk-demorevokedabcdefghijklmnopqrstuvwxyzabcdefghijkl\n",
  "work/mistral": "D3moM1str4lA1b2C3d4E5f6G7h8I9j0K\n",
  "personal/wifi": "correct horse battery staple\n",
  "web/github": "hunter2-but-longer\nuser: demo\n",
};

const DAY = 86_400_000;

/** Answers in the providers' documented shapes (see tests/fixtures/providers). */
export function demoHandler(req: Request): Response {
  const path = new URL(req.url).pathname;
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
  switch (path) {
    case "/user/balance": // deepseek
      return json({
        is_available: true,
        balance_infos: [{
          currency: "CNY",
          total_balance: "110.00",
          granted_balance: "10.00",
          topped_up_balance: "100.00",
        }],
      });
    case "/api/v1/credits": // openrouter: nearly spent
      return json({ data: { total_credits: 10, total_usage: 9.58 } });
    case "/v1/users/me/balance": // moonshot
      return json({
        code: 0,
        data: { available_balance: 49.58894, voucher_balance: 46.58893, cash_balance: 3.00001 },
        scode: "0x0",
        status: true,
      });
    case "/v1/models": // mistral's key check: the key works
      return json({ object: "list", data: [{ id: "mistral-small-latest", object: "model" }] });
    case "/v1/user/info": // siliconflow: a revoked key
      return json({ code: 20001, message: "Invalid token", data: null }, 401);
    default:
      return json({ error: "not found" }, 404);
  }
}

async function writeKeyring(gnupgHome: string): Promise<void> {
  await Deno.mkdir(`${gnupgHome}/private-keys-v1.d`, { recursive: true, mode: 0o700 });
  await Deno.chmod(gnupgHome, 0o700);
  for (const f of DEMO_KEYRING) {
    const data = f.base64 !== undefined
      ? Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0))
      : new TextEncoder().encode(f.text ?? "");
    await Deno.writeFile(`${gnupgHome}/${f.path}`, data, { mode: 0o600 });
  }
}

async function pass(env: Record<string, string>, args: string[], stdin?: string): Promise<void> {
  const r = await runProcess("pass", args, { env, stdin });
  if (r.code !== 0) {
    throw new KeyzError(
      "store",
      `demo: pass ${args[0]} failed: ${r.stderr.trim().split("\n")[0] ?? r.code}`,
      "check that pass and gnupg are installed",
    );
  }
}

export interface DemoStore {
  dir: string;
  storeDir: string;
  configDir: string;
  gnupgHome: string;
  passEnv: Record<string, string>;
}

/** The throwaway store with sample keys and sidecars (notes, expiry, thresholds). */
export async function makeDemoStore(now: Date): Promise<DemoStore> {
  const dir = await Deno.makeTempDir({ prefix: "keyz-demo-" });
  const gnupgHome = `${dir}/gnupg`;
  const storeDir = `${dir}/store`;
  const configDir = `${dir}/config/keyz`;
  await writeKeyring(gnupgHome);
  const passEnv = childEnv({ GNUPGHOME: gnupgHome, PASSWORD_STORE_DIR: storeDir });
  await pass(passEnv, ["init", DEMO_FINGERPRINT]);
  for (const [path, content] of Object.entries(ENTRIES)) {
    await pass(passEnv, ["insert", "-m", "-f", path], content);
  }
  const sidecars = new Sidecars(storeDir);
  await sidecars.writeKey({
    schema_version: SCHEMA_VERSION,
    path: "api/deepseek/main",
    notes: "personal account, topped up by card",
    tags: ["personal"],
  });
  await sidecars.writeKey({
    schema_version: SCHEMA_VERSION,
    path: "work/kimi",
    notes: "team key; rotate before it expires",
    tags: ["work"],
    expires_at: iso(new Date(now.getTime() + 5 * DAY)),
    env: "KIMI_API_KEY",
  });
  await Deno.writeTextFile(
    `${storeDir}/.keyz/config.jsonc`,
    '// keyz demo: a balance under 1 (any currency) is "low".\n{ "thresholds": { "min_balance": 1 } }\n',
  );
  return { dir, storeDir, configDir, gnupgHome, passEnv };
}

export async function runDemo(opts: { browse: boolean }): Promise<number> {
  if (opts.browse) requireTerminal("demo");
  const now = new Date();
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    demoHandler,
  );
  const base = `http://127.0.0.1:${server.addr.port}`;
  let demo: DemoStore | undefined;
  const cleanup = async () => {
    await server.shutdown().catch(() => {});
    if (demo) await Deno.remove(demo.dir, { recursive: true }).catch(() => {});
  };
  try {
    demo = await makeDemoStore(now);
    const store = new PassCliStore(demo.storeDir, { GNUPGHOME: demo.gnupgHome });
    const sidecars = new Sidecars(demo.storeDir);
    const providers = await loadProviders({ storeDir: demo.storeDir });
    const baseUrlOverride = () => base;
    await syncEntries(
      {
        store,
        sidecars,
        providers,
        configDir: demo.configDir,
        http: kyClient,
        now: () => new Date(),
        baseUrlOverride,
        retryBaseMs: 0,
      },
      { paths: await store.list() },
    );
    if (opts.browse) {
      return await browseWith({
        storeDir: demo.storeDir,
        store,
        configDir: demo.configDir,
        baseUrlOverride,
        retryBaseMs: 0,
        childEnv: { ...childEnv(), GNUPGHOME: demo.gnupgHome },
        clipSeconds: clipTimeSeconds(),
      });
    }
    // --no-browse: exactly what `keyz ls` prints for the demo store.
    await printListing({ storeDir: demo.storeDir, configDir: demo.configDir }, { sort: "name" });
    out();
    out(`demo store ${demo.storeDir} (removed now); try it yourself: keyz demo`);
    return 0;
  } finally {
    await cleanup();
  }
}
