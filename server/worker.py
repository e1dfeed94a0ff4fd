"""The scheduler process (Procfile `worker`): the only place scheduled jobs run.

Why a process of its own: web workers are many and restart often; a scheduler inside
each would run every job once per worker (docs/adr/0006-processes.md). Jobs are listed
in JOBS as (function, trigger kwargs); each runs inside an app context. Every job is
listed before `main()` below: code after the `__main__` block runs only once the
scheduler has stopped, so a job added there is never scheduled.
"""
from __future__ import annotations

import logging
import signal
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler

from server import create_app, logsafe

log = logging.getLogger("server.worker")

# (job function taking no arguments, APScheduler trigger keyword arguments)
JOBS: list[tuple[Callable[[], None], dict]] = []

# Township metrics (server/township/jobs.py): checks first, rollups last, since the
# assessment's deductions in the rollups read the checks' flags.
from server.township import jobs as township_jobs  # noqa: E402

JOBS += [
    (township_jobs.nightly_quality_checks, {"trigger": "cron", "hour": 1, "minute": 0}),
    (township_jobs.nightly_overdue_lists, {"trigger": "cron", "hour": 1, "minute": 20}),
    (township_jobs.nightly_rollups, {"trigger": "cron", "hour": 1, "minute": 40}),
]

# Sync log upkeep: tombstones older than the horizon, Sundays at 03:30
# (docs/adr/0049-reset-once.md: a phone is reset at most once after a purge).
from server.extensions import db  # noqa: E402
from sync.maintenance import purge_tombstones  # noqa: E402


def purge_job() -> None:
    """Purge tombstones past the horizon and commit. Here, not in sync/: the job runs on
    the app's session, and sync/ never imports Flask (docs/adr/0056)."""
    purge_tombstones(db.session)
    db.session.commit()


JOBS.append((purge_job, {"trigger": "cron", "day_of_week": "sun", "hour": 3, "minute": 30}))


def build_scheduler(app) -> BlockingScheduler:
    """A scheduler with every job in JOBS, each wrapped in an app context."""
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    for func, trigger in JOBS:
        def run(func=func):
            with app.app_context():
                func()
        scheduler.add_job(run, id=func.__name__, name=func.__name__, coalesce=True,
                          max_instances=1, misfire_grace_time=3600, **trigger)
    return scheduler


def configure_logging() -> None:
    """INFO and above to stderr; an exception (a failed job's, as APScheduler logs it) by its
    types and frames only, as the web process logs one (server/logsafe.py, ADR 0046)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logsafe.install(logging.getLogger())


def main() -> None:
    """Run the scheduler until SIGTERM or Ctrl-C."""
    configure_logging()
    app = create_app()
    scheduler = build_scheduler(app)
    # SIGTERM ends the wait by an exception, not by calling shutdown() inside the handler:
    # the handler runs on the main thread, which may hold the scheduler's own lock at
    # that moment (waiting on or clearing its event), and shutdown() takes that lock, so
    # the process hung until it was killed.
    signal.signal(signal.SIGTERM, _stop)
    log.info("scheduler started with %d job(s): %s", len(JOBS),
             ", ".join(f.__name__ for f, _ in JOBS) or "none yet")
    for job in scheduler.get_jobs():
        log.info("job %s: %s", job.id, job.trigger)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        if scheduler.running:
            scheduler.shutdown(wait=False)


def _stop(*_: object) -> None:
    """SIGTERM: leave the scheduler's loop as Ctrl-C does."""
    raise SystemExit(0)


if __name__ == "__main__":
    main()
