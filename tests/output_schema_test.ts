// Every --json output parses with its documented zod schema, and schema/output/*.schema.json
// are current (`deno task schema` writes them).
import { assertEquals } from "./support/assert.ts";
import { makeStore } from "./support/store.ts";
import { startServer } from "./support/server.ts";
import { assertNoSecret, ROOT, runKeyz } from "./support/cli.ts";
import {
  CheckOutput,
  DoctorOutput,
  EditOutput,
  EnvOutput,
  HistoryOutput,
  IgnoreOutput,
  LsOutput,
  MapOutput,
  outputSchemaFiles,
  ProvidersListOutput,
  ProvidersTrustOutput,
  ShowOutput,
  SyncOutput,
  UnmapOutput,
} from "../src/cli/output_schemas.ts";
import type { z } from "zod";
import { keyLike } from "./support/keys.ts";

Deno.test("schema/output/*.schema.json are current (run `deno task schema`)", async () => {
  for (const [path, text] of Object.entries(outputSchemaFiles())) {
    assertEquals(await Deno.readTextFile(`${ROOT}/${path}`), text, `${path} is stale`);
  }
});

Deno.test("every --json output matches its schema", async () => {
  const key = keyLike("deepseek", "CANARY-schema-deepseek");
  const store = await makeStore({
    git: true,
    entries: { "api/deepseek/main": key, "misc/other": "sk-CANARY-schema-other" },
  });
  const server = await startServer([{
    path: "/user/balance",
    body: { is_available: true, balance_infos: [{ currency: "CNY", total_balance: "1.00" }] },
  }]);
  try {
    const env = {
      ...store.env,
      KEYZ_RETRY_BASE_MS: "0",
      KEYZ_BASE_URL_DEEPSEEK: server.url,
    };
    const cases: [string[], z.ZodType, number][] = [
      [["sync", "--all", "--json"], SyncOutput, 0],
      [["ls", "--json"], LsOutput, 0],
      [["show", "api/deepseek/main", "--json"], ShowOutput, 0],
      [["check", "--min-balance", "5", "--json"], CheckOutput, 1],
      [["providers", "list", "--json"], ProvidersListOutput, 0],
      [["env", "--format", "json", "api/deepseek/main"], EnvOutput, 0],
      [["history", "api/deepseek/main", "--json"], HistoryOutput, 0],
      [["doctor", "--json"], DoctorOutput, 0],
      [["map", "misc/other", "deepseek", "--json"], MapOutput, 0],
      [["unmap", "misc/other", "--json"], UnmapOutput, 0],
      [["ignore", "misc", "--json"], IgnoreOutput, 0],
      [["unignore", "misc", "--json"], IgnoreOutput, 0],
      [["providers", "trust", "deepseek", "--json"], ProvidersTrustOutput, 0],
      [["edit", "api/deepseek/main", "--tag", "prod", "--json"], EditOutput, 0],
    ];
    for (const [args, schema, code] of cases) {
      const r = await runKeyz(args, { env });
      assertEquals(r.code, code, `${args.join(" ")}: ${r.stderr}`);
      schema.parse(JSON.parse(r.stdout));
      if (args[0] !== "env") assertNoSecret({ stdout: r.stdout, stderr: r.stderr }, [key]);
    }
  } finally {
    await server.close();
    await store.cleanup();
  }
});
