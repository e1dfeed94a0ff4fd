#!/usr/bin/env python3
"""Sync benchmark (issue 3): our protocol side by side with the CouchDB-protocol anchor.

One command from the repository root:

    .venv/bin/python bench/sync_bench.py            # 3 rounds, medians (a few minutes)
    .venv/bin/python bench/sync_bench.py --rounds 1 # a quick look

What it does, all on loopback, every process started here stopped here by its pid:

1. A fresh SQLite file in a temporary directory: `flask db upgrade`, `flask seed-demo`,
   then `bench/sync_data.py` adds one one-resident "slow-link" village per round, grows the
   demo village 凉水村 to a clinic's year of work (~500 residents, ~8,000 records),
   published to the sync log with `core.changelog.backfill`.
2. The real server: gunicorn (3 workers of gunicorn.conf.py's worker class, as the
   Procfile runs it) on that file; the
   anchor (`../shared/anchors/pouchdb`, copied to a temporary directory outside the
   repository and `npm ci`-ed there once) on LevelDB; one `slowlink.py` in front of each
   (600 ms round trip, 256 kbit/s each way).
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
4. Reconciliation: every record our phones pushed is on the server exactly once (rows,
   receipts, change-log rows), was acknowledged exactly once, and reached the pulling phone
   exactly once: `lost` and `duplicated` count every departure from that.

Prints a table of medians and, as its last line, one JSON object with every figure.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sync_data  # noqa: E402

from sync import client as sync_client  # noqa: E402
from sync.client import HttpTransport, SyncClient  # noqa: E402

ANCHORS = ROOT.parent / "shared" / "anchors"
ANCHOR_FILES = ("package.json", "package-lock.json", "server.js", "bench.js")
VENV_BIN = Path(sys.executable).parent
LOOP_N = 10_000
SLOW_N = 50
BIG_RECORDS = 8_000
RTT_MS = 600
KBPS = 256
WORKERS = 3
GOALS = {"push_ratio": 3.0, "pull_ratio": 3.0, "slow_push_ratio": 5.0, "slow_pull_ratio": 5.0,
         "village_initial_pull_s": 60.0}


# -- processes ---------------------------------------------------------------------------

class Processes:
    """Everything this run starts; `stop_all` ends each by its own pid."""

    def __init__(self, logdir: Path):
        self.logdir = logdir
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self.logs: list[Any] = []

    def start(self, name: str, argv: list[str], port: int, cwd: Path | None = None,
              env: dict | None = None) -> subprocess.Popen:
        out = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 (closed in stop_all)
        self.logs.append(out)
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        self.procs.append((name, proc))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited: see {self.logdir / (name + '.log')}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return proc
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{name} did not listen on {port}")

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGTERM)
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        self.procs = []
        for out in self.logs:
            out.close()
        self.logs = []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_json(url: str, method: str = "GET") -> Any:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


# -- the anchor ----------------------------------------------------------------------------

def anchor_dir() -> Path:
    """The anchor's four files copied outside the repository, with node_modules (npm ci
    once per package-lock)."""
    lock = (ANCHORS / "pouchdb" / "package-lock.json").read_bytes()
    home = Path(tempfile.gettempdir()) / f"cunyi-anchor-{hashlib.sha256(lock).hexdigest()[:12]}"
    stamp = home / "node_modules" / ".bench-ok"
    if not stamp.exists():
        home.mkdir(parents=True, exist_ok=True)
        for name in ANCHOR_FILES:
            target = home / name
            shutil.copyfile(ANCHORS / "pouchdb" / name, target)
            target.chmod(0o644)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=home,
                       check=True, stdout=subprocess.DEVNULL)
        stamp.write_text("ok")
    return home


def run_anchor_bench(home: Path, n: int, url: str, stats_url: str) -> dict[str, Any]:
    out = subprocess.run(["node", "bench.js", "--n", str(n), "--batch", "100", "--url", url,
                          "--stats", stats_url], cwd=home, capture_output=True, text=True,
                         timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"anchor bench.js failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# -- our phones ----------------------------------------------------------------------------

class Phone(SyncClient):
    """The reference client, noting every change it stores (to find doubles and gaps)."""

    def __init__(self, path: str, transport):
        super().__init__(path, transport)
        self.received: list[tuple[str, str]] = []

    def apply_response(self, response: dict[str, Any]) -> None:
        super().apply_response(response)  # all of it stored, or nothing (it raised)
        self.received += [(c["entity"], c["id"]) for c in response["changes"]]


def enrol(workdir: Path, name: str, base_url: str, username: str, password: str) -> Phone:
    phone = Phone(str(workdir / f"{name}.sqlite"), HttpTransport(base_url, timeout=300))
    phone.enrol(username, password, label=name)
    return phone


def via(phone: Phone, base_url: str) -> Phone:
    """Send this phone's next syncs to `base_url` (a new connection, as after a pause)."""
    phone.transport.close()
    phone.transport = HttpTransport(base_url, timeout=300)
    return phone


