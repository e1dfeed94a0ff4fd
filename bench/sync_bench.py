"""Sync benchmark (issue 3): our protocol side by side with the CouchDB-protocol anchor.

One command from the repository root:

    .venv/bin/python -m bench.sync_bench --anchors DIR             # 3 rounds, medians
    .venv/bin/python -m bench.sync_bench --anchors DIR --rounds 1  # a quick look

DIR holds the anchors kept outside the repository (pouchdb/ and slowlink.py); the variable
CUNYI_ANCHORS may say it instead (bench/anchors.py).

What it does, all on loopback, every process started here stopped here by its pid:

1. A fresh SQLite file in a temporary directory: `flask db upgrade`, `flask seed-demo`,
   then bench/sync_data.py adds one one-resident "slow-link" village per round, grows the
   demo village 凉水村 to a clinic's year of work (~500 residents, ~8,000 records),
   published to the sync log with `core.changelog.backfill`.
2. The real server: gunicorn (3 workers of gunicorn.conf.py's worker class, as the
   Procfile runs it) on that file; the anchor (`pouchdb/` of the anchors directory,
   copied to a temporary directory and `npm ci`-ed there once) on LevelDB; one
   `slowlink.py` in front of each (600 ms round trip, 256 kbit/s each way).
3. Each round, the two systems back to back (which one goes first alternates), so a pair
   sees the same machine noise; ratios are medians of the per-round ratios:
   - loopback: the anchor's `bench.js --n 10000 --batch 100`; ours: a phone pushes
     10,000 hypertension follow-ups (the same fields and values as bench.js makes), and
     another phone of the same doctor, already up to date, pulls those 10,000;
   - slow link: `bench.js --n 50` through its slowlink; ours: a day's work (50 records)
     pushed by an up-to-date phone, then a fresh phone of that village's doctor pulls
     everything it needs (the 50 records, its one household and resident, reference data);
   - then, once per round, a fresh phone of 凉水村's doctor pulls the whole village
     through the slow link (bytes on the wire from slowlink's /stats).
   Phones are enrolled beforehand on loopback (enrolment is not timed); every request a
   sync makes, with its connection set-up, is timed.
   (bench/sync_rounds.py)
4. Reconciliation (bench/sync_reconcile.py): every record our phones pushed is on the
   server exactly once (rows, receipts, change-log rows), was acknowledged exactly once,
   and reached the pulling phone exactly once: `lost` and `duplicated` count every
   departure from that.

Prints a table of medians and, as its last line, one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from bench import anchors, sync_data
from bench.procs import Processes, free_port
from bench.sync_reconcile import reconcile
from bench.sync_report import figures, print_table
from bench.sync_rounds import Phones, Rounds, Systems, enrol, log, via
from sync import client as sync_client

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
BIG_RECORDS = 8_000
RTT_MS = 600
KBPS = 256
WORKERS = 3


def main() -> int:
    """Parse the options, run the benchmark, print the table and the JSON line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="repetitions (medians quoted)")
    ap.add_argument("--village-rounds", type=int, default=None,
                    help="repetitions of the ~8,000-record village pull (default: --rounds)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    anchors.add_option(ap)
    args = ap.parse_args()
    home = anchors.find_or_exit(ap, args.anchors, "pouchdb/package-lock.json", "slowlink.py")
    village_rounds = args.village_rounds or args.rounds

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    workdir = Path(tempfile.mkdtemp(prefix="cunyi-syncbench-"))
    procs = Processes(workdir)
    try:
        result = run(home, args.rounds, village_rounds, workdir, procs)
    finally:
        procs.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}", file=sys.stderr)
    print_table(result)
    print(json.dumps(result, ensure_ascii=False))
    return 0


def server_env(db_path: Path) -> dict[str, str]:
    """Our server's environment: the benchmark's SQLite file and a fresh secret key."""
    return {**os.environ, "DATABASE_URL": f"sqlite:///{db_path}",
            "SECRET_KEY": "bench-" + uuid.uuid4().hex, "PYTHONPATH": str(ROOT)}


