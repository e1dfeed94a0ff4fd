"""Scheduled jobs (run by server/worker.py, never in web workers) and "recompute now".

The admin's button runs the same `refresh_township` synchronously: a township's
recompute takes seconds (docs/benchmarks.md), so a queue would only add a moving part
(docs/adr/0021-frozen-periods.md).
"""
from __future__ import annotations

import datetime as dt
import functools
import logging
import time

from flask import current_app
from sqlalchemy.orm import Session

from server.extensions import db
from server.metrics import overdue, parallel, quality, rollups

log = logging.getLogger("server.township.jobs")


def metrics_workers() -> int:
    """The app's METRICS_WORKERS (server/config.py); outside an app context (a bench), the
    environment's."""
    try:
        return int(current_app.config.get("METRICS_WORKERS") or 1)
    except RuntimeError:  # no app context
        return parallel.default_workers()


def refresh_township(session: Session, township_id: int, user_id: int | None = None,
                     now: dt.datetime | None = None, workers: int | None = None) -> dict:
    """Quality checks and overdue lists, then rollups (which read the checks' counts).

    The checks are written on this session while the rollups' queries run on their own
    connections (server/metrics/parallel.py): neither reads what the other writes."""
    started = time.perf_counter()
    done: dict = {}

    def checks() -> None:
        done["flags"] = quality.refresh_flags(session, township_id, now=now)
        done["overdue"] = overdue.refresh_overdue(session, township_id, now=now)

    workers = metrics_workers() if workers is None else workers
    summary = rollups.recompute_township(session, township_id, now=now, user_id=user_id,
                                         workers=workers, alongside=checks)
    summary.update(flags=sum(done["flags"].values()), overdue=done["overdue"],
                   seconds=time.perf_counter() - started)
    return summary


def _each_township(step, name: str) -> None:
    for township_id in rollups.township_ids(db.session):
        started = time.perf_counter()
        step(db.session, township_id)
        db.session.commit()
        # ids and timings only: no personal data in the logs.
        log.info("%s township=%s %.1fs", name, township_id, time.perf_counter() - started)


def nightly_quality_checks() -> None:
    """Rewrite every township's quality flags."""
    _each_township(quality.refresh_flags, "quality")


def nightly_overdue_lists() -> None:
    """Rewrite every township's overdue lists."""
    _each_township(overdue.refresh_overdue, "overdue")


def nightly_rollups() -> None:
    """Recompute open periods, close those past their grace days, count late records."""
    _each_township(functools.partial(rollups.recompute_township, workers=metrics_workers()),
                   "rollups")
