"""Where a full recompute's time goes: seconds per step and per indicator, one township.

    .venv/bin/python -m bench.metrics_breakdown --db sqlite:////tmp/bench.sqlite

Run on a database that bench/metrics_bench.py generated. Wipes the rollups, then runs
what the bench's "full recompute" runs for the first township (quality checks, overdue
lists, every period of 2025-2026) with timers wrapped around the steps of
`server.metrics.rollups` and each indicator's query, and prints them, largest first.
The indicators and the temporary tables are inside "compute_windows", which is inside
"recompute_township"; the other lines add up to the total. Wall and CPU time are both
printed: on a shared machine, a CPU time well under the wall time means the run waited
for the processor and its figures are not worth comparing.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import secrets
import time
from collections import defaultdict

from sqlalchemy import delete

from core.models import MetricPeriod, MetricRollup
from server import create_app
from server.extensions import db
from server.metrics import compute, overdue, quality, rollups, vaccines
from server.township import jobs

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)  # the bench's clock
SECONDS: dict[str, float] = defaultdict(float)


def timed(module, name: str) -> None:
    """Replace `module.name` by a wrapper adding its time to SECONDS (per indicator for
    `aggregate_windows`)."""
    original = getattr(module, name)

    @functools.wraps(original)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            label = f"indicator {args[2]}" if name == "aggregate_windows" else name
            SECONDS[label] += time.perf_counter() - started

    setattr(module, name, wrapper)


def timed_tables() -> None:
    """Time building the batch's temporary tables (rollups' `materialized`)."""
    original = rollups.materialized

    @contextlib.contextmanager
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        with original(*args, **kwargs) as ws:
            SECONDS["temporary tables (building)"] += time.perf_counter() - started
            yield ws

    rollups.materialized = wrapper


def main() -> None:
    """Time one full recompute of the first township, step by step."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True)
    args = ap.parse_args()
    timed(compute, "aggregate_windows")
    timed(compute, "workload_windows")
    timed(vaccines, "add_rollups")
    for name in ("compute_windows", "quality_counts_windows", "store_period", "late_counts",
                 "plan_period", "recompute_township"):
        timed(rollups, name)
    timed(quality, "refresh_flags")
    timed(overdue, "refresh_overdue")
    timed_tables()
    app = create_app({"SQLALCHEMY_DATABASE_URI": args.db, "TESTING": True,
                      "SECRET_KEY": secrets.token_hex(32)})
    with app.app_context():
        s = db.session
        township_id = rollups.township_ids(s)[0]
        s.execute(delete(MetricRollup))
        s.execute(delete(MetricPeriod))
        s.commit()
        wall, cpu = time.perf_counter(), time.process_time()
        jobs.refresh_township(s, township_id, now=NOW)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    for label, seconds in sorted(SECONDS.items(), key=lambda item: -item[1]):
        print(f"{seconds:7.2f} s  {label}")
    print(f"{wall:7.2f} s  total (CPU {cpu:.2f} s)")


if __name__ == "__main__":
    main()
