#!/usr/bin/env bash
# Sourced: pg_throwaway_start starts a private PostgreSQL 15 cluster in a temp dir on a
# free loopback port (as the postgres user when run as root) and sets PG_URL;
# pg_throwaway_stop stops it by its pid file and removes the directory.
# PG_OPTS (optional) adds server options after the ones below, so they win: bench/pg.py
# passes a benchmark's own settings (e.g. "-c max_connections=400") through it.
PGBIN="${PGBIN:-/usr/lib/postgresql/15/bin}"

_as_pg() {
  if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

pg_throwaway_start() {
  PG_DIR="$(mktemp -d /tmp/cunyi-pg.XXXXXX)"
  chmod 755 "$PG_DIR"
  [ "$(id -u)" = "0" ] && chown postgres: "$PG_DIR"
  PG_PORT="$(_free_port)"
  _as_pg "$PGBIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  # Durability off: this cluster lives for one test run.
  local opts="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  opts="-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c max_connections=300 $opts ${PG_OPTS:-}"
  _as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 -o "$opts" start >/dev/null
  _as_pg "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres cunyi_test
  PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/cunyi_test"
  export PG_URL PG_DIR PG_PORT
  echo "PostgreSQL started on 127.0.0.1:$PG_PORT ($PG_DIR)"
}

pg_throwaway_stop() {
  if [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ]; then
    _as_pg "$PGBIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null || \
      kill "$(head -1 "$PG_DIR/data/postmaster.pid")" 2>/dev/null || true
  fi
  [ -n "${PG_DIR:-}" ] && rm -rf "$PG_DIR"
  PG_DIR=""
}
