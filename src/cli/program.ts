/** The whole command tree in one place; each action lives in its own file. */
import { Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { GIT_MODES } from "../git/git.ts";
import { syncCommand } from "./sync.ts";
import { lsCommand, showCommand } from "./ls.ts";
import { mapCommand, unmapCommand } from "./map.ts";
import {
  providersCheckCommand,
  providersListCommand,
  providersShowCommand,
  providersTrustCommand,
} from "./providers.ts";
import { setVerbosity } from "./output.ts";

export const VERSION = "0.1.0";

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new InvalidArgumentError("must be a whole number from 1 to 256");
  }
  return n;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Build the program. `setExit` receives each action's exit code. */
export function buildProgram(setExit: (code: number) => void) {
  const run = <A extends unknown[]>(fn: (...a: A) => Promise<number>) => async (...a: A) =>
    setExit(await fn(...a));
  const program = new Command()
    .name("keyz")
    .description("Account balances, spend and quotas for the API keys in your pass store.")
    .version(VERSION, "-V, --version")
    .option("-q, --quiet", "print only results and errors")
    .option("-v, --verbose", "print more about what happens")
    .exitOverride()
    // Commander's own error text is reprinted by main.ts as one `keyz: ...` line; help goes
    // to stdout. Set before any subcommand is added: subcommands copy these settings.
    .configureOutput({ outputError: () => {} })
    .hook("preAction", (cmd) => setVerbosity(cmd.opts()));

  program.command("sync")
    .description("fetch account metadata for keys and store it in the sidecars")
    .argument("[paths...]", "entries or folders (default with --all: every entry)")
    .option("-a, --all", "sync every key in the store")
    .option("-p, --provider <id>", "only keys of this provider")
    .option("--json", "print one JSON document on stdout")
    .option("-c, --concurrency <n>", "requests in flight at once", positiveInt, 8)
    .addOption(new Option("--git <mode>", "record changes in the store's git").choices(GIT_MODES))
    .addHelpText(
      "after",
      "\nExamples:\n  keyz sync --all\n  keyz sync api/openrouter --json\n  keyz sync --provider deepseek",
    )
    .action(run((paths, opts) => syncCommand(paths, opts)));

  program.command("ls")
    .description("list every key with provider, figure, state and age (no decryption, no network)")
    .option("--json", "print JSON")
    .addOption(
      new Option("--sort <by>", "sort order").choices(["name", "balance", "synced"] as const)
        .default("name" as const),
    )
    .option("-p, --provider <id>", "only keys of this provider")
    .addHelpText("after", "\nExamples:\n  keyz ls\n  keyz ls --sort balance --provider openrouter")
    .action(run((opts) => lsCommand(opts)));

  program.command("show")
    .description("everything known about one key (no decryption, no network)")
    .argument("<path>", "pass entry")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  keyz show api/deepseek/main")
    .action(run((path, opts) => showCommand(path, opts)));

  program.command("map")
    .description("link a key to a provider (stored in .keyz/map.json)")
    .argument("<path>", "pass entry")
    .argument("<provider>", "provider id or alias")
    .option(
      "--credential <pass-path>",
      "entry holding the admin/management key the account API needs",
    )
    .option(
      "--param <name=value>",
      "template variable for the manifest (repeatable)",
      collect,
      [] as string[],
    )
    .addHelpText(
      "after",
      "\nExamples:\n  keyz map work/llm openrouter\n  keyz map api/openai/main openai --credential api/openai/admin\n  keyz map cn/kimi moonshot --param region=cn",
    )
    .action(run((path, provider, opts) => mapCommand(path, provider, opts)));

  program.command("unmap")
    .description("remove a key's explicit mapping")
    .argument("<path>", "pass entry")
    .action(run((path) => unmapCommand(path)));

  const providers = program.command("providers").description(
    "list, show, check and trust provider manifests",
  );
  providers.command("list")
    .description("every loaded provider with its source, figure kind, key type and host")
    .option("--json", "print JSON")
    .action(run((opts) => providersListCommand(opts)));
  providers.command("show")
    .description("print a provider's manifest")
    .argument("<id>", "provider id or alias")
    .action(run((id) => providersShowCommand(id)));
  providers.command("check")
    .description(
      "validate a manifest file; with --response, map a saved response without any network",
    )
    .argument("<file>", "manifest .jsonc")
    .option("--response <file.json>", "a saved provider response to run the mapping over")
    .addHelpText(
      "after",
      "\nExample:\n  keyz providers check ./acme.jsonc --response ./acme-balance.json",
    )
    .action(run((file, opts) => providersCheckCommand(file, opts)));
  providers.command("trust")
    .description("allow a user or store manifest to receive keys (records its hash)")
    .argument("<id>", "provider id")
    .action(run((id) => providersTrustCommand(id)));

  return program;
}