def make_database(env: dict[str, str], rounds: int) -> dict[str, Any]:
    """Migrate, load the demo township, add the bench villages (bench/sync_data.py)."""
    log("database: migrate, demo township, bench villages")
    flask = [str(VENV_BIN / "flask"), "--app", "server"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    return sync_data.prepare(env["DATABASE_URL"], slow_villages=rounds, big_records=BIG_RECORDS)


def start_systems(anchors_dir: Path, env: dict[str, str], workdir: Path,
                  procs: Processes) -> Systems:
    """gunicorn on our database, the anchor's server, and a slowlink in front of each."""
    log("anchor: npm ci (first run only)")
    home = anchors.pouchdb_home(anchors_dir)
    port, anchor_port = free_port(), free_port()
    procs.start("gunicorn", [str(VENV_BIN / "gunicorn"), "--workers", str(WORKERS),
                             "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                             "--timeout", "300", "server:create_app()"],
                port, cwd=ROOT, env=env)
    procs.start("anchor", ["node", "server.js", str(anchor_port), str(workdir / "anchor-data")],
                anchor_port, cwd=home)
    links = {}
    for name, upstream in (("ours", port), ("anchor", anchor_port)):
        listen, stats = free_port(), free_port()
        procs.start(f"slowlink-{name}", anchors.slowlink_argv(
            anchors_dir, "--listen", str(listen), "--to", str(upstream), "--rtt-ms", str(RTT_MS),
            "--kbps", str(KBPS), "--stats", str(stats)), stats)
        links[name] = (f"http://127.0.0.1:{listen}", stats)
    return Systems(ours=f"http://127.0.0.1:{port}", anchor=f"http://127.0.0.1:{anchor_port}",
                   ours_slow=links["ours"][0], anchor_slow=links["anchor"][0],
                   ours_stats=links["ours"][1], anchor_stats=links["anchor"][1],
                   pouchdb_home=home)


def enrol_phones(workdir: Path, s: Systems, data: dict[str, Any], village_rounds: int) -> Phones:
    """Every phone the run uses, enrolled on loopback (not timed); the loopback pair and the
    slow-link pushers brought up to date first."""
    log("phones: enrol on loopback, bring the pushing and pulling phones up to date")
    pusher = enrol(workdir, "loop-push", s.ours, "doctor01", "demo1234")
    puller = enrol(workdir, "loop-pull", s.ours, "doctor01", "demo1234")
    pusher.sync()
    puller.sync()
    slow = []
    for k, v in enumerate(data["slow"]):
        p = enrol(workdir, f"slow-push-{k}", s.ours, v["username"], v["password"])
        p.sync()
        f = enrol(workdir, f"slow-pull-{k}", s.ours, v["username"], v["password"])
        slow.append((v, via(p, s.ours_slow), via(f, s.ours_slow)))
    big = data["big"]
    villagers = [via(enrol(workdir, f"village-{k}", s.ours, big["doctor"], big["password"]),
                     s.ours_slow) for k in range(village_rounds)]
    return Phones(pusher=pusher, puller=puller, slow=slow, villagers=villagers)


def run(anchors_dir: Path, rounds: int, village_rounds: int, workdir: Path,
        procs: Processes) -> dict[str, Any]:
    """The whole benchmark: set up, measure round by round, reconcile; every figure."""
    db_path = workdir / "server.sqlite"
    env = server_env(db_path)
    data = make_database(env, rounds)
    systems = start_systems(anchors_dir, env, workdir, procs)
    phones = enrol_phones(workdir, systems, data, village_rounds)
    bench = Rounds(systems, phones, data["loop_residents"], rounds)
    for r in range(rounds):
        bench.round(r)
    for r in range(village_rounds):
        bench.village_pull(r, village_rounds, data["big"])
    log("reconcile")
    lost, duplicated, problems = reconcile(
        db_path, [phones.pusher, *(p for _, p, _ in phones.slow)],
        bench.pushed["loop"] + bench.pushed["slow"], bench.pulls)
    return {**figures(bench.runs, lost, duplicated), **settings(data, bench, village_rounds),
            "problems": bench.problems + problems}


def settings(data: dict[str, Any], bench: Rounds, village_rounds: int) -> dict[str, Any]:
    """What the run was: the village, one record's size, rounds, batches, the link."""
    big = data["big"]
    record = {"id": str(uuid.uuid4()),
              **sync_data.followup(1, data["loop_residents"][0], bench.today)}
    return {
        "village": {k: big[k] for k in ("name", "residents", "households", "records")},
        # as bench.js counts its record_json_bytes
        "record_json_chars": len(json.dumps(record, ensure_ascii=False, separators=(",", ":"))),
        "rounds": bench.rounds, "village_rounds": village_rounds,
        "push_batch": sync_client.PUSH_BATCH, "pull_limit": sync_client.PULL_LIMIT,
        "anchor_batch": anchors.ANCHOR_BATCH, "gunicorn_workers": WORKERS,
        "link": {"rtt_ms": RTT_MS, "kbps": KBPS},
        "runs": {k: [round(x, 3) for x in v] for k, v in bench.runs.items()},
    }


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
