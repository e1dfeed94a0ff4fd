#!/usr/bin/env bash
# Install what the tests need, then run the whole suite twice: on SQLite, and on a
# throwaway PostgreSQL 15 cluster started here and stopped afterwards.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh test
if [ -d tests/pwa ] || [ -d tests/browser ]; then bash scripts/browser-deps.sh; fi

# The anchors (the CouchDB-protocol sync and slowlink.py) live beside the checkout, outside
# this repository; tests that drive a phone through the slow link find them here.
if [ -z "${CUNYI_ANCHORS:-}" ] && [ -d "$ROOT/../shared/anchors" ]; then
  CUNYI_ANCHORS="$(cd "$ROOT/../shared/anchors" && pwd)"
  export CUNYI_ANCHORS
fi

echo "== lint: the phone app and its unit tests (ESLint, pwa/eslint.config.js) =="
(cd pwa && npm run --silent lint)

echo "== lint: Python (ruff, [tool.ruff] in pyproject.toml) =="
.venv/bin/ruff check .

run_pytest() {
  # pytest exits 5 when it collected nothing: say so loudly rather than pass in silence.
  set +e
  .venv/bin/python -m pytest "$@"
  local rc=$?
  set -e
  if [ $rc -eq 5 ]; then echo "pytest collected no tests" >&2; return 1; fi
  return $rc
}

echo "== tests on SQLite =="
unset TEST_DATABASE_URL
run_pytest -q "$@"

echo "== tests on PostgreSQL 15 (throwaway cluster) =="
source scripts/pg-throwaway.sh
pg_throwaway_start
trap pg_throwaway_stop EXIT
TEST_DATABASE_URL="$PG_URL" run_pytest -q "$@"
