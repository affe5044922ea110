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

export type ValueKind = "path" | "provider" | "shell" | "topic" | "none";

export interface CompletionData {
  paths(): Promise<string[]>;
  providers(): Promise<string[]>;
  topics(): string[];
}

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
    if (arg) kind = valueKindOfName(arg.name());
  }
  if (Array.isArray(kind)) candidates.push(...kind);
  else if (kind === "path") candidates.push(...withFolders(await data.paths()));
  else if (kind === "provider") candidates.push(...await data.providers());
  else if (kind === "shell") candidates.push(...SHELLS);
  else if (kind === "topic") candidates.push(...data.topics());
  return [...new Set(candidates.filter((c) => c.startsWith(cur)))];
}

const BASH = `# keyz completion for bash: eval "$(keyz completions bash)" in ~/.bashrc
_keyz() {
  local cur=\${COMP_WORDS[COMP_CWORD]}
  COMPREPLY=()
  mapfile -t COMPREPLY < <(keyz __complete -- "\${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null)
  # A folder completes without a trailing space so the next TAB goes inside it.
  if [[ \${#COMPREPLY[@]} -eq 1 && \${COMPREPLY[0]} == */ ]]; then
    compopt -o nospace 2>/dev/null
  fi
  : "$cur"
}
complete -F _keyz keyz
`;

const ZSH = `#compdef keyz
# keyz completion for zsh: eval "$(keyz completions zsh)" in ~/.zshrc (after compinit),
# or save as _keyz in a directory on $fpath.
_keyz() {
  local -a candidates
  candidates=("\${(@f)$(keyz __complete -- "\${(@)words[2,CURRENT]}" 2>/dev/null)}")
  candidates=("\${(@)candidates:#}")
  (( \${#candidates} )) || return 1
  local c
  for c in "\${candidates[@]}"; do
    if [[ $c == */ ]]; then compadd -S '' -- "$c"; else compadd -- "$c"; fi
  done
}
if [[ "\${funcstack[1]}" == "_keyz" ]]; then _keyz "$@"; else compdef _keyz keyz; fi
`;

const FISH =
  `# keyz completion for fish: keyz completions fish > ~/.config/fish/completions/keyz.fish
function __keyz_complete
    set -l tokens (commandline -opc) (commandline -ct)
    keyz __complete -- $tokens[2..-1] 2>/dev/null
end
complete -c keyz -f -a '(__keyz_complete)'
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
  const data: CompletionData = {
    paths: () => new PassCliStore(storeDir()).list().catch(() => []),
    providers: async () => {
      try {
        const set = await loadProviders({
          userDir: `${configDir()}/providers`,
          storeDir: storeDir(),
        });
        return [...set.providers.keys()].sort();
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
