/**
 * Shell completion for bash, zsh and fish. The scripts are small and static; each TAB asks
 * keyz itself (`keyz __complete -- <words>`), which walks the commander tree, so commands and
 * options never drift from `--help`, and pass paths and provider ids come from the real
 * store (file names only, nothing is decrypted).
 */
import type { CommandUnknownOpts as Command, Option } from "@commander-js/extra-typings";
import { KeyzError } from "../errors.ts";
import { writeStdout } from "./output.ts";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = typeof SHELLS[number];

export type ValueKind = "path" | "key" | "rule" | "provider" | "shell" | "topic" | "none";

export interface CompletionData {
  paths(): Promise<string[]>;
  /** Entries keyz recognises as keys (mapped, or named after a provider): what unmap undoes. */
  keys(): Promise<string[]>;
  /** The store's ignore rules (what unignore takes). */
  rules(): Promise<string[]>;
  providers(): Promise<string[]>;
  topics(): string[];
}

/** Arguments whose names do not say what they complete, by command. */
const ARGUMENT_KINDS: Record<string, ValueKind> = {
  env: "path",
  run: "path",
  unmap: "key",
  edit: "key",
  unignore: "rule",
};

function findOption(cmd: Command, word: string): Option | undefined {
  const name = word.split("=")[0];
  return cmd.options.find((o) => o.long === name || o.short === name);
}

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

function subcommand(cmd: Command, word: string): Command | undefined {
  return cmd.commands.find((c) =>
    (c.name() === word || c.aliases().includes(word)) && !c.name().startsWith("__")
  );
}

function valueKindOfName(name: string): ValueKind {
  if (/path|folder|entr/i.test(name)) return "path";
  if (/provider|^id$/i.test(name)) return "provider";
  if (/shell/i.test(name)) return "shell";
  if (/topic/i.test(name)) return "topic";
  return "none";
}

