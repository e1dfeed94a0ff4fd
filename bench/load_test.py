"""Load test: hundreds of phones sync at once through a link that cuts connections.

    .venv/bin/python -m bench.load_test --anchors DIR --devices 200 --duration 180

What it does, all on loopback, every process stopped by its pid at the end:
1. a throwaway PostgreSQL 15 cluster (bench/pg.py), migrated, with the demo township;
2. gunicorn on the app factory (`--workers`, threads per worker `--threads`);
3. the anchors' `slowlink.py` in front of it with `--drop-rate`, cutting that share of
   connections at a random byte (a request never fully sent, or a response lost);
4. `--devices` phones (the Python reference client, each with its own SQLite store and
   outbox) spread over `--procs` processes, each phone in its own thread: enrol, pull its
   villages, then until `--duration` is up: record 1–8 follow-ups of its residents, now and
   then edit a resident, sync, sometimes re-send its last request as is (a replay), rest
   1–4 s. A cut connection is an error the phone shrugs off: its outbox is intact and the
   next sync re-sends it;
5. afterwards every phone syncs directly (no cuts) until its outbox is empty, and every
   phone's acknowledgements are reconciled with the database: every record made on a phone
   is stored exactly once (lost = made but not stored; duplicated = stored more than once or
   an op applied twice).

Prints a table and, as its last line, a JSON object with the figures.
"""
from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import pathlib
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

from bench import anchors
from bench.pg import throwaway
from bench.procs import free_port, listening, stop, wait_until_ready
from sync.client import HttpTransport, ServerRefused, SyncClient, SyncError

ROOT = pathlib.Path(__file__).resolve().parent.parent
VENV_BIN = pathlib.Path(sys.executable).parent  # the venv running this bench
PASSWORD = "demo1234"


class TimedTransport(HttpTransport):
    """HttpTransport that records each sync request's latency (successful or not)."""

    def __init__(self, base_url: str, latencies: list[float]):
        super().__init__(base_url, timeout=60)
        self.latencies = latencies
        self.last: tuple[str, bytes, dict] | None = None

    def post(self, path, body, headers):
        """Time one POST; remember the last sync request for replays."""
        if path == "/api/sync":
            self.last = (path, body, headers)
        started = time.perf_counter()
        try:
            result = super().post(path, body, headers)  # a cut raises: only answers are timed
        finally:
            # A phone on a mobile network rarely keeps a connection between syncs (NAT
            # timeouts, radio sleep): a new connection each time, each one the link may cut.
            self.close()
        if path == "/api/sync":
            self.latencies.append(time.perf_counter() - started)
        return result


