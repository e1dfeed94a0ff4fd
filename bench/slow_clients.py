"""Slow clients against the web server as the start command runs it (issue 16, item 7).

    .venv/bin/python -m bench.slow_clients                  # the start command's server
    .venv/bin/python -m bench.slow_clients --candidates start,sync,gthread --modes body,headers
    .venv/bin/python -m bench.slow_clients --db "$PG_URL"   # PostgreSQL (an empty database)

For each candidate server and each kind of slow client, on 127.0.0.1 only:

1. A fresh SQLite file in a temporary directory, or the empty database of `--db`
   (`flask db upgrade`, `flask seed-demo`), made once for the whole run; a random SECRET_KEY.
2. gunicorn started from the repository root as `scripts/start.sh` starts it, so
   gunicorn.conf.py applies: `--workers 2` (start.sh's WEB_CONCURRENCY default), the
   access log, `server:create_app()`. The candidate "start" adds nothing to that; the
   others add a `--worker-class` (command-line flags win over the config file).
3. `--slow` connections misbehave for `--duration` seconds, each in one of these ways:
   - body: the headers of `POST /api/auth/login` with `Content-Length: 4096`, then one
     byte of body a second, never finishing (the attack of the issue);
   - headers: a request line, then one byte of headers a second (slowloris);
   - readers: a request for a 324 kB PWA file read at 2G speed (256 kbit/s shared by all
     readers, with a 4 kB receive buffer): a phone installing the app on a slow link.
   A connection the server closes is opened again, so the pressure stays the same.
4. Meanwhile two probes, each one request at a time on a new connection every 0.2 s:
   `GET /healthz` and a logged-in `GET /api/me`. A probe that has no answer within
   `--probe-timeout` seconds counts as a timeout at that time.

Prints, per candidate and mode, the probes' p50, p95 and max latency, timeouts, errors,
and how many slow connections the server closed; the last line is all of it as JSON.
Every process started here is stopped by its pid.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.procs import answering, free_port, stop, wait_until_ready

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# Flags of the gunicorn line in scripts/start.sh (besides --bind), as it runs by default.
START_FLAGS = ["--workers", "2", "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
               "--access-logfile", "-"]
CANDIDATES = {
    "start": [],
    "sync": ["--worker-class", "sync"],
    "gthread": ["--worker-class", "gthread", "--threads", "8"],
    "gthread32": ["--worker-class", "gthread", "--threads", "32"],
}
BIG_FILE = "/app/vendor/pinyin-pro/pinyin-pro.js"  # 324 KB plain
READ_RATE = 32_000  # bytes per second shared by all slow readers: 256 kbit/s


def make_database(workdir: Path, url: str | None = None) -> dict[str, str]:
    """Migrate a new SQLite file (or the empty database at `url`) and load the demo
    township; the environment to serve it."""
    env = {**os.environ, "DATABASE_URL": url or f"sqlite:///{workdir / 'bench.sqlite'}",
           "SECRET_KEY": secrets.token_hex(32), "FLASK_APP": "server"}
    for args in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run([str(VENV_BIN / "flask"), *args], cwd=ROOT, env=env, check=True,
                       capture_output=True)
    return env


def start_server(argv_extra: list[str], port: int, env: dict, log: Path) -> subprocess.Popen:
    """gunicorn from the repository root (so gunicorn.conf.py applies), answering /healthz."""
    argv = [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", *START_FLAGS,
            *argv_extra, "server:create_app()"]
    with open(log, "ab") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        wait_until_ready(proc, answering(port), what="gunicorn", log=log)
    except RuntimeError:
        stop(proc, grace=20)
        raise
    return proc


def request(port: int, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, timeout: float = 10) -> tuple[int, Any, bytes]:
    """One request on a new connection: status, headers, body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


def login(port: int, username: str = "doctor01", password: str = "demo1234") -> str:
    """The session cookie of a logged-in demo doctor."""
    status, headers, _ = request(port, "POST", "/api/auth/login",
                                 json.dumps({"username": username, "password": password}).encode(),
                                 {"Content-Type": "application/json", "X-Requested-With": "cunyi"})
    if status != 200:
        raise RuntimeError(f"login answered {status}")
    return headers["Set-Cookie"].split(";", 1)[0]


