#!/usr/bin/env bash
# Start the whole system on an embedded SQLite database (or DATABASE_URL if set):
# install, migrate, load the demo township on first start, then run the web server and
# the scheduler worker until Ctrl-C.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash scripts/setup.sh
# Whatever this instance writes from here on (its SQLite database, secret key, backups) is
# its owner's alone: residents' health records (the app also makes them 0600 itself).
umask 077
export FLASK_APP=server
# The instance's own key for signing session cookies: made once (256 random bits, mode
# 0600, beside the database in instance/), never a default (server/secret_key.py).
SECRET_KEY="${SECRET_KEY:-$(.venv/bin/python -m server.secret_key)}"
export SECRET_KEY
PORT="${PORT:-8000}"
.venv/bin/flask db upgrade
# DEMO=0 for a real township: no demo; a fresh instance opens on its first-run page, behind
# a token only this terminal (or whoever can read the secret key) sees (docs/adr/0063).
if [ "${DEMO:-1}" != "0" ]; then
  .venv/bin/flask seed-demo --if-empty
fi
SETUP_TOKEN="$(.venv/bin/flask setup-token 2>/dev/null || true)"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait; }
trap cleanup EXIT INT TERM
.venv/bin/gunicorn --bind "0.0.0.0:$PORT" --workers "${WEB_CONCURRENCY:-2}" \
  --access-logformat '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss' --access-logfile - \
  'server:create_app()' &
pids+=($!)
.venv/bin/python -m server.worker &
pids+=($!)
echo
echo "村医工作平台已启动 / running:  http://127.0.0.1:$PORT/"
if [ -n "$SETUP_TOKEN" ]; then
  echo "首次设置 / first run: http://127.0.0.1:$PORT/township/first-run   设置码 / token: $SETUP_TOKEN"
else
  echo "演示账号见上 (demo logins listed above when the demo was first loaded; all use password demo1234)"
fi
wait -n
