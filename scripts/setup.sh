#!/usr/bin/env bash
# Install what the project needs into .venv (and the phone app's npm packages).
# Sourced by start.sh and test.sh; re-running is cheap (a stamp file skips pip when
# pyproject.toml has not changed).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EXTRAS="${1:-}"
PY="${PYTHON:-python3}"

if [ ! -x "$ROOT/.venv/bin/python" ]; then
  "$PY" -m venv "$ROOT/.venv"
fi
stamp="$ROOT/.venv/.installed${EXTRAS:+-$EXTRAS}"
want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-16)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
  spec="$ROOT${EXTRAS:+[$EXTRAS]}"
  "$ROOT/.venv/bin/python" -m pip install --quiet --disable-pip-version-check -e "$spec"
  echo "$want" > "$stamp"
fi

if [ -f "$ROOT/pwa/package-lock.json" ] && command -v npm >/dev/null; then
  lockhash="$(sha256sum "$ROOT/pwa/package-lock.json" | cut -c1-16)"
  if [ ! -f "$ROOT/pwa/node_modules/.lockhash" ] || \
     [ "$(cat "$ROOT/pwa/node_modules/.lockhash")" != "$lockhash" ]; then
    (cd "$ROOT/pwa" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lockhash" > "$ROOT/pwa/node_modules/.lockhash"
  fi
fi
