#!/usr/bin/env bash
# Set-up (the README's install command): JavaScript dependencies from the lockfile, and the pinned Python
# test tools (requirements-dev.txt) in the project's own virtual environment, .venv. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

pnpm install --frozen-lockfile

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup: $python not found: the Python test tools (moto, zizmor, actionlint) need Python 3.9 or later" >&2
  exit 1
fi
stamp=.venv/.requirements.sha256
want=$(sha256sum requirements-dev.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: installing requirements-dev.txt into .venv"
  "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
  echo "$want" > "$stamp"
fi
