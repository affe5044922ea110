/**
 * `keyz help [topic|command]`: command pages are commander's own `--help` text (one source);
 * topics are the pages below. docs/commands.md is generated from both (src/cli/reference.ts,
 * `deno task schema`).
 */
import { KeyzError } from "../errors.ts";
import { writeStdout } from "./output.ts";
import { refusedEnvNamesDoc } from "../keyenv/names.ts";

export const HELP_TOPICS: Record<string, { title: string; body: string }> = {
  "exit-codes": {
    title: "Exit codes (stable; scripts may rely on them)",
    body: `
  0    ok; for check: no key needs attention
  1    attention: a key failed to sync, or check found something
  2    usage: bad arguments, bad configuration or manifest, unknown path
  3    store: pass or gpg failed (cannot decrypt, no store)
  4    git: recording the sidecars in git failed (the files are written)
  5    locked: another keyz holds the store lock
  6    no terminal: the command needs one
  130  interrupted (Ctrl-C)

Errors are one line on stderr: keyz: <what happened> (<what to do>).
`,
  },
  check: {
    title: "keyz check: thresholds, issues and cron",
    body: `
keyz check reads only the sidecars (no network, no decryption) and reports, per key:
  low_balance   balance (or remaining limit) below min_balance
  expired       expires_at has passed (key sidecar or provider figure)
  expiring      expires within expiring_within
  stale         last good sync older than stale_after
  never_synced  mapped, never synced (only when a stale threshold is set)
  error         last sync failed, or a sidecar file is unreadable
  disabled      the provider says the key cannot be used

Thresholds, the first one set wins:
  command line (--min-balance, --expiring-within, --stale-after): what you type wins
  key sidecar low_balance             keyz edit --low-balance, or e in the browser
  .keyz/config.jsonc keys.<path>      {"min_balance": 5, "expiring_within_days": 7, "stale_after_hours": 24}
  .keyz/config.jsonc providers.<id>
  provider manifest lowBalance
  .keyz/config.jsonc thresholds       store-wide defaults
A balance at or below 0 is low without any threshold; expiring defaults to 14 days.

Durations: 30m, 12h, 7d, 2w (a bare number is days).
Exit: 0 all fine, 1 something needs attention, 2 usage error (--format prometheus: 0 once the
metrics are written; see keyz help prometheus).

Cron:   keyz sync --all --stale >/dev/null; keyz check --min-balance 5 --stale-after 1d
CI:     keyz sync --all && keyz check --min-balance 5
`,
  },
  prometheus: {
    title: "keyz check --format prometheus",
    body: `
Prints the Prometheus text exposition format, one series per key, labels path and provider
(and currency where it applies):
  keyz_up                             1 last sync ok, 0 failed or never
  keyz_balance                        balance or remaining limit
  keyz_spend                          spend over the provider's window
  keyz_quota_used_percent
  keyz_last_sync_timestamp_seconds    last successful sync
  keyz_expires_timestamp_seconds
  keyz_attention                      number of check issues

node_exporter textfile collector, from cron:
  keyz sync --all --stale -q; keyz check --format prometheus --output /var/lib/node_exporter/textfile/keyz.prom

--output writes a temp file in the same folder and renames it over keyz.prom, so the collector
never reads half a file. The exit code is 0 once the metrics are written (what needs attention
is in them: alert on keyz_attention > 0 or keyz_up == 0); 2 for a usage error or a file that
cannot be written. Without --output the metrics go to stdout.
`,
  },
  env: {
    title: "keyz env: keys as environment variables",
    body: `
  keyz env PATH|FOLDER|NAME=PATH... [--provider ID] [--use PATH] [--format sh|fish|dotenv|json]

Decrypts only the selected keys and prints quoted assignments. Each key's variable is its
key sidecar's env, else its provider's usual one (e.g. OPENROUTER_API_KEY); NAME=PATH names
it. Two keys claiming one variable is an error unless --use PATH or NAME=PATH picks one.
Keys are refused on a terminal (use eval, a pipe or a file; --force overrides).

Names that make a shell, the dynamic loader, an interpreter or a common tool run code, read
its settings from elsewhere or send its traffic elsewhere are never set: a key sidecar's or
provider's env naming one is passed over with a warning (the provider's name is used if it
is allowed), and NAME=PATH with one is refused. Compared case-insensitively (zsh ties path
to PATH); a name ending in * is a prefix, one starting with * a suffix:
  ${refusedEnvNamesDoc(88).join("\n  ")}

  eval "$(keyz env api/openrouter)"                        # sh, bash, zsh
  keyz env --format fish api/openrouter | source           # fish
  keyz env --format dotenv api/ > .env                     # dotenv
  keyz env OPENAI_API_KEY=work/openai/ci --format json

direnv (.envrc):
  eval "$(keyz env api/openrouter)"
`,
  },
  run: {
    title: "keyz-run: a command with keys in its environment",
    body: `
  keyz-run PATH|FOLDER|NAME=PATH... [--provider ID] [--use PATH] -- COMMAND [ARG...]

keyz may start only pass and git (deno.json), so starting COMMAND is done by the small POSIX
wrapper keyz-run (bin/keyz-run): it runs \`keyz env --format sh\` into a pipe (the key never
reaches the terminal), evaluates it and execs COMMAND, so COMMAND's exit code and signals are
its own. COMMAND inherits your environment plus the keys. \`deno task install\` and the release
archives put it beside keyz; it runs the keyz beside it, else keyz on PATH (KEYZ_BIN names
another). In scripts, Makefiles and cron, write keyz-run.

  keyz-run api/openrouter -- python agent.py
  keyz-run OPENAI_API_KEY=work/openai/ci -- npm test
  keyz-run api/ --use api/openai/main -- ./deploy.sh

To type \`keyz run\` in an interactive shell, load the shell integration (it also loads the
completions), then \`keyz run ARGS...\` is \`keyz-run ARGS...\`:
  eval "$(keyz init bash)"      # ~/.bashrc
  eval "$(keyz init zsh)"       # ~/.zshrc, after compinit
  keyz init fish | source       # ~/.config/fish/config.fish
Without it, \`keyz run\` checks the selection and points here in one line.
`,
  },
  keys: {
    title: "Which entries keyz treats as keys",
    body: `
Most entries of a pass store are ordinary passwords; keyz decrypts nothing because it exists,
and sends nothing that does not have its provider's key shape. Each entry is one of:

  key (auto)      a path segment is a provider's own id or alias (api/deepseek/main,
                  work/kimi); keyz providers list --json shows the aliases
  key (explicit)  keyz map PATH PROVIDER (kept in .keyz/map.json)
  ignored         keyz ignore PATH|FOLDER|GLOB (.keyz/config.jsonc "ignore"; wins over both);
                  never decrypted. keyz unignore RULE undoes it
  not a key       a sync decrypted it and its first line does not have the provider's key
                  shape: nothing sent, remembered (untracked) until the entry changes
  not yours       encrypted only for someone else's gpg key (a teammate's folder): told
                  without decrypting; never decrypted, nothing written
  other           none of these: not listed by keyz ls (keyz ls --all), never synced

keyz show PATH says which, and why. keyz unmap PATH removes an explicit mapping and, when the
entry would still be a key by its name, ignores it (it says so).

keyz discover [FOLDER] finds keys filed where no name finds them: it decrypts the entries that
are still "other" (never ignored ones, never a teammate's), and proposes a mapping where exactly
one provider's documented key shape matches (sk-or-v1-..., sk-ant-..., ghp_..., AIza...),
showing at most the provider and the key's last 4 characters. Nothing goes over the network.
On a terminal it asks (y/N) before writing .keyz/map.json; without one it only lists, unless
--apply.

  keyz discover
  keyz discover web --apply
  keyz ignore bank 'web/*/github'
`,
  },
  json: {
    title: "--json output shapes",
    body: `
Every reporting command prints one JSON document with --json; its JSON Schema is in
schema/output/: sync, ls, show, check, discover, history, doctor, providers-list,
providers-trust, map, unmap, ignore (also unignore), edit, env (keyz env --format json).
Fields are only ever added, never renamed or removed.
`,
  },
  completions: {
    title: "Shell completions",
    body: `
  bash:  eval "$(keyz completions bash)"               # in ~/.bashrc
  zsh:   eval "$(keyz completions zsh)"                # in ~/.zshrc, after compinit
  fish:  keyz completions fish > ~/.config/fish/completions/keyz.fish

keyz init bash|zsh|fish loads them too (with keyz run); the release archives carry them in
share/bash-completion, share/zsh/site-functions and share/fish/vendor_completions.d.

Completes commands, options, provider ids and pass paths (file names only; nothing is
decrypted) for keyz and keyz-run (after --, the command's own completion); unmap and edit
offer the entries keyz recognises as keys, unignore the ignore rules. Each TAB runs keyz once.
`,
  },
};