def timed_sync(phone: Phone) -> tuple[float, dict[str, int]]:
    phone.received = []
    t = time.perf_counter()
    stats = phone.sync()
    return time.perf_counter() - t, stats


def link_stats(port: int, reset: bool = False) -> dict[str, int]:
    return http_json(f"http://127.0.0.1:{port}/{'reset' if reset else 'stats'}",
                     "POST" if reset else "GET")


# -- the run ---------------------------------------------------------------------------------

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3, help="repetitions (medians quoted)")
    ap.add_argument("--village-rounds", type=int, default=None,
                    help="repetitions of the ~8,000-record village pull (default: --rounds)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    village_rounds = args.village_rounds or args.rounds

    def on_term(signum, frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    workdir = Path(tempfile.mkdtemp(prefix="cunyi-syncbench-"))
    procs = Processes(workdir)
    try:
        figures = run(args.rounds, village_rounds, workdir, procs)
    finally:
        procs.stop_all()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}", file=sys.stderr)
    print_table(figures)
    print(json.dumps(figures, ensure_ascii=False))
    return 0


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(rounds: int, village_rounds: int, workdir: Path, procs: Processes) -> dict[str, Any]:
    db_path = workdir / "server.sqlite"
    url = f"sqlite:///{db_path}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + uuid.uuid4().hex,
           "PYTHONPATH": str(ROOT)}
    flask = [str(VENV_BIN / "flask"), "--app", "server"]
    log("database: migrate, demo township, bench villages")
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    data = sync_data.prepare(url, slow_villages=rounds, big_records=BIG_RECORDS)
    big = data["big"]
    residents = data["loop_residents"]

    log("anchor: npm ci (first run only)")
    home = anchor_dir()

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
        procs.start(f"slowlink-{name}",
                    [sys.executable, str(ANCHORS / "slowlink.py"), "--listen", str(listen),
                     "--to", str(upstream), "--rtt-ms", str(RTT_MS), "--kbps", str(KBPS),
                     "--stats", str(stats)], stats)
        links[name] = (listen, stats)
    ours, anchor = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{anchor_port}"
    ours_slow = f"http://127.0.0.1:{links['ours'][0]}"
    anchor_slow_url = f"http://127.0.0.1:{links['anchor'][0]}"

    log("phones: enrol on loopback, bring the pushing and pulling phones up to date")
    pusher = enrol(workdir, "loop-push", ours, "doctor01", "demo1234")
    puller = enrol(workdir, "loop-pull", ours, "doctor01", "demo1234")
    pusher.sync()
    puller.sync()
    slow = []
    for k, v in enumerate(data["slow"]):
        p = enrol(workdir, f"slow-push-{k}", ours, v["username"], v["password"])
        p.sync()
        f = enrol(workdir, f"slow-pull-{k}", ours, v["username"], v["password"])
        slow.append((v, via(p, ours_slow), via(f, ours_slow)))
    villagers = [via(enrol(workdir, f"village-{k}", ours, big["doctor"], big["password"]),
                     ours_slow) for k in range(village_rounds)]

    runs: dict[str, list] = {k: [] for k in (
        "push_s", "pull_s", "push_requests", "pull_requests", "anchor_push_s", "anchor_pull_s",
        "anchor_push_requests", "anchor_pull_requests", "slow_push_s", "slow_pull_s",
        "slow_push_requests", "slow_pull_requests", "slow_push_bytes", "slow_pull_bytes",
        "anchor_slow_push_s", "anchor_slow_pull_s", "anchor_slow_bytes",
        "anchor_slow_requests", "village_s", "village_bytes", "village_requests",
        "village_changes")}
    pushed: dict[str, list[str]] = {"loop": [], "slow": []}
    # (label, record ids the pull must bring, the phone, what it received)
    pulled_ok: list[tuple[str, set[str], Phone, list[tuple[str, str]]]] = []
    problems: list[str] = []
    today = dt.datetime.now(dt.UTC).date()  # never after the server's (China) today

    def anchor_loop(r: int) -> None:
        log(f"round {r + 1}/{rounds}: loopback, anchor")
        a = run_anchor_bench(home, LOOP_N, anchor, anchor)
        runs["anchor_push_s"].append(a["push_s"])
        runs["anchor_pull_s"].append(a["pull_s"])
        runs["anchor_push_requests"].append(a["push_requests"])
        runs["anchor_pull_requests"].append(a["pull_requests"])

    def ours_loop(r: int) -> None:
        log(f"round {r + 1}/{rounds}: loopback, ours")
        ids = loop_ids[r]
        seconds, stats = timed_sync(pusher)
        runs["push_s"].append(seconds)
        runs["push_requests"].append(stats["requests"])
        if stats["pushed"] != LOOP_N or stats["rejected"]:
            problems.append(f"loop push round {r + 1}: {stats}")
        seconds, stats = timed_sync(puller)
        runs["pull_s"].append(seconds)
        runs["pull_requests"].append(stats["requests"])
        pulled_ok.append((f"loop pull {r + 1}", set(ids), puller, list(puller.received)))

    def anchor_slow(r: int) -> None:
        log(f"round {r + 1}/{rounds}: slow link, anchor")
        link_stats(links["anchor"][1], reset=True)
        a = run_anchor_bench(home, SLOW_N, anchor_slow_url, anchor)
        s = link_stats(links["anchor"][1])
        runs["anchor_slow_push_s"].append(a["push_s"])
        runs["anchor_slow_pull_s"].append(a["pull_s"])
        runs["anchor_slow_bytes"].append(s["up_bytes"] + s["down_bytes"])
        runs["anchor_slow_requests"].append(a["push_requests"] + a["pull_requests"])

    def ours_slow(r: int) -> None:
        log(f"round {r + 1}/{rounds}: slow link, ours")
        v, p, f = slow[r]
        ids = slow_ids[r]
        link_stats(links["ours"][1], reset=True)
        seconds, stats = timed_sync(p)
        s = link_stats(links["ours"][1])
        runs["slow_push_s"].append(seconds)
        runs["slow_push_requests"].append(stats["requests"])
        runs["slow_push_bytes"].append(s["up_bytes"] + s["down_bytes"])
        if stats["pushed"] != SLOW_N or stats["rejected"]:
            problems.append(f"slow push round {r + 1}: {stats}")
        link_stats(links["ours"][1], reset=True)
        seconds, stats = timed_sync(f)
        s = link_stats(links["ours"][1])
        runs["slow_pull_s"].append(seconds)
        runs["slow_pull_requests"].append(stats["requests"])
        runs["slow_pull_bytes"].append(s["up_bytes"] + s["down_bytes"])
        pulled_ok.append((f"slow pull {r + 1}", set(ids), f, list(f.received)))

    loop_ids: list[list[str]] = []
    slow_ids: list[list[str]] = []
    for r in range(rounds):
        # The day's work is entered on the phones first (not timed); then the two systems
        # run back to back, the one that goes first alternating from round to round.
        loop_ids.append([pusher.create("record", sync_data.followup(
            i, residents[i % len(residents)], today)) for i in range(LOOP_N)])
        pushed["loop"] += loop_ids[r]
        v, p, _f = slow[r]
        slow_ids.append([p.create("record", sync_data.followup(i, v["resident_id"], today))
                         for i in range(SLOW_N)])
        pushed["slow"] += slow_ids[r]
        pairs = ((anchor_loop, ours_loop), (anchor_slow, ours_slow))
        for first, second in pairs:
            if r % 2:
                first, second = second, first
            first(r)
            second(r)

    for r in range(village_rounds):
        log(f"village pull {r + 1}/{village_rounds}: {big['name']}, "
            f"{big['residents']} residents, {big['records']} records, slow link")
        link_stats(links["ours"][1], reset=True)
        seconds, stats = timed_sync(villagers[r])
        s = link_stats(links["ours"][1])
        runs["village_s"].append(seconds)
        runs["village_bytes"].append(s["up_bytes"] + s["down_bytes"])
        runs["village_requests"].append(stats["requests"])
        runs["village_changes"].append(stats["pulled"])
        got = {e: 0 for e in ("record", "resident", "household")}
        for entity, _ in villagers[r].received:
            got[entity] = got.get(entity, 0) + 1
        if (got["record"], got["resident"], got["household"]) != (
                big["records"], big["residents"], big["households"]):
            problems.append(f"village pull {r + 1}: got {got}, expected {big}")

    log("reconcile")
    lost, duplicated, detail = reconcile(db_path, pusher, [p for _, p, _ in slow], pushed,
                                         pulled_ok)
    problems += detail

    med = {k: statistics.median(v) for k, v in runs.items() if v}

    def rate(key: str) -> int:
        """Median over rounds of records per second."""
        return round(statistics.median(LOOP_N / x for x in runs[key]))

    def ratio(ours_key: str, anchor_key: str) -> float:
        """Median over rounds of (anchor's time / ours), each round's pair run back to back:
        how many times faster we are, with the machine's noise paired out."""
        return round(statistics.median(
            a / o for a, o in zip(runs[anchor_key], runs[ours_key], strict=True)), 2)

    figures: dict[str, Any] = {
        "push_records_per_s": rate("push_s"),
        "pull_records_per_s": rate("pull_s"),
        "anchor_push_records_per_s": rate("anchor_push_s"),
        "anchor_pull_records_per_s": rate("anchor_pull_s"),
        "slow_push_50_s": round(med["slow_push_s"], 2),
        "anchor_slow_push_50_s": round(med["anchor_slow_push_s"], 2),
        "slow_pull_50_s": round(med["slow_pull_s"], 2),
        "anchor_slow_pull_50_s": round(med["anchor_slow_pull_s"], 2),
        "village_initial_pull_s": round(med["village_s"], 1),
        "village_initial_pull_bytes": round(med["village_bytes"]),
        "lost": lost,
        "duplicated": duplicated,
    }
    figures.update({
        "push_ratio": ratio("push_s", "anchor_push_s"),
        "pull_ratio": ratio("pull_s", "anchor_pull_s"),
        "slow_push_ratio": ratio("slow_push_s", "anchor_slow_push_s"),
        "slow_pull_ratio": ratio("slow_pull_s", "anchor_slow_pull_s"),
        "push_requests": med["push_requests"], "pull_requests": med["pull_requests"],
        "anchor_push_requests": med["anchor_push_requests"],
        "anchor_pull_requests": med["anchor_pull_requests"],
        "slow_push_requests": med["slow_push_requests"],
        "slow_pull_requests": med["slow_pull_requests"],
        "slow_push_bytes": round(med["slow_push_bytes"]),
        "slow_pull_bytes": round(med["slow_pull_bytes"]),
        "anchor_slow_requests": med["anchor_slow_requests"],
        "anchor_slow_bytes": round(med["anchor_slow_bytes"]),
        "village_initial_pull_requests": med["village_requests"],
        "village_changes": med["village_changes"],
        "village": {k: big[k] for k in ("name", "residents", "households", "records")},
        "record_json_chars": len(json.dumps(  # as bench.js counts its record_json_bytes
            {"id": str(uuid.uuid4()), **sync_data.followup(1, residents[0], today)},
            ensure_ascii=False, separators=(",", ":"))),
        "rounds": rounds, "village_rounds": village_rounds,
        "push_batch": sync_client.PUSH_BATCH, "pull_limit": sync_client.PULL_LIMIT,
        "anchor_batch": 100, "gunicorn_workers": WORKERS,
        "link": {"rtt_ms": RTT_MS, "kbps": KBPS},
        "runs": {k: [round(x, 3) for x in v] for k, v in runs.items()},
        "problems": problems,
    })
    return figures


