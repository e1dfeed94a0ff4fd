"""A throwaway PostgreSQL 15 cluster for benchmarks (the same recipe as
scripts/pg-throwaway.sh): initdb into a temp dir as the postgres user, a free loopback
port, stopped and deleted on exit."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator

PGBIN = os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin")


def _as_postgres(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def cluster(max_connections: int = 300) -> Iterator[str]:
    """Yield a SQLAlchemy URL of a fresh database on a private cluster."""
    root = tempfile.mkdtemp(prefix="cunyi-bench-pg.")
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, port = os.path.join(root, "data"), free_port()
    try:
        subprocess.run(_as_postgres([f"{PGBIN}/initdb", "-D", data, "-U", "postgres", "-A",
                                     "trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, capture_output=True)
        opts = (f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c max_connections={max_connections} "
                "-c shared_buffers=256MB")
        subprocess.run(_as_postgres([f"{PGBIN}/pg_ctl", "-D", data, "-l",
                                     os.path.join(root, "log"), "-w", "-t", "60", "-o", opts,
                                     "start"]), check=True, capture_output=True)
        subprocess.run(_as_postgres([f"{PGBIN}/createdb", "-h", "127.0.0.1", "-p", str(port),
                                     "-U", "postgres", "cunyi_bench"]), check=True)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/cunyi_bench"
    finally:
        subprocess.run(_as_postgres([f"{PGBIN}/pg_ctl", "-D", data, "-m", "fast", "-w",
                                     "stop"]), capture_output=True)
        shutil.rmtree(root, ignore_errors=True)
