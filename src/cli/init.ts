/**
 * `keyz init bash|zsh|fish`: shell integration, the way direnv, zoxide and mise do it
 * (`eval "$(keyz init bash)"` in ~/.bashrc). It defines a `keyz` shell function so that
 * `keyz run ...` goes through keyz-run (keyz itself may start only pass and git, so the
 * permission set stays as it is), and loads the completions of keyz and keyz-run. Scripts and
 * Makefiles do not read ~/.bashrc: there `keyz-run` is the form to use.
 */
import { completionScript, type Shell } from "./completions.ts";

const POSIX_FUNCTION = `keyz() {
  if [ "\${1-}" = run ]; then
    shift
    keyz-run "$@"
  else
    command keyz "$@"
  fi
}
`;

const FISH_FUNCTION = `function keyz --description 'keyz (keyz run goes through keyz-run)'
    if test "$argv[1]" = run
        keyz-run $argv[2..-1]
    else
        command keyz $argv
    end
end
`;

const HEAD: Record<Shell, string> = {
  bash: `# keyz shell integration for bash: eval "$(keyz init bash)" in ~/.bashrc\n`,
  zsh: `# keyz shell integration for zsh: eval "$(keyz init zsh)" in ~/.zshrc, after compinit\n`,
  fish:
    `# keyz shell integration for fish: keyz init fish | source in ~/.config/fish/config.fish\n`,
};

/** The text `keyz init <shell>` prints. */
export function initScript(shell: Shell): string {
  const fn = shell === "fish" ? FISH_FUNCTION : POSIX_FUNCTION;
  // The completion script's own first comment lines say how to install it alone; drop them.
  const completion = completionScript(shell).split("\n").filter((l) => !l.startsWith("#"))
    .join("\n");
  return `${
    HEAD[shell]
  }# keyz run ARGS... runs keyz-run ARGS... (keyz may start only pass and git)\n${fn}${completion}`;
}

export function initCommand(shell: Shell): Promise<number> {
  Deno.stdout.writeSync(new TextEncoder().encode(initScript(shell)));
  return Promise.resolve(0);
}
