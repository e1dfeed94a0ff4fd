"""The parallel recompute's connections (server/metrics/parallel.py): one snapshot for
all of them, every task run once, errors raised, and the checks written alongside.

On whichever database the run uses (SQLite, or PostgreSQL with TEST_DATABASE_URL).
"""
from __future__ import annotations

import datetime as dt
import threading
import time

import metrics_town
import pytest
from metrics_town import AFTER_LATE
from sqlalchemy import func, or_, select

from core.models import MetricPeriod, MetricRollup, QualityFlag, Township
from server.extensions import db
from server.metrics import parallel
from server.township.jobs import refresh_township


def townships(session) -> int:
    return session.scalar(select(func.count()).select_from(Township))


def test_sessions_share_one_snapshot_of_committed_data(ctx, town):
    before = townships(ctx)
    with parallel.snapshot_sessions(db.engine, 3) as sessions:
        # A commit after the snapshot was taken: no reader sees it, whenever it reads.
        ctx.add(Township(county_id=ctx.scalar(select(Township.county_id)), code="199",
                         name="新镇", health_center_name="新镇卫生院"))
        ctx.commit()
        assert [townships(s) for s in sessions] == [before] * 3
        assert len({id(s.connection()) for s in sessions}) == 3
    assert townships(ctx) == before + 1


def test_every_task_runs_once_on_the_connections_and_alongside_runs_too(ctx, town):
    ran: list = []
    prepared: list = []
    threads: set = set()

    def task(n):
        def fn(s, context):
            threads.add(threading.get_ident())
            ran.append(n)
            return n * n + townships(s) * 0 + context
        return fn

    def prepare(s, stack):
        prepared.append(s)
        return 0

    tasks = [parallel.Task(n, n % 3, task(n)) for n in range(12)]
    seen = {}
    results = parallel.run_tasks(ctx, tasks, 2, prepare,
                                 alongside=lambda: seen.setdefault("alongside", townships(ctx)))
    assert results == {n: n * n for n in range(12)}
    assert sorted(ran) == list(range(12))
    assert seen == {"alongside": townships(ctx)}
    assert len(prepared) == 2 and ctx not in prepared  # connections of their own
    assert threading.get_ident() not in threads


def test_a_failing_task_raises_and_the_rest_stop(ctx, town):
    def boom(s, context):
        raise ValueError("bad query")

    later: list = []
    tasks = [parallel.Task("bad", 0, boom)] + [
        parallel.Task(n, 1, lambda s, c, n=n: later.append(n)) for n in range(50)]
    with pytest.raises(ValueError, match="bad query"):
        parallel.run_tasks(ctx, tasks, 1, lambda s, stack: None)
    assert later == []  # one worker: nothing after the failure
    with pytest.raises(ValueError, match="bad query"):
        parallel.run_tasks(ctx, tasks, 2, lambda s, stack: None)


def test_refresh_counts_the_flags_it_writes_alongside(ctx, town):
    """The quality checks are written while the rollups' queries run; the rollups'
    quality counts are read after, so they count the flags just written."""
    ids = metrics_town.build(town)
    metrics_town.add_late_record(town, ids)
    tid = town["township_a"]
    assert ctx.scalar(select(func.count()).select_from(QualityFlag)) == 0
    summary = refresh_township(ctx, tid, now=AFTER_LATE, workers=2)
    as_of = ctx.scalar(select(MetricPeriod.as_of).where(MetricPeriod.township_id == tid,
                                                        MetricPeriod.period == "2025"))
    flags = ctx.scalar(select(func.count()).select_from(QualityFlag).where(
        QualityFlag.township_id == tid, QualityFlag.service_date >= dt.date(2025, 1, 1),
        QualityFlag.service_date <= dt.date(2025, 12, 31),
        or_(QualityFlag.record_created_at.is_(None), QualityFlag.record_created_at <= as_of)))
    counted = ctx.scalar(select(func.sum(MetricRollup.numerator)).where(
        MetricRollup.township_id == tid, MetricRollup.period == "2025",
        MetricRollup.scope == "township", MetricRollup.indicator.like("quality:%")))
    assert summary["flags"] > 0
    assert flags > 0 and counted == flags


def test_a_connection_that_cannot_prepare_stops_the_batch(ctx, town):
    """Its error is raised; the other connection runs at most what it had started."""
    calls = {"prepare": 0, "ran": 0}
    lock = threading.Lock()

    def prepare(s, stack):
        with lock:
            calls["prepare"] += 1
            if calls["prepare"] == 1:
                raise RuntimeError("no temporary tables")

    def slow(s, context):
        with lock:
            calls["ran"] += 1
        time.sleep(0.005)  # 200 of them: a second at least, were nothing stopped

    tasks = [parallel.Task(n, 0, slow) for n in range(200)]
    with pytest.raises(RuntimeError, match="no temporary tables"):
        parallel.run_tasks(ctx, tasks, 2, prepare)
    assert calls["ran"] < 200
