/** The whole command tree in one place; each action lives in its own file. */
import { Argument, Command, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { CommanderError } from "commander";
import { ExitCode, KeyzError } from "../errors.ts";
import { GIT_MODES } from "../git/git.ts";
import { setVerbosity } from "./output.ts";
import { historyCommand } from "./history.ts";
import { doctorCommand } from "./doctor.ts";

// Command modules are imported when their command runs, so start-up loads only what the
// invoked command needs (keyz ls should not pay for the HTTP stack).
const sync = () => import("./sync.ts");
const ls = () => import("./ls.ts");
const show = () => import("./show.ts");
const map = () => import("./map.ts");
const edit = () => import("./edit.ts");
const discover = () => import("./discover.ts");
const providersCli = () => import("./providers.ts");
const check = () => import("./check.ts");
const envCmd = () => import("./env_cmd.ts");
const runCmd = () => import("./run.ts");
const completions = () => import("./completions.ts");
const init = () => import("./init.ts");
const helpTopics = () => import("./help_topics.ts");
const browse = () => import("./browse.ts");
const demo = () => import("./demo.ts");

export const VERSION = "0.1.0";

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new InvalidArgumentError("must be a whole number from 1 to 256");
  }
  return n;
}

const collect = (v: string, prev: string[]) => [...prev, v];

// The key selection shared by `env` and `run`.
const providerOption = () =>
  new Option("-p, --provider <id>", "every key of this provider (repeatable)")
    .argParser(collect).default([] as string[]);