export function topicNames(): string[] {
  return Object.keys(HELP_TOPICS).sort();
}

export function topicText(name: string): string | undefined {
  const t = HELP_TOPICS[name];
  return t ? `${t.title}\n${t.body}` : undefined;
}

interface HelpTree {
  commands: readonly HelpTree[];
  name(): string;
  helpInformation(): string;
}

/** `keyz help`, `keyz help sync`, `keyz help providers list`, `keyz help exit-codes`. */
export function helpCommand(program: HelpTree, words: string[]): Promise<number> {
  const write = (t: string) => writeStdout(t);
  if (words.length === 0) {
    write(program.helpInformation());
    write(`\nTopics (keyz help <topic>): ${topicNames().join(", ")}\n`);
    return Promise.resolve(0);
  }
  if (words.length === 1 && (words[0] === "topics")) {
    for (const n of topicNames()) write(`  ${n.padEnd(12)} ${HELP_TOPICS[n].title}\n`);
    return Promise.resolve(0);
  }
  const topic = words.length === 1 ? topicText(words[0]) : undefined;
  if (topic) {
    write(topic);
    return Promise.resolve(0);
  }
  let cmd: HelpTree = program;
  for (const w of words) {
    const sub = cmd.commands.find((c) => c.name() === w && !w.startsWith("__"));
    if (!sub) {
      return Promise.reject(
        new KeyzError("usage", `no help for "${words.join(" ")}"`, "see `keyz help topics`"),
      );
    }
    cmd = sub;
  }
  write(cmd.helpInformation());
  return Promise.resolve(0);
}
