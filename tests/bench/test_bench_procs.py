"""The one wait for a started server (bench/procs.py) and the throwaway PostgreSQL of the
benchmarks (bench/pg.py, through scripts/pg-throwaway.sh)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bench.pg import throwaway
from bench.procs import answering, listening, stop, wait_until_ready

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))


@pytest.fixture
def sleeper():
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield proc
    stop(proc, grace=5)


def test_the_wait_returns_what_the_check_found_once_it_stops_failing(sleeper):
    answers = iter([OSError("refused"), None, OSError("reset"), 5123])

    def check():
        answer = next(answers)
        if isinstance(answer, OSError):
            raise answer
        return answer

    assert wait_until_ready(sleeper, check, what="sleeper", seconds=10) == 5123


def test_the_wait_gives_up_when_the_process_exits_and_shows_its_log(tmp_path):
    log = tmp_path / "server.log"
    log.write_text("boot\nAddress already in use\n")
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    with pytest.raises(RuntimeError, match=r"(?s)gunicorn exited \(3\).*Address already in use"):
        wait_until_ready(proc, lambda: None, what="gunicorn", log=log, seconds=30)


def test_the_wait_gives_up_after_its_time(sleeper):
    with pytest.raises(RuntimeError, match="did not answer within"):
        wait_until_ready(sleeper, lambda: False, what="sleeper", seconds=0.3)


def test_listening_and_answering_checks():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        with pytest.raises(OSError):
            listening(port)()
        server.listen()
        assert listening(port)()
        with pytest.raises(OSError):  # a listener that never answers HTTP: a timeout
            answering(port)()


@pytest.mark.skipif(not (PGBIN / "initdb").exists(), reason=f"no PostgreSQL 15 in {PGBIN}")
def test_the_benchmarks_throwaway_postgresql_takes_its_options_and_leaves_nothing():
    import sqlalchemy as sa

    with throwaway("-c max_connections=42") as url:
        engine = sa.create_engine(url)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW max_connections").scalar() == "42"
            assert conn.exec_driver_sql("SHOW fsync").scalar() == "off"  # the script's own
            data_dir = conn.exec_driver_sql("SHOW data_directory").scalar()
        engine.dispose()
    assert not Path(data_dir).exists()