function optionValueKind(o: Option): ValueKind | string[] {
  if (o.argChoices) return o.argChoices;
  if (o.long === "--provider") return "provider";
  if (o.long === "--credential" || o.long === "--use") return "path";
  return valueKindOfName(o.flags.replace(/^[^<[]*/, ""));
}

/** Entries plus their folders (with a trailing slash), for folder arguments. */
export function withFolders(entries: string[]): string[] {
  const out = new Set<string>();
  for (const e of entries) {
    const parts = e.split("/");
    for (let i = 1; i < parts.length; i++) out.add(`${parts.slice(0, i).join("/")}/`);
    out.add(e);
  }
  return [...out].sort();
}

/** Candidates for the last word, given every word after `keyz` (the last one is partial). */
export async function complete(
  program: Command,
  words: string[],
  data: CompletionData,
): Promise<string[]> {
  const cur = words.at(-1) ?? "";
  let cmd = program;
  let positional = 0;
  let pending: Option | undefined;
  let afterDashDash = false;
  for (const w of words.slice(0, -1)) {
    if (pending) {
      pending = undefined;
      continue;
    }
    if (afterDashDash) continue;
    if (w === "--") {
      afterDashDash = true;
      continue;
    }
    if (w.startsWith("-")) {
      const o = findOption(cmd, w) ?? findOption(program, w);
      if (o && takesValue(o) && !w.includes("=")) pending = o;
      continue;
    }
    const sub = positional === 0 ? subcommand(cmd, w) : undefined;
    if (sub) cmd = sub;
    else positional++;
  }
  if (afterDashDash) return [];
  let candidates: string[] = [];
  let kind: ValueKind | string[] = "none";
  if (pending) kind = optionValueKind(pending);
  else if (cur.startsWith("-")) {
    const opts = [...cmd.options, ...(cmd === program ? [] : program.options)];
    candidates = opts.filter((o) => !o.hidden).flatMap((o) => o.long ? [o.long] : []);
    candidates.push("--help");
  } else {
    if (positional === 0) {
      candidates = cmd.commands.map((c) => c.name()).filter((n) => !n.startsWith("__"));
    }
    const args = cmd.registeredArguments;
    const arg = args[positional] ?? (args.at(-1)?.variadic ? args.at(-1) : undefined);
    if (arg) kind = ARGUMENT_KINDS[cmd.name()] ?? valueKindOfName(arg.name());
  }
  if (Array.isArray(kind)) candidates.push(...kind);
  else if (kind === "path") candidates.push(...withFolders(await data.paths()));
  else if (kind === "key") candidates.push(...await data.keys());
  else if (kind === "rule") candidates.push(...await data.rules());
  else if (kind === "provider") candidates.push(...await data.providers());
  else if (kind === "shell") candidates.push(...SHELLS);
  else if (kind === "topic") candidates.push(...data.topics());
  return [...new Set(candidates.filter((c) => c.startsWith(cur)))];
}

const BASH = `# keyz completion for bash: eval "$(keyz completions bash)" in ~/.bashrc
# (keyz init bash does this too). Completes keyz and keyz-run.
_keyz_reply() {
  COMPREPLY=()
  mapfile -t COMPREPLY < <(keyz __complete -- "$@" 2>/dev/null)
  # A folder completes without a trailing space so the next TAB goes inside it.
  if [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == */ ]]; then
    compopt -o nospace 2>/dev/null
  fi
  return 0
}
_keyz() {
  _keyz_reply "\${COMP_WORDS[@]:1:COMP_CWORD}"
}
_keyz_run() {
  local i
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ \${COMP_WORDS[i]} == -- ]]; then
      # After --: the command and its own completion.
      if declare -F _command_offset >/dev/null; then
        _command_offset $((i + 1))
      else
        mapfile -t COMPREPLY < <(compgen -c -- "\${COMP_WORDS[COMP_CWORD]}")
      fi
      return 0
    fi
  done
  _keyz_reply run "\${COMP_WORDS[@]:1:COMP_CWORD}"
}
complete -F _keyz keyz
complete -F _keyz_run keyz-run
`;

const ZSH = `#compdef keyz keyz-run
# keyz completion for zsh: eval "$(keyz completions zsh)" in ~/.zshrc (after compinit),
# or save as _keyz in a directory on $fpath. Completes keyz and keyz-run.
_keyz() {
  local -a candidates prefix
  if [[ \${words[1]:t} == keyz-run ]]; then
    local i
    for (( i = 2; i < CURRENT; i++ )); do
      if [[ \${words[i]} == -- ]]; then
        shift $i words
        (( CURRENT -= i ))
        _normal
        return
      fi
    done
    prefix=(run)
  fi
  candidates=("\${(@f)$(keyz __complete -- $prefix "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  (( \${#candidates} )) || return 1
  local c
  for c in "\${candidates[@]}"; do
    if [[ $c == */ ]]; then compadd -S '' -- "$c"; else compadd -- "$c"; fi
  done
}
if [[ "\${funcstack[1]}" == "_keyz" ]]; then
  _keyz "$@"
elif (( $+functions[compdef] )); then
  compdef _keyz keyz keyz-run
fi
`;

const FISH =
  `# keyz completion for fish: keyz completions fish > ~/.config/fish/completions/keyz.fish
# (keyz init fish does this too). Completes keyz and keyz-run.
function __keyz_complete
    set -l tokens (commandline -opc) (commandline -ct)
    keyz __complete -- $tokens[2..-1] 2>/dev/null
end
function __keyz_run_complete
    set -l done (commandline -opc)
    set -l dash (contains -i -- -- $done)
    if test -n "$dash"
        # After --: the command and its own completion.
        set -l words
        if test $dash -lt (count $done)
            set words (string escape -- $done[(math $dash + 1)..-1])
        end
        complete -C (string join -- ' ' $words (commandline -ct))
        return
    end
    keyz __complete -- run $done[2..-1] (commandline -ct) 2>/dev/null
end
complete -c keyz -f -a '(__keyz_complete)'
complete -c keyz-run -f -a '(__keyz_run_complete)'
`;

export function completionScript(shell: string): string {
  switch (shell) {
    case "bash":
      return BASH;
    case "zsh":
      return ZSH;
    case "fish":
      return FISH;
    default:
      throw new KeyzError("usage", `unknown shell ${shell}`, `choose one of ${SHELLS.join(", ")}`);
  }
}

export function completionsCommand(shell: string): Promise<number> {
  writeStdout(completionScript(shell));
  return Promise.resolve(0);
}

/** `keyz __complete -- <words>`: one candidate per line; never fails (a TAB must not print errors). */
export async function completeCommand(program: Command, words: string[]): Promise<number> {
  const { storeDir, configDir } = await import("../env.ts");
  const { PassCliStore } = await import("../store/pass_cli.ts");
  const { loadProviders } = await import("../providers/load.ts");
  const { topicNames } = await import("./help_topics.ts");
  const { readStoreConfig } = await import("../config/store_config.ts");
  const { Sidecars } = await import("../sidecars/sidecars.ts");
  const { recognizerOf } = await import("../view/entries.ts");
  const dir = storeDir();
  const paths = () => new PassCliStore(dir).list().catch(() => [] as string[]);
  const providerSet = () => loadProviders({ userDir: `${configDir()}/providers`, storeDir: dir });
  const data: CompletionData = {
    paths,
    keys: async () => {
      try {
        const [providers, map, config, all] = await Promise.all([
          providerSet(),
          new Sidecars(dir).readMap(),
          readStoreConfig(dir),
          paths(),
        ]);
        const r = recognizerOf({ providers, map, config });
        return all.filter((p) => r.recognize(p).kind === "key");
      } catch {
        return [];
      }
    },
    rules: async () => (await readStoreConfig(dir).catch(() => undefined))?.ignore ?? [],
    providers: async () => {
      try {
        return [...(await providerSet()).providers.keys()].sort();
      } catch {
        return [];
      }
    },
    topics: () =>
      [...topicNames(), ...program.commands.map((c) => c.name())].filter((n) =>
        !n.startsWith("__")
      ),
  };
  let out: string[] = [];
  try {
    out = await complete(program, words.length ? words : [""], data);
  } catch {
    out = [];
  }
  if (out.length) writeStdout(out.join("\n") + "\n");
  return 0;
}
