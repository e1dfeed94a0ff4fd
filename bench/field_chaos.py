"""Five phones in the field: a link that cuts connections, purges running (issue 17).

    .venv/bin/python bench/field_chaos.py --minutes 4 --phones 5 --anchors DIR
    .venv/bin/python -m bench.field_chaos --minutes 4 --phones 5 --database-url "$PG_URL"

All on 127.0.0.1, every process started here stopped here by its pid:

1. A fresh SQLite file in a temporary directory (or the empty database of
   `--database-url`): `flask db upgrade`, then bench/field_town.py's township (four small
   villages, a doctor per phone, a township staff member).
2. gunicorn as scripts/start.sh runs it (gunicorn.conf.py, 2 workers), and the anchors'
   slowlink.py in front of it, cutting `--drop-rate` of its connections (a request never
   wholly sent, or its answer lost; the share actually cut is measured and printed).
3. Each phone (bench/field_phone.py, written from docs/sync-protocol.md) works for the
   run's length: households, residents, records, edits of residents, corrections and
   voidings of its records, double-tapped saves (in one batch and split over two), syncs
   through the link with small pages, the same request twice at once, restarts (only
   what it wrote survives), hard kills (the answer lost, the same batch sent again) and
   spells offline. Township staff edit and move the same residents through the REST
   API meanwhile, and every `--purge-every` seconds the worker's purge of tombstones runs
   with a retention of `--retention-s` seconds, so lagging phones meet `reset`.
4. Then the phones push what is left and pull to the end, and the run checks: every
   acknowledged op is on the server (lost = 0), nothing was applied or stored twice
   (duplicated = 0), no exchange failed the same way 5 times or got a 5xx (stuck = 0),
   every repeated answer equals the first (replays differing = 0), and each phone holds
   what a fresh copy for its doctor holds (divergent = 0). Exit status 1 otherwise.
"""
from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:
    # Started as a file: run again as the module, from the checkout, so that `bench.*`
    # imports resolve without touching sys.path (bench/__init__.py).
    os.chdir(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    os.execv(sys.executable, [sys.executable, "-m", "bench.field_chaos", *sys.argv[1:]])

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import secrets  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402
from pathlib import Path  # noqa: E402

from bench import anchors, field_town  # noqa: E402
from bench.field_checks import compare_all, staff_work  # noqa: E402
from bench.field_phone import Ledger, Phone  # noqa: E402
from bench.procs import Processes, answering, free_port, wait_until_ready  # noqa: E402
from sync.conformance.api import Account, Server  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
# The gunicorn line of scripts/start.sh (besides --bind), as it runs by default.
START_FLAGS = ["--workers", "2", "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss',
               "--access-logfile", "-"]


def log(message: str) -> None:
    """A progress line on stderr."""
    print(f"[field-chaos {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def work(phone: Phone, until: float, rng: random.Random) -> None:
    """The doctor's day, fast: one thing every half second or so, a sync now and then."""
    offline_until = 0.0
    actions = ((0.10, phone.new_household), (0.10, phone.new_resident),
               (0.30, phone.new_record), (0.06, lambda: phone.new_record(double_tap=True)),
               (0.16, phone.edit_resident), (0.12, phone.correct_or_void))
    while time.monotonic() < until:
        r, acc = rng.random(), 0.0
        for weight, action in actions:
            acc += weight
            if r < acc:
                action()
                phone.save()  # the save is one local transaction, outbox included
                break
        now = time.monotonic()
        if rng.random() < 0.03:
            phone.restart()
        elif rng.random() < 0.02:
            offline_until = now + rng.uniform(12, 35)  # out of signal for a while
            phone.ledger.note("offline_spells")
        elif now >= offline_until and rng.random() < 0.35:
            roll = rng.random()
            phone.sync(twin=roll < 0.1, hard_kill=0.1 <= roll < 0.2)
        threading.Event().wait(rng.uniform(0.2, 0.8))


def purger(app, every: float, retention: float, stop: threading.Event,
           out: dict) -> None:
    """The worker's purge of tombstones, every `every` seconds."""
    while not stop.wait(every):
        try:
            purged, through = field_town.purge(app, retention)
            out["purges"] += 1
            out["purged_rows"] += purged
            out["purged_through"] = through
        except Exception as e:  # a purge that fails is a finding, not a crash of the run
            out["errors"].append(f"purge: {type(e).__name__}: {e}")


def link_stats(port: int) -> dict:
    """slowlink's counters."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/stats", timeout=10) as r:
        return json.loads(r.read())


def finish(phones: list[Phone]) -> list[str]:
    """Push what is left, then pull to the end on every phone (after all have pushed)."""
    problems = []
    for phone in phones:
        for _ in range(30):
            if phone.sync() and not phone.batch():
                break
        else:
            problems.append(f"{phone.name}: outbox not drained ({len(phone.pending())} left)")
    for phone in phones:
        for _ in range(30):
            if phone.sync(pull_limit=1000):
                break
        else:
            problems.append(f"{phone.name}: the final pull did not finish")
    return problems


def run(args: argparse.Namespace, workdir: Path, procs: Processes) -> dict:
    """One run; returns its figures (with `failures`)."""
    url = args.database_url or f"sqlite:///{workdir / 'field.sqlite'}"
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": secrets.token_hex(32),
           "FLASK_APP": "server"}
    log("database: migrate, township")
    app = field_town.app_for(url, env["SECRET_KEY"])
    field_town.migrate(app, ROOT / "migrations")
    town = field_town.build(app, args.phones)
    port, link, stats = free_port(), free_port(), free_port()
    gunicorn = procs.start("gunicorn", [str(VENV_BIN / "gunicorn"), "--bind",
                                        f"127.0.0.1:{port}", *START_FLAGS, "server:create_app()"],
                           port, cwd=ROOT, env=env)
    wait_until_ready(gunicorn, answering(port), what="gunicorn")
    procs.start("slowlink", anchors.slowlink_argv(
        args.anchors, "--listen", str(link), "--to", str(port), "--rtt-ms", str(args.rtt_ms),
        "--kbps", str(args.kbps), "--drop-rate", str(args.drop_rate), "--cut-max-bytes",
        str(args.cut_max_bytes), "--seed", str(args.seed), "--stats", str(stats)), stats)
    direct, slow = Server(f"http://127.0.0.1:{port}"), Server(f"http://127.0.0.1:{link}", 30)
    ledger, rng = Ledger(), random.Random(args.seed)
    phones = []
    for i, doctor in enumerate(town["doctors"]):
        account = Account(direct, doctor, field_town.PASSWORD)
        account.login()  # enrolment is online and direct; the work goes through the link
        phones.append(Phone.enrolled(f"p{i + 1}", workdir / f"p{i + 1}.json", account, slow,
                                     ledger, random.Random(rng.random())))
    log("phones enrolled; first sync through the link")
    for phone in phones:
        phone.trace = bool(args.keep)
        phone.sync(pull_limit=1000)
    log(f"working for {args.seconds:.0f} s")
    started = time.monotonic()
    until = started + args.seconds
    stop = threading.Event()
    purges = {"purges": 0, "purged_rows": 0, "purged_through": 0, "errors": []}
    staff = {"edits": 0, "moves": 0, "stale": 0, "errors": []}
    staff_account = Account(direct, field_town.STAFF, field_town.PASSWORD)
    staff_account.login()
    threads = [threading.Thread(target=work, args=(p, until, random.Random(rng.random())))
               for p in phones]
    threads += [threading.Thread(target=purger, args=(app, args.purge_every, args.retention_s,
                                                      stop, purges)),
                threading.Thread(target=staff_work, args=(staff_account, town["village_ids"],
                                                          until, random.Random(rng.random()),
                                                          staff))]
    for t in threads:
        t.start()
    for t in threads[:len(phones)]:
        t.join()
    stop.set()
    for t in threads:
        t.join()
    worked = time.monotonic() - started
    log("work over: phones push what is left and pull to the end")
    problems = finish(phones)
    log("checking against the server")
    link_figures = link_stats(stats)
    facts = field_town.server_facts(app, ledger.acked)
    divergent = compare_all(phones, direct, field_town.PASSWORD)
    log("checked")
    c = ledger.count
    rejected_codes: dict[str, int] = {}
    for _op, result in ledger.rejected.values():
        for field, errs in (result.get("errors") or {}).items():
            for e in errs:
                name = f"{field}:{e.get('code') if isinstance(e, dict) else e}"
                rejected_codes[name] = rejected_codes.get(name, 0) + 1
    out = {
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "phones": len(phones), "seconds": round(worked),
        "ops_queued": c["ops"], "ops_sent": len(ledger.sent), "ops_acknowledged": len(ledger.acked),
        "ops_rejected": len(ledger.rejected), "rejected_codes": rejected_codes,
        "requests": c["requests"], "link_failures": c["link_failures"],
        "connections": link_figures["connections"],
        "cut_connections": link_figures["cut_connections"],
        "cut_share": round(link_figures["cut_connections"] / max(1, link_figures["connections"]), 3),
        "restarts": c["restarts"], "hard_kills": c["hard_kills"],
        "twin_requests": c["twin_requests"], "double_taps": c["double_taps"],
        "offline_spells": c["offline_spells"], "resets": c["resets"], "replays": c["replays"],
        "purges": purges["purges"], "purged_rows": purges["purged_rows"],
        "staff_edits": staff["edits"], "staff_moves": staff["moves"],
        "staff_stale_409": staff["stale"],
        "server_records": facts["records"], "server_residents": facts["residents"],
        "lost": len(facts["lost"]), "duplicated": len(facts["duplicated"]),
        "stuck": len(ledger.failures), "replays_differing": len(ledger.replays_differing),
        "divergent": sum(len(d) for d in divergent.values()),
    }
    out["failures"] = (facts["lost"] + facts["duplicated"] + ledger.failures
                       + ledger.replays_differing + problems + purges["errors"]
                       + staff["errors"] + [f"{p}: {d}" for p, ds in divergent.items()
                                            for d in ds])
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the bench; print the figures and any failure; 1 when something failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=4.0, help="length of the work (4)")
    parser.add_argument("--seconds", type=float, help="length in seconds (over --minutes)")
    parser.add_argument("--phones", type=int, default=5)
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default SQLite)")
    parser.add_argument("--drop-rate", type=float, default=0.36,
                        help="slowlink's --drop-rate: some draws fall past the end of a short "
                        "transfer, so 0.36 cuts about a quarter of the connections")
    parser.add_argument("--cut-max-bytes", type=int, default=1500)
    parser.add_argument("--rtt-ms", type=float, default=300.0)
    parser.add_argument("--kbps", type=float, default=512.0)
    parser.add_argument("--purge-every", type=float, default=20.0)
    parser.add_argument("--retention-s", type=float, default=10.0,
                        help="tombstones older than this are purged (the worker: 180 days)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--keep", help="work in this directory and keep it (server log, "
                        "phones' files, database) instead of a temporary one")
    anchors.add_option(parser)
    args = parser.parse_args(argv)
    args.anchors = anchors.find_or_exit(parser, args.anchors, "slowlink.py")
    if args.seconds is None:
        args.seconds = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="field-chaos-") as tmp:
        workdir = Path(args.keep or tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        procs = Processes(workdir)
        try:
            figures = run(args, workdir, procs)
        finally:
            procs.stop_all()
    failures = figures.pop("failures")
    if args.keep:
        (Path(args.keep) / "failures.txt").write_text("".join(f"{f}\n" for f in failures))
    for line in failures[:40]:
        print("FAIL", line)
    if len(failures) > 40:
        print(f"... and {len(failures) - 40} more")
    print(" ".join(f"{k}={v}" for k, v in figures.items() if k != "rejected_codes"))
    print(json.dumps({**figures, "failed": len(failures)}, ensure_ascii=False))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
