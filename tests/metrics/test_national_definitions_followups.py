"""Issue 18, cause 3: someone under management in a quarter is asked a follow-up for it
(docs/indicators.md#htn_standard: one counted follow-up per calendar quarter under
management, counted modes clinic and home). Computed by hand.

Township A of conftest's `town`: r1 (village 1, hypertension since 2020, no follow-up).
Added here, permanent, village 1, hypertension:
  P  managed since 2025-02-15; follow-ups clinic 03-01, home 05-10, clinic 08-10
  Q  managed since 2025-11-20; follow-up home 12-05
  R  managed since 2019, died 2025-05-10; follow-up home 02-01

2025-Q1 (1 January to 31 March): r1 asked 1 (Q1), has 0; P asked 1 (Q1: registered in
  mid-quarter), has 1; R asked 1, has 1; Q not yet managed          -> (2, 3)
2025-Q2 (to 30 June): r1 asked 2, has 0; P asked 2 (Q1, Q2), has 2; R managed in Q1 and
  Q2 until the death on 10 May: asked 2, has 1                      -> (1, 3)
2025 (the year): r1 asked 4, has 0; P asked 4 (Q1-Q4), has 3; Q asked 1 (Q4), has 1;
  R asked 2, has 1                                                  -> (1, 4)
2025-02 (to 28 February, inside Q1): nobody is asked yet            -> (0, 0)
"""
from __future__ import annotations

import datetime as dt

import pytest
from metrics_town import _condition, _rec, _resident
from sqlalchemy import select

from core.models import HypertensionFollowUp, MetricRollup
from server.metrics.rollups import recompute_period

D = dt.date
NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)  # every 2025 period closed


@pytest.fixture
def patients(ctx, town):
    p = _resident(town, "P", "village_1", "新管", D(1960, 1, 1))
    q = _resident(town, "Q", "village_1", "冬管", D(1962, 2, 2))
    r = _resident(town, "R", "village_1", "亡管", D(1945, 3, 3), died_on=D(2025, 5, 10),
                  status="deceased")
    _condition(p, "hypertension", D(2025, 2, 15))
    _condition(q, "hypertension", D(2025, 11, 20))
    _condition(r, "hypertension", D(2019, 1, 1))
    ctx.flush()
    for who, day, mode in ((p, D(2025, 3, 1), "clinic"), (p, D(2025, 5, 10), "home"),
                           (p, D(2025, 8, 10), "clinic"), (q, D(2025, 12, 5), "home"),
                           (r, D(2025, 2, 1), "home")):
        _rec(HypertensionFollowUp, town, "doctor_a", day, mode, who, sbp=135, dbp=85)
    ctx.commit()
    return town


def htn_standard(ctx, town, period: str) -> tuple:
    recompute_period(ctx, town["township_a"], period, now=NOW)
    ctx.commit()
    row = ctx.scalar(select(MetricRollup).where(
        MetricRollup.township_id == town["township_a"], MetricRollup.period == period,
        MetricRollup.scope == "township", MetricRollup.indicator == "htn_standard"))
    return (row.numerator, row.denominator)


def test_registered_mid_quarter_is_asked_that_quarter(ctx, patients):
    assert htn_standard(ctx, patients, "2025-Q1") == (2, 3)
    assert htn_standard(ctx, patients, "2025") == (1, 4)
    # A month inside a quarter does not ask for that quarter yet.
    assert htn_standard(ctx, patients, "2025-02") == (0, 0)


def test_death_mid_quarter_still_asks_that_quarter(ctx, patients):
    assert htn_standard(ctx, patients, "2025-Q2") == (1, 3)