def reconcile(db_path: Path, loop_pusher: Phone, slow_pushers: list[Phone],
              pushed: dict[str, list[str]], pulls) -> tuple[int, int, list[str]]:
    """Count every pushed record missing anywhere (lost) or present twice (duplicated)."""
    problems: list[str] = []
    all_ids = pushed["loop"] + pushed["slow"]
    lost = duplicated = 0
    duplicated += len(all_ids) - len(set(all_ids))  # the bench itself made a double id
    hexes = [uuid.UUID(i).hex for i in all_ids]
    server = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    rows: dict[str, int] = {}
    changes: dict[str, int] = {}
    for i in range(0, len(hexes), 900):
        chunk = hexes[i:i + 900]
        marks = ",".join("?" * len(chunk))
        for (rid,) in server.execute(f"SELECT id FROM service_records WHERE id IN ({marks})",
                                     chunk):
            rows[rid] = rows.get(rid, 0) + 1
        for (rid,) in server.execute(
                f"SELECT entity_id FROM sync_changes WHERE entity = 'record' AND op = 'upsert' "
                f"AND entity_id IN ({marks})", chunk):
            changes[rid] = changes.get(rid, 0) + 1
    missing = [h for h in hexes if h not in rows]
    lost += len(missing)
    duplicated += sum(n - 1 for n in rows.values()) + sum(n - 1 for n in changes.values())
    if missing:
        problems.append(f"{len(missing)} pushed records not on the server")
    if len(changes) != len(rows):
        problems.append(f"{len(rows) - len(changes)} stored records missing from the sync log")
    # Acknowledged exactly once: the phones' outboxes are empty, one result per op, and
    # the server holds one receipt per op.
    acknowledged: list[str] = []
    op_ids: list[str] = []
    for phone in [loop_pusher, *slow_pushers]:
        if phone.pending():
            lost += len(phone.pending())
            problems.append(f"{len(phone.pending())} ops still pending on a phone")
        for op_id, result in phone.results().items():
            if result["status"] in ("accepted", "duplicate"):
                acknowledged.append(result["id"])
                op_ids.append(op_id)
    ack = set(acknowledged)
    lost += len(set(all_ids) - ack)
    duplicated += len(acknowledged) - len(ack)
    receipts = 0
    op_hexes = [uuid.UUID(o).hex for o in op_ids]
    for i in range(0, len(op_hexes), 900):
        chunk = op_hexes[i:i + 900]
        marks = ",".join("?" * len(chunk))
        # An op's receipt is its sync_receipts row, or (an accepted record op) its change row.
        receipts += server.execute(
            f"SELECT count(*) FROM (SELECT op_id FROM sync_receipts WHERE op_id IN ({marks}) "
            f"UNION SELECT op_id FROM sync_changes WHERE op_id IN ({marks}))",
            chunk + chunk).fetchone()[0]
    if receipts != len(op_ids):
        problems.append(f"{receipts} receipts for {len(op_ids)} acknowledged ops")
        lost += max(0, len(op_ids) - receipts)
    server.close()
    # Pulled exactly once: each pull received every record pushed for it, each once.
    for label, expected, _phone, received in pulls:
        got = [i for e, i in received if e == "record"]
        missing = expected - set(got)
        extra = len(got) - len(set(got))
        lost += len(missing)
        duplicated += extra
        if missing or extra:
            problems.append(f"{label}: {len(missing)} missing, {extra} received twice")
    return lost, duplicated, problems


