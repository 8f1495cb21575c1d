#!/usr/bin/env bash
# Set-up (the README's install command) on a machine with only Node (and its npm) and Python 3: the pinned pnpm
# (package.json "packageManager"), installed with `npm install -g` when pnpm is missing or of another version
# (corepack cannot fetch pnpm where its signature check fails, and a corepack shim that cannot fetch is replaced);
# the JavaScript dependencies from the lockfile; the pinned Python test tools (requirements-dev.txt) in the
# project's own virtual environment, .venv. Idempotent. .ci/run calls it: this is the one install path.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
  echo "setup: $*" >&2
  exit 1
}

command -v node >/dev/null 2>&1 || fail "node not found: install Node.js 20 or later (it comes with npm)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || fail "Node.js $(node --version) is too old: the toolkit needs Node.js 20 or later"

pnpm_version=$(node -p 'require("./package.json").packageManager.replace(/^pnpm@/, "").split("+")[0]')
# The version a pnpm command answers, or nothing. A corepack shim may try to download here: never prompt, and
# give up after two minutes (a download that cannot finish) instead of hanging the set-up.
pnpm_answers() {
  local t=()
  if command -v timeout >/dev/null 2>&1; then t=(timeout 120); fi
  COREPACK_ENABLE_DOWNLOAD_PROMPT=0 "${t[@]}" "$1" --version </dev/null 2>/dev/null | tail -n 1 || true
}

pnpm=pnpm
found=$(command -v pnpm 2>/dev/null || true)
if [ -z "$found" ] || [ "$(pnpm_answers pnpm)" != "$pnpm_version" ]; then
  command -v npm >/dev/null 2>&1 || fail "npm not found: it comes with Node.js, and installs pnpm@$pnpm_version"
  echo "setup: installing pnpm@$pnpm_version with npm install -g (found: ${found:-no pnpm on PATH})"
  force=()
  # `corepack enable` leaves a shim where npm links pnpm: npm refuses to overwrite it unless forced.
  if [ -n "$found" ] && readlink -f "$found" 2>/dev/null | grep -q corepack; then force=(--force); fi
  if ! log=$(npm install -g "${force[@]}" "pnpm@$pnpm_version" 2>&1 </dev/null); then
    echo "$log" | tail -n 5 >&2
    fail "npm install -g pnpm@$pnpm_version failed (global prefix $(npm prefix -g)): run as a user who may write" \
      "there, or give npm a prefix of your own (npm_config_prefix=\$HOME/.local, with \$HOME/.local/bin on PATH)"
  fi
  hash -r
  pnpm="$(npm prefix -g)/bin/pnpm"
  [ "$(pnpm_answers "$pnpm")" = "$pnpm_version" ] || fail "npm installed pnpm, but $pnpm does not answer $pnpm_version"
  if [ "$(pnpm_answers pnpm)" != "$pnpm_version" ]; then
    echo "setup: warning: \`pnpm\` on your PATH is not $pnpm_version; this set-up uses $pnpm." >&2
    echo "setup: put $(dirname "$pnpm") first on PATH to run \`pnpm test\`" >&2
  fi
fi

"$pnpm" install --frozen-lockfile

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  fail "$python not found: the Python test tools (moto, zizmor, actionlint) need Python 3.9 or later"
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing requirements-dev.txt into .venv"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" >"$stamp"
fi
