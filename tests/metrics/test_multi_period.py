"""Every open period in one pass per indicator gives exactly the per-period rollups.

`recompute_township` computes all the periods it must (33 in a backfill) with one query
per indicator over a `win` table of windows (docs/adr/0026-multi-period-rollups.md);
`recompute_period` and the drill-down compute one window alone; with several workers
the batch's queries are spread over connections (docs/adr/0038-parallel-recompute.md).
These tests compare the three on the hand-made fixture township and on the demo
township, on whichever database the run uses (SQLite, or PostgreSQL with
TEST_DATABASE_URL).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

import metrics_town
import pytest
from metrics_town import AFTER_LATE
from sqlalchemy import select

from core.models import MetricPeriod, Township
from server.demo import generate_demo
from server.metrics import compute, rollups
from server.metrics.population import Windows

FAST_HASH = "pbkdf2:sha256:1000"

# After the late record: 2025 and its quarters and months frozen at their closes (each
# with its own as_of), January 2026 still running.
# Mid-December 2025: the running month, quarter and year end on the same day but not at
# the same period end (ages are taken at the period's end), November in its grace days.
MID_DECEMBER = dt.datetime(2025, 12, 5, 4, 0, tzinfo=dt.UTC)
DEMO_NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def planned_windows(session, township_id: int, now: dt.datetime) -> list:
    """The windows the nightly job would compute at `now` (frozen periods left out)."""
    today = now.astimezone(rollups.CST).date()
    plans = [rollups.plan_period(session, township_id, key, now)
             for key in rollups.open_periods(today)]
    return [p[0] for p in plans if not isinstance(p, MetricPeriod)]


def assert_same_rollups(session, township_id: int, now: dt.datetime) -> int:
    """Batch and per-period rollup rows are equal for every planned period; returns how
    many periods were compared."""
    windows = planned_windows(session, township_id, now)
    assert windows
    cache = rollups.compute_windows(session, windows)
    session.commit()  # the connections of a parallel batch see committed data only
    # Three connections: shares of unequal size, and some connection runs two shares.
    spread = rollups.compute_windows(session, windows, workers=3)
    for w in windows:
        one_by_one = rollups.compute_period(session, w)
        batch = rollups.compute_period(session, w, cache)
        assert batch == one_by_one, w.period.key
        assert rollups.compute_period(session, w, spread) == one_by_one, w.period.key
    return len(windows)


def assert_same_units(session, township_id: int, now: dt.datetime, indicators) -> None:
    """What the drill-down lists for one window is what the batch counted for it: the
    same units (resident, village, doctor, counted or not, reason), window by window."""
    windows = planned_windows(session, township_id, now)
    ws = Windows(windows)
    for indicator in indicators:
        batch = Counter()
        for row in session.execute(compute.BUILDERS[indicator](ws)):
            batch[(row.wid, *_unit(row))] += 1
        for wid, w in enumerate(windows):
            alone = Counter(_unit(row)
                            for row in session.execute(compute.BUILDERS[indicator](w)))
            mine = Counter({k[1:]: n for k, n in batch.items() if k[0] == wid})
            assert mine == alone, (indicator, w.period.key)


def _unit(row) -> tuple:
    m = row._mapping
    return (m["resident_id"], m["village_id"], m["doctor_id"], m["num"], m["den"],
            m["reason"], m.get("unit"))


@pytest.mark.parametrize("now", [AFTER_LATE, MID_DECEMBER], ids=["after-late", "mid-december"])
def test_fixture_township_batch_equals_per_period(ctx, town, now):
    ids = metrics_town.build(town)
    metrics_town.add_late_record(town, ids)
    assert assert_same_rollups(ctx, town["township_a"], now) >= 13
    assert_same_units(ctx, town["township_a"], now, compute.BUILDERS)


def test_frozen_periods_are_left_out_and_stay_frozen(ctx, town):
    """A township recomputed once freezes what has closed; the next run plans only the
    open periods, and the batch still equals the per-period computation for them."""
    ids = metrics_town.build(town)
    rollups.recompute_township(ctx, town["township_a"], now=MID_DECEMBER)
    metrics_town.add_late_record(town, ids)
    frozen = set(ctx.scalars(select(MetricPeriod.period)
                             .where(MetricPeriod.frozen_at.is_not(None))))
    assert "2025-10" in frozen and "2025" not in frozen
    keys = {w.period.key for w in planned_windows(ctx, town["township_a"], AFTER_LATE)}
    assert not keys & frozen
    assert_same_rollups(ctx, town["township_a"], AFTER_LATE)


def test_demo_township_batch_equals_per_period(ctx):
    """The demo's year (about 3,000 residents): every period of 2025 and 2026."""
    generate_demo(ctx, seed=7, password_method=FAST_HASH)
    township_id = ctx.scalar(select(Township.id))
    assert assert_same_rollups(ctx, township_id, DEMO_NOW) == 33
