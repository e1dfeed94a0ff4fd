"""A throwaway PostgreSQL 15 cluster for a benchmark: scripts/pg-throwaway.sh, from Python.

The recipe (initdb into a temporary directory as the postgres user, a free loopback port,
durability off, stopped and deleted afterwards) is written once, in that script, which the
test command also uses; this only runs it and hands back the URL.
"""
from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "pg-throwaway.sh"
_START = 'source "$1" && pg_throwaway_start >&2 && printf "%s\\n%s\\n" "$PG_URL" "$PG_DIR"'
_STOP = 'source "$1" && PG_DIR="$2" && pg_throwaway_stop'


@contextlib.contextmanager
def throwaway(*server_options: str) -> Iterator[str]:
    """Yield the SQLAlchemy URL of a fresh database on a private cluster, stopped on exit.

    `server_options` are extra `-c name=value` settings, after (so over) the script's own,
    e.g. `throwaway("-c max_connections=400")`.
    """
    env = {**os.environ, "PG_OPTS": " ".join(server_options)}
    started = subprocess.run(["bash", "-c", _START, "pg-throwaway", str(SCRIPT)], env=env,
                             check=True, stdout=subprocess.PIPE, text=True)
    url, pg_dir = started.stdout.split()
    try:
        yield url
    finally:
        subprocess.run(["bash", "-c", _STOP, "pg-throwaway", str(SCRIPT), pg_dir], check=False)