def phone_life(n: int, username: str, workdir: str, link_url: str, direct_url: str,
               deadline: float, seed: int, out: dict) -> None:
    """One phone: enrol, work and sync until the deadline, then settle directly."""
    rng = random.Random(seed)
    latencies: list[float] = []
    stats = {"syncs": 0, "cuts": 0, "replays": 0, "made": [], "edits": 0, "errors": [],
             "refused": []}
    # The first full pull of the villages is timed apart: it is not a routine sync.
    initial: list[float] = []
    phone = SyncClient(os.path.join(workdir, f"phone{n}.sqlite"),
                       TimedTransport(direct_url, initial))
    try:
        phone.enrol(username, PASSWORD, label=f"load-{n}")
        phone.sync()
        phone.transport = TimedTransport(link_url, latencies)
        residents = sorted(phone.all("resident"))
        while time.monotonic() < deadline and residents:
            for _ in range(rng.randint(1, 8)):
                body = {"kind": "hypertension_followup", "resident_id": rng.choice(residents),
                        "service_date": "2026-11-20", "mode": rng.choice(["home", "clinic"]),
                        "sbp": rng.randint(110, 175), "dbp": rng.randint(65, 100),
                        "heart_rate": rng.randint(60, 95), "medication_adherence": "regular",
                        "medications": [{"drug": "氨氯地平片", "dose": "5mg",
                                         "frequency": "qd"}],
                        "notes": "按时服药，嘱低盐饮食。"}
                stats["made"].append(phone.create("record", body))
            if rng.random() < 0.1:
                phone.update("resident", rng.choice(residents),
                             {"contact_phone": f"139{rng.randint(0, 99999999):08d}"})
                stats["edits"] += 1
            try:
                phone.sync()
                stats["syncs"] += 1
            except ServerRefused as e:  # the server answered with an error: not a cut
                stats["refused"].append(f"{e.status} {str(e.body)[:200]}")
                phone.transport.close()
            except SyncError:
                stats["cuts"] += 1
                phone.transport.close()
            if rng.random() < 0.05 and phone.transport.last:
                try:  # the network delivers an old request twice
                    phone.transport.post(*phone.transport.last)
                    stats["replays"] += 1
                except SyncError:
                    stats["cuts"] += 1
                    phone.transport.close()
            time.sleep(rng.uniform(1, 4))
        phone.transport = TimedTransport(direct_url, [])
        for _ in range(20):
            try:
                phone.sync()
                if not [p for p in phone.pending() if p["status"] == "pending"]:
                    break
            except SyncError:
                time.sleep(1)
        stats["pending"] = len([p for p in phone.pending() if p["status"] == "pending"])
        rejected = [p for p in phone.pending() if p["status"] == "rejected"]
        stats["rejected"] = len(rejected)
        stats["rejections"] = [f"{p['entity']} {p['action']}: {p['errors']}" for p in rejected]
        stats["acked_ops"] = list(phone.results())
    except Exception as e:  # noqa: BLE001 - report, do not hide, a phone that died
        stats["errors"].append(f"{type(e).__name__}: {e} "
                               f"{traceback.format_exc(limit=-3).splitlines()[-4:]}")
    stats["latencies"] = latencies
    stats["initial"] = initial
    out[n] = stats


def run_group(args: tuple) -> dict:
    """One process's share of the phones, each in its own thread."""
    numbers, usernames, workdir, link_url, direct_url, deadline, seed = args
    out: dict = {}
    threads = [threading.Thread(target=phone_life, args=(n, usernames[n], workdir, link_url,
                                                          direct_url, deadline, seed + n, out))
               for n in numbers]
    for t in threads:
        t.start()
        time.sleep(0.02)  # enrolments spread out, as phones do not all start at once
    for t in threads:
        t.join()
    return out


def reconcile(database_url: str, results: dict) -> dict:
    """Every record made on a phone is in the database exactly once."""
    from sqlalchemy import create_engine, func, select

    from core.models import ServiceRecord, SyncChange, SyncReceipt

    engine = create_engine(database_url)
    made = [rid for r in results.values() for rid in r["made"]]
    acked = [op for r in results.values() for op in r.get("acked_ops", [])]
    with engine.connect() as conn:
        stored = {str(i) for i in conn.scalars(select(ServiceRecord.id))}
        doubled_ops = conn.execute(
            select(func.count()).select_from(
                select(SyncChange.op_id).where(SyncChange.op_id.is_not(None))
                .group_by(SyncChange.op_id).having(func.count() > 1).subquery())).scalar()
        receipts = conn.execute(select(func.count(SyncReceipt.op_id))).scalar() + \
            conn.execute(select(func.count(SyncChange.op_id.distinct()))).scalar()
    engine.dispose()
    return {"made": len(made), "distinct_made": len(set(made)),
            "lost": len(set(made) - stored), "duplicated": doubled_ops + (len(made) -
                                                                          len(set(made))),
            "acked_ops": len(acked), "receipts": receipts}


