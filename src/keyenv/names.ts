/**
 * Environment variable names keyz never sets (trust rule 6). A key's variable name can come
 * from data anyone who pushes the store controls (a key sidecar's `env`), and `keyz env` output
 * is `eval`ed: a name that makes a shell, the dynamic loader, an interpreter or a common tool
 * run code (or read its settings or programs from elsewhere) would run whatever the pusher
 * chose. So such names are refused wherever a name is set (the browser's edit) and wherever
 * one is read (`keyz env`, `keyz run`), from data and from the command line alike.
 *
 * Names are compared upper-cased: zsh ties lower-case `path`, `fpath`, `cdpath`, `manpath`
 * and `module_path` to their upper-case variables, and npm reads `npm_config_*` in any case.
 * The list is documented in README.md ("Keys in the environment") and `keyz help env`.
 */

/** Exact names, each with what it makes run. */
const EXACT: Record<string, string> = {
  // Shells: start-up files, prompts expanded before every command, word splitting, lookup.
  PATH: "decides which program every command runs",
  CDPATH: "redirects cd in scripts",
  FPATH: "zsh autoloads functions from it",
  MODULE_PATH: "zsh loads modules from it",
  IFS: "changes how the shell splits words",
  ENV: "sh and bash run the file it names",
  HOME: "shells and tools read their start-up files from it",
  SHELL: "programs start it as the user's shell",
  ZDOTDIR: "zsh reads its start-up files from it",
  SHELLOPTS: "sets bash options (e.g. xtrace with PS4)",
  BASHOPTS: "sets bash options",
  GLOBIGNORE: "changes bash globbing",
  PS0: "bash expands it (command substitution) before every command",
  PS1: "shells expand it (command substitution) at every prompt",
  PS2: "shells expand it at continuation prompts",
  PS3: "shells expand it at select prompts",
  PS4: "shells expand it for every traced command",
  PROMPT: "zsh expands it at every prompt",
  RPROMPT: "zsh expands it at every prompt",
  RPS1: "zsh expands it at every prompt",
  HISTFILE: "the shell writes its history there (e.g. into ~/.bashrc)",
  INPUTRC: "readline reads key bindings from it",
  // The dynamic loader and the C library.
  GCONV_PATH: "glibc loads conversion modules from it",
  GLIBC_TUNABLES: "tunes glibc at start-up (exploited for code execution)",
  LOCPATH: "glibc loads locale files from it",
  NLSPATH: "programs load message catalogs from it",
  // Tools that start a program the variable names, or read their settings from elsewhere.
  EDITOR: "git, crontab and others run it",
  VISUAL: "git, crontab and others run it",
  FCEDIT: "bash's fc runs it",
  PAGER: "man, git and others run it",
  MANPAGER: "man runs it",
  MANOPT: "man takes options (e.g. a pager) from it",
  BROWSER: "tools run it to open links",
  MAKEFLAGS: "make takes options from it",
  MFLAGS: "make takes options from it",
  MAKEFILES: "make reads these makefiles first",
  CC: "build tools run it as the C compiler",
  CXX: "build tools run it as the C++ compiler",
  CPP: "build tools run it as the preprocessor",
  LD: "build tools run it as the linker",
  RUSTC_WRAPPER: "cargo runs it around every compile",
  RUSTC_WORKSPACE_WRAPPER: "cargo runs it around every compile",
  RUSTC: "cargo runs it as the compiler",
  CLASSPATH: "Java loads classes from it",
  JAVA_TOOL_OPTIONS: "every JVM takes options (e.g. -javaagent) from it",
  _JAVA_OPTIONS: "every JVM takes options from it",
  JDK_JAVA_OPTIONS: "the java launcher takes options from it",
  DOTNET_STARTUP_HOOKS: ".NET loads assemblies from it",
  ELECTRON_RUN_AS_NODE: "turns Electron apps into a Node.js interpreter",
  PHPRC: "PHP reads its settings (auto_prepend_file) from it",
  PHP_INI_SCAN_DIR: "PHP reads settings from it",
  TCLLIBPATH: "Tcl loads packages from it",
  GEM_HOME: "Ruby loads gems from it",
  GEM_PATH: "Ruby loads gems from it",
  BUNDLE_GEMFILE: "bundler loads this Gemfile",
  GNUPGHOME: "gpg reads its settings (and programs it starts) from it",
  KUBECONFIG: "kubectl runs credential plugins it names",
  AWS_CONFIG_FILE: "the AWS tools run credential_process programs it names",
  AWS_SHARED_CREDENTIALS_FILE: "the AWS tools read credentials from it",
  DOCKER_CONFIG: "docker runs credential helpers it names",
  WGETRC: "wget reads settings (e.g. a password program) from it",
  CURL_HOME: "curl reads its settings from it",
  OPENSSL_CONF: "OpenSSL loads engines and providers it names",
  SSLKEYLOGFILE: "TLS libraries write session secrets to it",
  // Network traffic and trust: a proxy or CA from data would see or forge every request.
  HTTP_PROXY: "sends network traffic through another host",
  HTTPS_PROXY: "sends network traffic through another host",
  ALL_PROXY: "sends network traffic through another host",
  FTP_PROXY: "sends network traffic through another host",
  NO_PROXY: "changes which hosts bypass the proxy",
  SSL_CERT_FILE: "makes TLS trust other certificates",
  SSL_CERT_DIR: "makes TLS trust other certificates",
  REQUESTS_CA_BUNDLE: "makes Python requests trust other certificates",
  CURL_CA_BUNDLE: "makes curl trust other certificates",
};

