"""Processes a benchmark or a test starts on loopback, and the one wait for them to serve.

`wait_until_ready` is the single loop that waits for a started server (gunicorn, the anchor,
slowlink) to answer: it polls a check, gives up when the process exits or time runs out, and
then says why with the end of the process's log. The benchmarks and the tests that start a
real server (tests/server/serving/started_instance.py, tests/server/serving/test_started_logs.py) share it.
"""
from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port: int) -> Callable[[], bool]:
    """A check for `wait_until_ready`: something accepts connections on 127.0.0.1:`port`."""
    def check() -> bool:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    return check


def answering(port: int, path: str = "/healthz") -> Callable[[], bool]:
    """A check for `wait_until_ready`: GET `path` on 127.0.0.1:`port` answers 200."""
    def check() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", path)
            return conn.getresponse().status == 200
        finally:
            conn.close()
    return check


def _log_tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return "\n" + log.read_text("utf-8", "replace")[-2000:]


def wait_until_ready(proc: subprocess.Popen, check: Callable[[], T], *, what: str,
                     log: Path | None = None, seconds: float = 60) -> T:
    """Poll `check` until it returns a true value, and return that value.

    An OSError from `check` (connection refused, reset) means "not yet". Raises RuntimeError,
    with the end of `log`, when `proc` exits first or `seconds` pass; the caller stops `proc`.
    """
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
        except OSError:
            found = None
        if found:
            return found
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}) before it answered"
                               + _log_tail(log))
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer within {seconds:.0f} s" + _log_tail(log))
        time.sleep(0.1)


def stop(proc: subprocess.Popen, *, group: bool = False, grace: float = 15) -> None:
    """End a process started here by its pid (its own process group if `group`): SIGTERM,
    then SIGKILL after `grace` seconds."""
    def send(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
            if group:
                os.killpg(proc.pid, sig)
            else:
                os.kill(proc.pid, sig)

    if proc.poll() is None:
        send(signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait(timeout=10)


class Processes:
    """Everything one run starts, each with its log in `logdir`; `stop_all` ends each by pid."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.procs: list[subprocess.Popen] = []
        self.logs: list[IO[Any]] = []

    def start(self, name: str, argv: list[str], port: int, cwd: Path | None = None,
              env: dict | None = None) -> subprocess.Popen:
        """Start `argv`, logging to `<logdir>/<name>.log`; return once it listens on `port`."""
        log = self.logdir / f"{name}.log"
        out = open(log, "wb")  # noqa: SIM115 (closed in stop_all)
        self.logs.append(out)
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.procs.append(proc)
        wait_until_ready(proc, listening(port), what=name, log=log)
        return proc

    def stop_all(self) -> None:
        """Stop every process started here, the last started first; close the logs."""
        for proc in reversed(self.procs):
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                    os.kill(proc.pid, signal.SIGTERM)
        for proc in reversed(self.procs):
            stop(proc)
        self.procs = []
        for out in self.logs:
            out.close()
        self.logs = []