def main() -> None:
    """Parse options, run, print the table and the JSON line."""
    parser = argparse.ArgumentParser(description="sync load test (see module docstring)")
    parser.add_argument("--devices", type=int, default=200)
    parser.add_argument("--duration", type=float, default=180)
    parser.add_argument("--drop-rate", type=float, default=0.1)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--procs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    anchors.add_option(parser)
    args = parser.parse_args()
    anchors_dir = anchors.find_or_exit(parser, args.anchors, "slowlink.py")

    procs: list[subprocess.Popen] = []
    workdir = tempfile.mkdtemp(prefix="cunyi-load.")
    try:
        with throwaway(f"-c max_connections={100 + args.workers * args.threads}") as url:
            env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32)}
            flask = [str(VENV_BIN / "flask"), "--app", "server"]
            subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
            subprocess.run([*flask, "seed-demo"], env=env, check=True, capture_output=True)
            web, link, stats_port = free_port(), free_port(), free_port()
            procs.append(subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "--bind", f"127.0.0.1:{web}", "--workers",
                 str(args.workers), "--threads", str(args.threads), "--worker-class", "gthread",
                 "--timeout", "120", "--log-level", "warning", "server:create_app()"],
                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            procs.append(subprocess.Popen(anchors.slowlink_argv(
                anchors_dir, "--listen", str(link), "--to", str(web), "--rtt-ms", "0",
                "--kbps", "0", "--drop-rate", str(args.drop_rate),
                # Cut within the first 4 KiB: a routine sync is only a few KiB each way.
                "--cut-max-bytes", "4096", "--seed", str(args.seed), "--stats", str(stats_port)),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            wait_until_ready(procs[0], listening(web), what="gunicorn")
            wait_until_ready(procs[1], listening(link), what="slowlink")
            doctors = [f"doctor{i:02d}" for i in range(1, 16)]
            usernames = {n: doctors[n % len(doctors)] for n in range(args.devices)}
            started = time.monotonic()
            deadline = started + args.duration
            groups = [(list(range(p, args.devices, args.procs)), usernames, workdir,
                       f"http://127.0.0.1:{link}", f"http://127.0.0.1:{web}", deadline,
                       args.seed * 1000) for p in range(args.procs)]
            with mp.get_context("spawn").Pool(args.procs) as pool:
                results: dict = {}
                for part in pool.map(run_group, groups):
                    results.update(part)
            elapsed = time.monotonic() - started
            link_stats = json.loads(urllib.request.urlopen(
                f"http://127.0.0.1:{stats_port}/stats", timeout=10).read())
            figures = reconcile(url, results)
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(workdir, ignore_errors=True)

    latencies = sorted(x for r in results.values() for x in r["latencies"])
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    errors = [e for r in results.values() for e in r["errors"]]
    initial = sorted(x for r in results.values() for x in r.get("initial", []))
    out = {
        "devices": args.devices, "duration_s": round(elapsed, 1),
        "sync_requests": len(latencies),
        "sync_p50_ms": round(q[49] * 1000, 1), "sync_p95_ms": round(q[94] * 1000, 1),
        "initial_pull_p50_ms": round(statistics.median(initial) * 1000, 1) if initial else None,
        "records": figures["made"],
        "records_per_s": round(figures["made"] / elapsed, 1),
        "cut_connections": link_stats.get("cut_connections"),
        "phone_seen_cuts": sum(r["cuts"] for r in results.values()),
        "replays": sum(r["replays"] for r in results.values()),
        "resident_edits": sum(r["edits"] for r in results.values()),
        "left_pending": sum(r.get("pending", 0) for r in results.values()),
        "rejected": sum(r.get("rejected", 0) for r in results.values()),
        "phone_errors": len(errors),
        "server_refusals": sum(len(r["refused"]) for r in results.values()),
        "lost": figures["lost"], "duplicated": figures["duplicated"],
    }
    width = max(map(len, out))
    print(f"{'figure':<{width}}  value")
    for key, value in out.items():
        print(f"{key:<{width}}  {value}")
    for e in errors[:5]:
        print("phone error:", e)
    for r in [x for res in results.values() for x in res.get("rejections", [])][:5]:
        print("rejected:", r)
    refusals = collections.Counter(x[:80] for res in results.values() for x in res["refused"])
    for text, n in refusals.most_common(5):
        print(f"server refused {n}x: {text}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
