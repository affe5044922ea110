#!/usr/bin/env bash
# keyz setup: install what the build and the tests need on a Debian/Ubuntu machine.
# Idempotent; silent when nothing is missing, one line when it installed something.
#   Deno 2.9.x (npm install -g deno@2.9.6), pass, gnupg, git, tmux, xvfb, xclip, and fish and
#   zsh (the completion and `keyz env --format fish` tests run them for real).
set -euo pipefail

DENO_VERSION=2.9.6
log="$(mktemp "${TMPDIR:-/tmp}/keyz-setup.XXXXXX")"
trap 'rm -f "$log"' EXIT

fail() {
  echo "keyz setup: $*" >&2
  if [[ -s "$log" ]]; then tail -n 20 "$log" >&2; fi
  exit 1
}

# deno_ok [path]: true when that deno (default: the one on PATH) is 2.9.x.
deno_ok() {
  local bin="${1:-deno}" v
  v="$("$bin" --version 2>/dev/null | head -n 1)" || return 1
  [[ "$v" =~ ^deno\ 2\.9\. ]]
}

# command -> Debian package
declare -A pkg_of=(
  [pass]=pass
  [gpg]=gnupg
  [gpgconf]=gnupg
  [git]=git
  [tmux]=tmux
  [Xvfb]=xvfb
  [xclip]=xclip
  [tree]=tree # `pass ls` needs it (a Depends of pass, listed for half-installed systems)
  [fish]=fish
  [zsh]=zsh
)

missing=()
for cmd in pass gpg gpgconf git tmux Xvfb xclip tree fish zsh; do
  if ! command -v "$cmd" >/dev/null 2>&1; then
    p="${pkg_of[$cmd]}"
    [[ " ${missing[*]} " == *" $p "* ]] || missing+=("$p")
  fi
done

need_deno=0
deno_ok || need_deno=1
# A previous run may have put deno in npm's global bin without it being on PATH.
if ((need_deno)) && command -v npm >/dev/null 2>&1; then
  npm_bin="$(npm prefix -g 2>/dev/null)/bin"
  if deno_ok "$npm_bin/deno"; then need_deno=0; fi
fi
if ((need_deno)) && ! command -v npm >/dev/null 2>&1; then
  missing+=(npm)
fi

installed=()
is_root=0
[[ "$(id -u)" == 0 ]] && is_root=1

if ((${#missing[@]})); then
  if ((!is_root)); then
    echo "keyz setup: missing ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  command -v apt-get >/dev/null 2>&1 || fail "missing ${missing[*]} and no apt-get to install them"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >>"$log" 2>&1 || fail "apt-get update failed"
  apt-get install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1 ||
    fail "apt-get install ${missing[*]} failed"
  installed+=("${missing[@]}")
fi

if ((need_deno)); then
  npm install -g --no-fund --no-audit "deno@$DENO_VERSION" >>"$log" 2>&1 ||
    fail "npm install -g deno@$DENO_VERSION failed"
  npm_bin="$(npm prefix -g)/bin"
  deno_ok "$npm_bin/deno" || fail "deno@$DENO_VERSION installed but $npm_bin/deno does not run"
  installed+=("deno@$DENO_VERSION")
  if ! deno_ok; then
    echo "keyz setup: note: put $npm_bin first on PATH to use deno $DENO_VERSION" >&2
  fi
fi

if ((${#installed[@]})); then
  echo "keyz setup: installed ${installed[*]}"
fi