const useOption = () =>
  new Option("--use <path>", "the key that wins a variable claimed twice (repeatable)")
    .argParser(collect).default([] as string[]);

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
    .option(
      "--stale",
      "only keys that are due: not tried within their refresh interval (failing ones back off)",
    )
    .option("-p, --provider <id>", "only keys of this provider")
    .option("--json", "print one JSON document on stdout")
    .option("-c, --concurrency <n>", "requests in flight at once", positiveInt, 16)
    .addOption(new Option("--git <mode>", "record changes in the store's git").choices(GIT_MODES))
    .addHelpText(
      "after",
      "\nExamples:\n  keyz sync --all\n  keyz sync --all --stale      # from cron: only what is due\n  keyz sync api/openrouter --json\n  keyz sync --provider deepseek",
    )
    .action(run(async (paths, opts) => (await sync()).syncCommand(paths, opts)));

  program.command("ls")
    .description("list every key with provider, figure, state and age (no decryption, no network)")
    .option("--json", "print JSON")
    .option("-a, --all", "every entry, also those that are not keys")
    .addOption(
      new Option(
        "--sort <by>",
        "sort order (balance: lowest first within each currency, currencies A-Z, keys without a balance last; synced: newest first)",
      ).choices(["name", "balance", "synced"] as const)
        .default("name" as const),
    )
    .option("-p, --provider <id>", "only keys of this provider")
    .addHelpText("after", "\nExamples:\n  keyz ls\n  keyz ls --sort balance --provider openrouter")
    .action(run(async (opts) => (await ls()).lsCommand(opts)));

  program.command("show")
    .description("everything known about one entry (no decryption, no network)")
    .argument("<path>", "pass entry")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  keyz show api/deepseek/main")
    .action(run(async (path, opts) => (await show()).showCommand(path, opts)));

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
    .option("--json", "print the mapping as JSON")
    .action(run(async (path, provider, opts) => (await map()).mapCommand(path, provider, opts)));

  program.command("unmap")
    .description(
      "this entry is not a key: remove its mapping, and ignore it if its name is a provider's",
    )
    .argument("<path>", "pass entry")
    .option("--json", "print what changed as JSON")
    .action(run(async (path, opts) => (await map()).unmapCommand(path, opts)));

  program.command("edit")
    .description("set a key's notes, tags, expiry, env variable or low-balance threshold")
    .argument("<path>", "pass entry (a key)")
    .option("--note <text>", 'the key\'s notes ("" clears them)')
    .option("--tag <tag>", "add a tag (repeatable)", collect, [] as string[])
    .option("--untag <tag>", "remove a tag (repeatable)", collect, [] as string[])
    .option("--expires <date>", "when the key expires, e.g. 2026-12-31, or never")
    .option("--env <name>", 'the variable keyz env sets for it ("" for the provider\'s usual one)')
    .option("--low-balance <amount>", "flag a balance below this, or none")
    .option("--json", "print the key's edited fields as JSON")
    .addHelpText(
      "after",
      "\nThe same rules as the browser's edit (e). One commit of .keyz/ per edit.\n" +
        '\nExamples:\n  keyz edit api/deepseek/main --note "team budget" --tag prod --expires 2026-12-31\n' +
        "  keyz edit api/openai/main --env OPENAI_WORK_KEY --low-balance 10\n" +
        "  keyz edit api/openai/main --untag prod --expires never --low-balance none",
    )
    .action(run(async (path, opts) => (await edit()).editCommand(path, opts)));

  program.command("ignore")
    .description("never treat these entries as keys (never decrypted); kept in .keyz/config.jsonc")
    .argument("<paths...>", "entries, folders or globs (* within a segment, ** across)")
    .option("--json", "print the ignore list as JSON")
    .addHelpText("after", "\nExamples:\n  keyz ignore bank\n  keyz ignore 'web/*/github'")
    .action(run(async (paths, opts) => (await map()).ignoreCommand(paths, opts)));

  program.command("unignore")
    .description("remove ignore rules")
    .argument("<rules...>", "rules as `keyz ignore` added them")
    .option("--json", "print the ignore list as JSON")
    .action(run(async (rules, opts) => (await map()).unignoreCommand(rules, opts)));

  program.command("discover")
    .description(
      "find API keys among the entries that are not keys yet (decrypts them; sends nothing)",
    )
    .argument("[folder]", "only the entries below this folder (or this one entry)")
    .option("--apply", "map the keys found without asking")
    .option("--json", "print what was found as JSON (maps only with --apply)")
    .addHelpText(
      "after",
      "\nOnly documented key shapes count (e.g. sk-or-v1- + 64 hex); a key two providers' shapes\n" +
        "accept is reported, not proposed. Shows at most the provider and the key's last 4\n" +
        "characters. On a terminal it asks before mapping (y/N); without one it only lists,\n" +
        "unless --apply. Ignored entries and entries encrypted for someone else are never\n" +
        "decrypted.\n\nExamples:\n  keyz discover\n  keyz discover web --apply\n\nSee also: keyz help keys",
    )
    .action(run(async (folder, opts) => (await discover()).discoverCommand(folder, opts)));

  const providers = program.command("providers").description(
    "list, show, check and trust provider manifests",
  );
  providers.command("list")
    .description("every loaded provider with its source, figure kind, key type and host")
    .option("--json", "print JSON")
    .action(run(async (opts) => (await providersCli()).providersListCommand(opts)));
  providers.command("show")
    .description("print a provider's manifest as written (--json: as validated, with defaults)")
    .argument("<id>", "provider id or alias")
    .option("--json", "print the validated manifest as JSON")
    .action(run(async (id, opts) => (await providersCli()).providersShowCommand(id, opts)));
  providers.command("check")
    .description(
      "validate a manifest file; with --response, run the real fetcher over saved responses " +
        "(no network, no key)",
    )
    .argument("<file>", "manifest .jsonc")
    .option(
      "--response <[step=]file.json>",
      "a saved response for a step (repeatable: several for one step are its pages; a bare " +
        "file is the first step's)",
      collect,
      [] as string[],
    )
    .option(
      "--param <name=value>",
      "template variable, as `keyz map --param` gives it (repeatable)",
      collect,
      [] as string[],
    )
    .addHelpText(
      "after",
      "\nExamples:\n  keyz providers check ./acme.jsonc --response ./acme-balance.json\n" +
        "  keyz providers check ./acme.jsonc --response accounts=a.json --response balance=b.json",
    )
    .action(run(async (file, opts) => (await providersCli()).providersCheckCommand(file, opts)));
  providers.command("trust")
    .description("allow a user or store manifest to receive keys (records its hash)")
    .argument("<id>", "provider id")
    .option("-y, --yes", "trust without asking (needed without a terminal)")
    .option("--json", "print the keys it would receive and the hosts as JSON")
    .addHelpText(
      "after",
      "\nLists exactly which entries of the store would be sent to which host, then asks (y/N)\n" +
        "on a terminal; without one, --yes is needed. A changed manifest needs trusting again.\n" +
        "\nExamples:\n  keyz providers trust venice\n  keyz providers trust venice --yes --json",
    )
    .action(run(async (id, opts) => (await providersCli()).providersTrustCommand(id, opts)));

  program.helpCommand(false);
  program.command("check")
    .description("report keys that need attention: low balance, expiring, stale, errors (offline)")
    .argument("[paths...]", "entries or folders (default: every entry)")
    .option("--min-balance <amount>", "flag balances below this (in each key's currency)")
    .option("--expiring-within <duration>", "flag keys expiring within this, e.g. 7d")
    .option("--stale-after <duration>", "flag keys not synced successfully for this long, e.g. 1d")
    .option("-p, --provider <id>", "only keys of this provider")
    .addOption(
      new Option("--format <format>", "output format").choices(
        ["text", "json", "prometheus"] as const,
      ),
    )
    .option("--json", "same as --format json")
    .option(
      "-o, --output <file>",
      "write json or prometheus to this file atomically (temp + rename)",
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 all fine, 1 something needs attention, 2 usage error. --format prometheus\n" +
        "exits 0 once the metrics are written: what needs attention is in them (keyz_attention).\n" +
        "\nExamples:\n  keyz sync --all && keyz check --min-balance 5\n" +
        "  keyz check --expiring-within 7d --stale-after 1d --json\n" +
        "  keyz check --format prometheus --output /var/lib/node_exporter/textfile/keyz.prom\n" +
        "\nSee also: keyz help check, keyz help prometheus",
    )
    .action(run(async (paths, opts) => (await check()).checkCommand(paths, opts)));

  program.command("env")
    .description("print keys as quoted environment assignments for eval, direnv or .env files")
    .argument("[keys...]", "entries, folders or NAME=PATH")
    .addOption(
      new Option("-f, --format <format>", "output syntax").choices(
        ["sh", "fish", "dotenv", "json"] as const,
      ).default("sh" as const),
    )
    .addOption(providerOption())
    .addOption(useOption())
    .option("--force", "print even when stdout is a terminal")
    .addHelpText(
      "after",
      '\nExamples:\n  eval "$(keyz env api/openrouter)"\n' +
        "  keyz env --format fish api/openrouter | source\n" +
        "  keyz env OPENAI_API_KEY=work/openai/ci --format dotenv > .env\n" +
        '\ndirenv (.envrc):\n  eval "$(keyz env api/openrouter)"\n\nSee also: keyz help env',
    )
    .action(run(async (keys, opts) => (await envCmd()).envCommand(keys, opts)));

  program.command("run")
    .description("run a command with keys in its environment (through the keyz-run wrapper)")
    .argument("[keys...]", "entries, folders or NAME=PATH, then -- COMMAND [ARG...]")
    .addOption(providerOption())
    .addOption(useOption())
    .addHelpText(
      "after",
      "\nkeyz may start only pass and git, so the bin/keyz-run wrapper starts COMMAND:\n" +
        "  keyz-run api/openrouter -- python agent.py\n  keyz-run OPENAI_API_KEY=work/openai/ci -- npm test\n" +
        "\nSee also: keyz help run",
    )
    .action(run(async (keys, opts) => (await runCmd()).runCommand(keys, opts, Deno.args)));

  program.command("completions")
    .description("print the shell completion script for bash, zsh or fish")
    .addArgument(new Argument("<shell>", "shell").choices(["bash", "zsh", "fish"] as const))
    .addHelpText(
      "after",
      '\nExamples:\n  eval "$(keyz completions bash)"\n' +
        "  keyz completions fish > ~/.config/fish/completions/keyz.fish",
    )
    .action(run(async (shell) => (await completions()).completionsCommand(shell)));
  program.command("init")
    .description("shell integration: `keyz run` through keyz-run, and completions (eval it)")
    .addArgument(new Argument("<shell>", "shell").choices(["bash", "zsh", "fish"] as const))
    .addHelpText(
      "after",
      '\nAdd to your shell\'s start-up file:\n  eval "$(keyz init bash)"      # ~/.bashrc\n' +
        '  eval "$(keyz init zsh)"       # ~/.zshrc, after compinit\n' +
        "  keyz init fish | source       # ~/.config/fish/config.fish\n" +
        "\nThen `keyz run PATH -- COMMAND` works in that shell. Scripts and Makefiles do not read\n" +
        "these files: use keyz-run there.",
    )
    .action(run(async (shell) => (await init()).initCommand(shell)));
  program.command("__complete", { hidden: true })
    .argument("[words...]")
    .allowUnknownOption()
    .action(run(async (words) => (await completions()).completeCommand(program, words)));

  program.command("help")
    .description("help for a command or a topic (keyz help topics lists them)")
    .argument("[topic...]", "command (e.g. sync, providers list) or topic")
    .action(run(async (topic) => (await helpTopics()).helpCommand(program, topic)));

  program.command("history")
    .description("every recorded figure of a key over time, with burn rate and run-out date")
    .argument("<path>", "pass entry")
    .option("--json", "print JSON")
    .option("--since <date>", "only figures from this date (2026-01-31) or age (30d, 8w) on")
    .addHelpText(
      "after",
      "\nExamples:\n  keyz history api/deepseek/main\n  keyz history work/openrouter --since 30d --json",
    )
    .action(run((path, opts) => historyCommand(path, opts)));

  program.command("doctor")
    .description("check pass, gpg, git, the store, mappings, manifests and sidecars")
    .option("--fix", "repair what is safe: conflicted or broken sidecars, a stale lock")
    .option("--offline", "do not try to reach the provider hosts")
    .option("--json", "print JSON")
    .addHelpText(
      "after",
      "\nThe network check opens a TCP connection to each provider host your keys go to and\n" +
        "closes it: nothing is sent, no key. Hosts set by KEYZ_BASE_URL_<ID> are not tried.\n" +
        "\nExamples:\n  keyz doctor\n  keyz doctor --fix\n  keyz doctor --offline --json",
    )
    .action(run((opts) => doctorCommand(opts)));

  program.command("browse")
    .description("interactive tree of every key: figures, states, details, copy, sync, edit")
    .addHelpText(
      "after",
      "\nOpens without decrypting anything or using the network; then autosync syncs the keys that\n" +
        'are due in the background (a toggles it; "autosync": false in .keyz/config.jsonc or\n' +
        "~/.config/keyz/config.jsonc turns it off). Keys: ? inside the browser.\nExample:\n  keyz browse",
    )
    .action(run(async () => (await browse()).browseCommand()));

  program.command("demo")
    .description("try keyz on a throwaway store with sample keys and a local fake provider server")
    .option("--no-browse", "sync the demo store and print `keyz ls` instead of opening the browser")
    .addHelpText(
      "after",
      "\nNothing of yours is read or changed; everything is removed on exit.\nExample:\n  keyz demo",
    )
    .action(run(async (opts) => (await demo()).demoCommand(opts)));

  return program;
}

/** Parse and run with the full command tree; returns the exit code. */
export async function runProgram(args: string[]): Promise<number> {
  let code: number = ExitCode.ok;
  const program = buildProgram((c) => code = c);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    if (e.exitCode === 0) return ExitCode.ok;
    // No command given: commander has printed the help on stderr already.
    if (e.code === "commander.help") return ExitCode.usage;
    throw commanderError(e.message);
  }
  return code;
}

/**
 * Commander's message as one keyz line: its typo suggestion ("\n(Did you mean sync?)") becomes
 * the hint, so `keyz snyc` says `keyz: unknown command 'snyc' (did you mean sync?)`.
 */
export function commanderError(message: string): KeyzError {
  const text = message.replace(/^error: /, "");
  const m = /^([^\n]*)\s*\(Did you mean (.+?)\?\)\s*$/s.exec(text);
  if (m) return new KeyzError("usage", m[1].trim(), `did you mean ${m[2].trim()}?`);
  return new KeyzError("usage", text.replace(/\s*\n\s*/g, "; ").trim(), "see keyz --help");
}