# -- the table -------------------------------------------------------------------------------

def print_table(f: dict[str, Any]) -> None:
    def ok(flag: bool) -> str:
        return "met" if flag else "MISSED"

    rows = [
        ("push 10,000, loopback (records/s)", f"{f['push_records_per_s']:,}",
         f"{f['anchor_push_records_per_s']:,}", f"{f['push_ratio']}x", "≥ 3x",
         ok(f["push_ratio"] >= GOALS["push_ratio"])),
        ("pull 10,000, loopback (records/s)", f"{f['pull_records_per_s']:,}",
         f"{f['anchor_pull_records_per_s']:,}", f"{f['pull_ratio']}x", "≥ 3x",
         ok(f["pull_ratio"] >= GOALS["pull_ratio"])),
        ("push 50, slow link (s)", f"{f['slow_push_50_s']}", f"{f['anchor_slow_push_50_s']}",
         f"{f['slow_push_ratio']}x", "≥ 5x", ok(f["slow_push_ratio"] >= GOALS["slow_push_ratio"])),
        ("fresh pull of 50, slow link (s)", f"{f['slow_pull_50_s']}",
         f"{f['anchor_slow_pull_50_s']}", f"{f['slow_pull_ratio']}x", "≥ 5x",
         ok(f["slow_pull_ratio"] >= GOALS["slow_pull_ratio"])),
        (f"village initial pull, slow link (s; {f['village']['records']:,} records)",
         f"{f['village_initial_pull_s']}", "-", "-", "< 60 s",
         ok(f["village_initial_pull_s"] < GOALS["village_initial_pull_s"])),
        ("village initial pull, bytes on the wire", f"{f['village_initial_pull_bytes']:,}",
         "-", "-", "-", ""),
        ("requests: push / pull 10,000", f"{f['push_requests']} / {f['pull_requests']}",
         f"{f['anchor_push_requests']} / {f['anchor_pull_requests']}", "-", "-", ""),
        ("requests: slow push 50 / fresh pull 50 (anchor: both)",
         f"{f['slow_push_requests']} / {f['slow_pull_requests']}",
         f"{f['anchor_slow_requests']}", "-", "-", ""),
        ("bytes: slow push 50 + pull 50 (anchor: both)",
         f"{f['slow_push_bytes'] + f['slow_pull_bytes']:,}", f"{f['anchor_slow_bytes']:,}",
         "-", "-", ""),
        ("lost / duplicated", f"{f['lost']} / {f['duplicated']}", "-", "-", "0 / 0",
         ok(f["lost"] == 0 and f["duplicated"] == 0)),
    ]
    head = ("measure (median of rounds)", "ours", "anchor", "ratio (paired)", "goal", "")
    widths = [max(len(str(r[i])) for r in [*rows, head]) for i in range(len(head))]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    if f["problems"]:
        print("problems:", *f["problems"], sep="\n  ")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
