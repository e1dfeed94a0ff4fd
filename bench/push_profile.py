"""Where a push's time goes: the 10,000-record push of bench/sync_bench.py, in one process.

    .venv/bin/python -m bench.push_profile            # timings: client, server, total
    .venv/bin/python -m bench.push_profile --profile  # plus cProfile of the server side
    .venv/bin/python -m bench.push_profile --phases   # CPU per step of the server's work
    .venv/bin/python -m bench.push_profile --http --anchors DIR  # gunicorn + the anchor

A fresh SQLite file (migrated, demo township), one phone of doctor01 enrolled through the
Flask test client, 10,000 hypertension follow-ups (the anchor's fields) in its outbox, then
one sync. The server side is timed inside the WSGI call; the client side is the rest. No
network and no gunicorn: this isolates CPU per record, which is what the loopback push goal
is made of (docs/benchmarks.md).

With `--http`, the same push goes to gunicorn (as bench/sync_bench.py runs it) over
loopback, each round paired with the anchor's `bench.js --n 10000 --batch 100` push: a
quick look at the push ratio alone (bench/sync_bench.py is the benchmark of record).
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import gc
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

from bench import anchors, sync_data
from sync.client import SyncClient

ROOT = Path(__file__).resolve().parent.parent


class TimedTransport:
    """The Flask test client, with the time spent inside the server added up."""

    def __init__(self, app, profiler: cProfile.Profile | None):
        self.client = app.test_client()
        self.server_s = 0.0
        self.server_cpu_s = 0.0  # thread CPU inside the WSGI calls
        self.requests = 0
        self.profiler = profiler

    def post(self, path, body, headers):
        t, cpu = time.perf_counter(), time.thread_time()
        if self.profiler:
            self.profiler.enable()
        r = self.client.post(path, data=body, headers=headers)
        data = r.get_data()
        if self.profiler:
            self.profiler.disable()
        self.server_s += time.perf_counter() - t
        self.server_cpu_s += time.thread_time() - cpu
        self.requests += 1
        return r.status_code, {k.lower(): v for k, v in r.headers.items()}, data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--phases", action="store_true",
                        help="thread CPU time per step of the server's work, last round")
    parser.add_argument("--timeline", action="store_true",
                        help="with --http: when each request of the last round was in flight")
    anchors.add_option(parser)
    args = parser.parse_args()
    if args.http:
        home = anchors.find_or_exit(parser, args.anchors, "pouchdb/package-lock.json")
        return http_rounds(args, home)
    phases = time_phases() if args.phases else None

    from flask_migrate import upgrade

    from core.changelog import backfill
    from server import create_app
    from server.demo.generate import generate_demo
    from server.extensions import db

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/profile.sqlite"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            generate_demo(db.session, seed=app.config["DEMO_SEED"])
            backfill(db.session)
            db.session.commit()
        with app.app_context():
            residents = sync_data._residents_of_doctor(db.session, "doctor01")
            db.session.remove()
        profiler = cProfile.Profile() if args.profile else None
        rows = []
        for r in range(args.rounds):
            transport = TimedTransport(app, None)
            phone = SyncClient(f"{tmp}/phone{r}.sqlite", transport)
            phone.enrol("doctor01", "demo1234", label=f"profile-{r}")
            phone.sync()
            today = dt.date(2026, 11, 23)
            for i in range(args.n):
                phone.create("record", sync_data.followup(
                    i, residents[i % len(residents)], today))
            transport.server_s, transport.server_cpu_s, transport.requests = 0.0, 0.0, 0
            transport.profiler = profiler if r == args.rounds - 1 else None
            gc.collect()
            gc.freeze()  # as gunicorn.conf.py does once a worker has loaded
            if phases is not None:
                phases.clear()
            t = time.perf_counter()
            stats = phone.sync()
            total = time.perf_counter() - t
            assert stats["pushed"] == args.n and not stats["rejected"], stats
            rows.append((total, transport.server_s, total - transport.server_s,
                         transport.requests))
            print(f"round {r + 1}: total {total:.3f} s, server {transport.server_s:.3f} s "
                  f"(CPU {transport.server_cpu_s:.3f} s), client "
                  f"{total - transport.server_s:.3f} s, {transport.requests} requests, "
                  f"{args.n / total:,.0f} rec/s", flush=True)
        rows.sort()
        total, server, client, _ = rows[len(rows) // 2]
        print(f"median: total {total:.3f} s ({1e6 * total / args.n:.0f} µs/record), server "
              f"{1e6 * server / args.n:.0f} µs/record, client {1e6 * client / args.n:.0f} "
              f"µs/record")
        if phases is not None:
            print("thread CPU per record, last round (steps nest: the first holds the rest):")
            for label, seconds in sorted(phases.items(), key=lambda kv: -kv[1]):
                print(f"  {1e6 * seconds / args.n:7.1f} µs  {label}")
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(45)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(30)
            print(out.getvalue())
    return 0


def time_phases() -> dict[str, float]:
    """Wrap the push's steps (and SQLite's own calls) to add up their thread CPU time."""
    from collections import defaultdict

    from sqlalchemy.engine import default
    from sqlalchemy.orm import Session

    import server.api.sync as api
    import sync.push as push

    spent: dict[str, float] = defaultdict(float)

    def wrap(owner, name: str, label: str) -> None:
        original = getattr(owner, name)

        def timed(*args, **kwargs):
            started = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent[label] += time.thread_time() - started
        setattr(owner, name, timed)

    wrap(api, "handle_sync", "the request (handle_sync)")
    wrap(api, "_body", "inflate and parse the body")
    wrap(push, "preflight", "validation (preflight)")
    wrap(push, "stage", "staging new records (stage)")
    wrap(push._Push, "__init__", "taking the counter lock")
    wrap(push._Push, "prefetch", "lookups under the lock (prefetch)")
    wrap(push._Push, "apply", "results under the lock (apply)")
    wrap(push._Push, "finish", "inserts under the lock (finish)")
    wrap(Session, "commit", "commit")
    wrap(default.DefaultDialect, "do_executemany", "· SQLite executemany")
    wrap(default.DefaultDialect, "do_execute", "· SQLite execute")
    wrap(default.DefaultDialect, "do_commit", "· SQLite commit")
    return spent


def http_rounds(args, anchors_dir: Path) -> int:
    """Our push through gunicorn against the anchor's, round by round."""
    import os
    import statistics
    import subprocess
    import uuid

    from bench import sync_bench as sb
    from bench.procs import Processes, free_port
    from sync.client import HttpTransport

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir}/server.sqlite"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": uuid.uuid4().hex,
               "PYTHONPATH": str(ROOT)}
        flask = [str(sb.VENV_BIN / "flask"), "--app", "server"]
        subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        residents = sync_data.prepare(url, slow_villages=0, big_records=0)["loop_residents"]
        procs = Processes(workdir)
        try:
            port, anchor_port = free_port(), free_port()
            master = procs.start("gunicorn", [str(sb.VENV_BIN / "gunicorn"), "--workers",
                                     str(sb.WORKERS), "--bind", f"127.0.0.1:{port}",
                                     "--log-level", "warning", "--timeout", "300",
                                     "server:create_app()"], port, cwd=ROOT, env=env)
            home = anchors.pouchdb_home(anchors_dir)
            procs.start("anchor", ["node", "server.js", str(anchor_port),
                                   str(workdir / "anchor-data")], anchor_port, cwd=home)
            base = f"http://127.0.0.1:{port}"
            phone = SyncClient(str(workdir / "phone.sqlite"), HttpTransport(base, timeout=300))
            phone.enrol("doctor01", "demo1234", label="push-profile")
            phone.sync()
            ratios, ours, theirs = [], [], []
            timeline = _record_requests(HttpTransport) if args.timeline else None
            for r in range(args.rounds):
                for i in range(args.n):
                    phone.create("record", sync_data.followup(
                        i, residents[i % len(residents)], dt.date(2026, 11, 23)))
                a = anchors.run_pouchdb_bench(home, args.n, f"http://127.0.0.1:{anchor_port}",
                                        f"http://127.0.0.1:{anchor_port}")
                if timeline is not None:
                    timeline.clear()
                t, cpu, server = time.perf_counter(), time.process_time(), _cpu_of(master.pid)
                stats = phone.sync()
                mine = time.perf_counter() - t
                cpu = time.process_time() - cpu
                server = _cpu_of(master.pid) - server
                assert stats["pushed"] == args.n and not stats["rejected"], stats
                ours.append(args.n / mine)
                theirs.append(args.n / a["push_s"])
                ratios.append(a["push_s"] / mine)
                print(f"round {r + 1}: ours {ours[-1]:,.0f} rec/s ({stats['requests']} "
                      f"requests, CPU per record: client {1e6 * cpu / args.n:.0f} µs, server "
                      f"{1e6 * server / args.n:.0f} µs), anchor "
                      f"{theirs[-1]:,.0f} rec/s, ratio {ratios[-1]:.2f}", flush=True)
            print(f"median: ours {statistics.median(ours):,.0f} rec/s, anchor "
                  f"{statistics.median(theirs):,.0f} rec/s, ratio {statistics.median(ratios):.2f}")
            if timeline:
                start = min(b for b, _, _, _ in timeline)
                lanes = sorted({lane for _, _, lane, _ in timeline})
                print("last round's requests (ms from the first; lane; request bytes):")
                for began, ended, lane, size in sorted(timeline):
                    print(f"  {1e3 * (began - start):7.1f} → {1e3 * (ended - start):7.1f}"
                          f"  lane {lanes.index(lane)}  {size:,} B")
        finally:
            procs.stop_all()
    return 0


def _record_requests(transport_class) -> list[tuple[float, float, int, int]]:
    """Note (start, end, thread, body bytes) of every request the transport sends."""
    import threading

    log: list[tuple[float, float, int, int]] = []
    post = transport_class.post

    def noted(self, path, body, headers):
        began = time.perf_counter()
        try:
            return post(self, path, body, headers)
        finally:
            log.append((began, time.perf_counter(), threading.get_ident(), len(body)))
    transport_class.post = noted
    return log


def _cpu_of(master: int) -> float:
    """CPU seconds used so far by the gunicorn workers (the master's children)."""
    import os

    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for child in Path(f"/proc/{master}/task/{master}/children").read_text().split():
        try:
            fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


if __name__ == "__main__":
    sys.exit(main())