class SlowClients:
    """`n` connections that each misbehave in one way, reopened when the server closes them."""

    OPENINGS = {
        "body": (b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                 b"Content-Type: application/json\r\nX-Requested-With: cunyi\r\n"
                 b"Content-Length: 4096\r\n\r\n{"),
        "headers": b"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n",
        "readers": f"GET {BIG_FILE} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(),
    }

    def __init__(self, port: int, mode: str, n: int):
        self.port, self.mode, self.n = port, mode, n
        self.closed_by_server = 0
        self.bytes_read = 0
        self.stopping = threading.Event()
        self.socks: list[socket.socket | None] = [None] * n
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _open(self) -> socket.socket | None:
        s = socket.socket()
        if self.mode == "readers":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.settimeout(5)
        try:
            s.connect(("127.0.0.1", self.port))
            s.sendall(self.OPENINGS[self.mode])
        except OSError:
            s.close()
            return None
        s.setblocking(False)
        return s

    def _tick(self, i: int, s: socket.socket, budget: int) -> bool:
        """One second's worth for connection `i`; False when the server has closed it."""
        try:
            if self.mode == "readers":
                data = s.recv(budget)
                if not data:
                    return False
                self.bytes_read += len(data)
                return True
            # A server that gave up on the request (an answer such as 408, or a close)
            # shows up as a readable socket.
            try:
                s.recv(65536)
                return False
            except BlockingIOError:
                pass
            s.send(b" " if self.mode == "body" else b"x")
            return True
        except BlockingIOError:
            return True
        except OSError:
            return False

    def _run(self) -> None:
        step = 0.1  # readers read 1/10 of a second's share every 0.1 s; writers act each 1 s
        ticks = 0
        while not self.stopping.is_set():
            for i in range(self.n):
                s = self.socks[i]
                if s is None:
                    self.socks[i] = self._open()
                    continue
                if self.mode != "readers" and ticks % 10:
                    continue
                budget = max(1, int(READ_RATE * step / self.n))
                if not self._tick(i, s, budget):
                    self.closed_by_server += 1
                    s.close()
                    self.socks[i] = None
            ticks += 1
            self.stopping.wait(step)

    def start(self) -> None:
        """Open the connections (in the background) and keep them misbehaving."""
        self.thread.start()

    def stop(self) -> None:
        """Stop and close every connection."""
        self.stopping.set()
        self.thread.join(timeout=5)
        for s in self.socks:
            if s is not None:
                s.close()


def probe(port: int, path: str, headers: dict, until: float, timeout: float,
          out: list[tuple[float, str]]) -> None:
    """Requests one after another until `until`: (latency in s, outcome) each."""
    while time.monotonic() < until:
        t0 = time.monotonic()
        try:
            status = request(port, "GET", path, headers=headers, timeout=timeout)[0]
            outcome = "ok" if status == 200 else f"http {status}"
        except TimeoutError:
            outcome = "timeout"
        except OSError as e:
            outcome = type(e).__name__
        out.append((time.monotonic() - t0, outcome))
        time.sleep(max(0.0, 0.2 - (time.monotonic() - t0)))


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def run_one(port: int, mode: str, n: int, duration: float, probe_timeout: float) -> dict:
    """Slow clients of one kind for `duration` s, and the probes' figures meanwhile."""
    cookie = login(port)
    slow = SlowClients(port, mode, n) if n else None
    if slow:
        slow.start()
        time.sleep(2)  # let them connect and take whatever they can
    until = time.monotonic() + duration
    results: dict[str, list] = {"/healthz": [], "/api/me": []}
    threads = [threading.Thread(target=probe, args=(port, "/healthz", {}, until, probe_timeout,
                                                    results["/healthz"])),
               threading.Thread(target=probe, args=(port, "/api/me", {"Cookie": cookie}, until,
                                                    probe_timeout, results["/api/me"]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if slow:
        slow.stop()
    figures = {"mode": mode, "slow": n, "closed_by_server": slow.closed_by_server if slow else 0,
               "read_kB": round(slow.bytes_read / 1000) if slow else 0}
    every = [r for rs in results.values() for r in rs]
    ok = [lat for lat, outcome in every if outcome == "ok"]
    timed = [lat if outcome == "ok" else max(lat, probe_timeout) for lat, outcome in every]
    figures.update({
        "probes": len(every), "ok": len(ok),
        "timeouts": sum(1 for _, o in every if o == "timeout"),
        "errors": sum(1 for _, o in every if o not in ("ok", "timeout")),
        "p50_ms": round(statistics.median(timed) * 1000, 1) if timed else None,
        "p95_ms": round(percentile(timed, 95) * 1000, 1) if timed else None,
        "max_ms": round(max(timed) * 1000, 1) if timed else None,
    })
    return figures


def main() -> int:
    """Run every candidate against every mode; print a table and a JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", default="start",
                        help="comma-separated: " + ", ".join(CANDIDATES))
    parser.add_argument("--modes", default="none,body,headers,readers",
                        help="comma-separated: none, body, headers, readers")
    parser.add_argument("--slow", type=int, default=50, help="slow connections (default 50)")
    parser.add_argument("--duration", type=float, default=30, help="seconds per mode")
    parser.add_argument("--probe-timeout", type=float, default=10)
    parser.add_argument("--db", help="an empty PostgreSQL database's URL (default: SQLite)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="slow-clients-") as tmp:
        workdir = Path(tmp)
        env = make_database(workdir, args.db)
        for name in args.candidates.split(","):
            for mode in args.modes.split(","):
                port = free_port()
                log = workdir / f"{name}.log"
                proc = start_server(CANDIDATES[name], port, env, log)
                try:
                    row = {"candidate": name, **run_one(port, mode, 0 if mode == "none"
                                                        else args.slow, args.duration,
                                                        args.probe_timeout)}
                finally:
                    stop(proc, grace=20)
                row["worker_timeouts"] = log.read_text(errors="replace").count("WORKER TIMEOUT")
                log.unlink()
                rows.append(row)
                print("{candidate:10} {mode:8} slow {slow:3}  probes {probes:4}  p50 {p50_ms:8} ms"
                      "  p95 {p95_ms:8} ms  max {max_ms:8} ms  timeouts {timeouts:3}  errors "
                      "{errors:3}  closed {closed_by_server:3}  worker timeouts {worker_timeouts}"
                      .format(**row), flush=True)
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