/** Prefixes, each with what names that start with it do. */
const PREFIXES: [string, string][] = [
  ["LD_", "the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT) loads code from it"],
  ["DYLD_", "the macOS loader loads code from it"],
  ["BASH_", "bash runs code from it (BASH_ENV, exported functions)"],
  ["PROMPT_", "the shell runs it at every prompt (PROMPT_COMMAND)"],
  ["GIT_", "git runs programs it names (GIT_SSH_COMMAND, GIT_EXTERNAL_DIFF, GIT_CONFIG_*)"],
  ["SSH_", "ssh runs programs it names (SSH_ASKPASS)"],
  ["SUDO_", "sudo runs programs it names (SUDO_ASKPASS, SUDO_EDITOR)"],
  ["LESS", "less runs preprocessors it names (LESSOPEN, LESSCLOSE)"],
  ["NODE_", "Node.js takes options and modules from it (NODE_OPTIONS)"],
  ["NPM_CONFIG_", "npm takes settings (e.g. the script shell) from it"],
  ["PYTHON", "Python runs code from it (PYTHONSTARTUP, PYTHONPATH)"],
  ["PERL", "Perl loads code from it (PERL5OPT, PERL5LIB)"],
  ["RUBY", "Ruby loads code from it (RUBYOPT, RUBYLIB)"],
  ["LUA_", "Lua runs code from it (LUA_INIT)"],
  ["R_", "R runs profile files it names (R_PROFILE_USER)"],
  ["PIP_", "pip installs from indexes it names"],
  ["CORECLR_", ".NET loads profilers it names"],
  ["COR_", ".NET loads profilers it names"],
  ["OPENSSL_", "OpenSSL loads modules it names"],
  ["DENO_", "Deno takes settings and auth tokens from it"],
  ["XDG_", "every tool reads its settings (and the programs they name) from there"],
  ["PASSWORD_STORE_", "pass runs extensions and reads settings from it"],
  ["KEYZ_", "keyz's own settings (test hosts, cache)"],
  ["FISH_", "fish loads functions from it"],
];

/** Suffixes: a program some tool runs (GIT_PAGER, SYSTEMD_EDITOR, SSH_ASKPASS, ...). */
const SUFFIXES: [string, string][] = [
  ["_PAGER", "a tool runs it as its pager"],
  ["_EDITOR", "a tool runs it as its editor"],
  ["_ASKPASS", "a tool runs it to ask for a password"],
];

/**
 * Why keyz never sets `name`, or undefined when it may. Refused names make a shell, the
 * loader, an interpreter or a common tool run code, or redirect its network traffic.
 */
export function refusedEnvName(name: string): string | undefined {
  const upper = name.toUpperCase();
  const exact = EXACT[upper];
  if (exact) return `${upper}: ${exact}`;
  for (const [prefix, why] of PREFIXES) if (upper.startsWith(prefix)) return `${prefix}*: ${why}`;
  for (const [suffix, why] of SUFFIXES) if (upper.endsWith(suffix)) return `*${suffix}: ${why}`;
  return undefined;
}

/** The whole list for documentation (`keyz help env`), as lines of at most `width`. */
export function refusedEnvNamesDoc(width = 90): string[] {
  const prefixes = PREFIXES.map(([p]) => `${p}*`);
  const suffixes = SUFFIXES.map(([s]) => `*${s}`);
  const lines: string[] = [];
  let line = "";
  for (const word of [...Object.keys(EXACT), ...prefixes, ...suffixes]) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}
