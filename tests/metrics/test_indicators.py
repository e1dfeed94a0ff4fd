"""Every supported indicator on the hand-made 2025 of metrics_town, values worked by hand.

The reasoning for each expected value is in metrics_town's docstring; in short: 2025
closes on 2026-01-11, counted follow-up modes are clinic and home, 4 a year pro-rated by
days under management, and 65+ means 65 by 31 December.
"""
from __future__ import annotations

import datetime as dt

import metrics_town
import pytest
from metrics_town import AFTER_CLOSE, AFTER_LATE
from sqlalchemy import select

from core.models import MetricPeriod, MetricRollup, Setting
from server.extensions import db
from server.metrics import compute
from server.metrics.definitions import parse_period
from server.metrics.population import make_window
from server.metrics.rollups import recompute_period, recompute_township

# indicator: (township, village 1, village 2) as (numerator, denominator)
YEAR_2025 = {
    "record_coverage": ((9, 10), (5, 5), (4, 5)),
    "e_record_coverage": ((8, 10), (4, 5), (4, 5)),
    "record_use": ((8, 9), (4, 5), (4, 4)),
    # One follow-up per quarter managed (docs/indicators.md#htn_standard): rD, dead on
    # 15 April, was managed in Q1 and Q2 and had one: not standard.
    "htn_standard": ((2, 5), (1, 2), (1, 3)),
    "htn_control": ((3, 5), (2, 2), (1, 3)),
    "dm_standard": ((1, 1), (1, 1), (0, 0)),
    "dm_control": ((1, 1), (1, 1), (0, 0)),
    "elderly_mgmt": ((2, 6), (1, 3), (1, 3)),
    # Doses due in 2025 (test_vaccines): DTaP 4 missing, MMR 2 given in time.
    "vacc_coverage": ((1, 2), (1, 2), (0, 0)),
    "vacc_timely": ((1, 2), (1, 2), (0, 0)),
    "vacc_certificate": ((1, 1), (1, 1), (0, 0)),
    "edu_lectures": ((2, None), (2, None), None),
    "edu_boards": ((1, None), (1, None), None),
    "edu_consultations": ((1, None), None, (1, None)),
    "edu_reach": ((4, 10), (2, 5), (2, 5)),
    "contract_rate": ((2, 10), (1, 5), (1, 5)),
    "household_visits": ((1, 2), (1, 1), (0, 1)),
}


def rollups(town, period: str) -> dict:
    """{(scope, scope_id, indicator): (numerator, denominator)} of a stored period."""
    rows = db.session.scalars(select(MetricRollup).where(
        MetricRollup.township_id == town["township_a"], MetricRollup.period == period))
    return {(r.scope, r.scope_id, r.indicator): (r.numerator, r.denominator) for r in rows}


@pytest.fixture
def built(ctx, town):
    """The fixture township with its 2025, the late record not yet stored."""
    return metrics_town.build(town)


def test_year_2025_every_indicator(ctx, town, built):
    recompute_period(ctx, town["township_a"], "2025", now=AFTER_CLOSE)
    got = rollups(town, "2025")
    for indicator, (township, v1, v2) in YEAR_2025.items():
        assert got[("township", town["township_a"], indicator)] == township, indicator
        assert got.get(("village", town["village_1"], indicator)) == v1, indicator
        assert got.get(("village", town["village_2"], indicator)) == v2, indicator
    # Doctors answer for their villages' residents (no household names anyone else).
    assert got[("doctor", town["doctor_a"], "htn_standard")] == (1, 2)
    assert got[("doctor", town["doctor_b"], "elderly_mgmt")] == (1, 3)
    # Workload: doctor_a's 2025 records, the phone follow-up among them.
    assert got[("doctor", town["doctor_a"], "work:hypertension_followup")] == (9, None)
    assert got[("doctor", town["doctor_a"], "phone:hypertension_followup")] == (2, None)
    assert got[("doctor", town["doctor_b"], "work:hypertension_followup")] == (7, None)


def test_second_quarter_is_year_to_date_pro_rated(ctx, town, built):
    """Six months to 30 June ask 2 counted follow-ups (Q1 and Q2): r1, rM (moved that day)
    and rE have 2; rD died in April (managed in Q1 and Q2: 2 asked, 1 had); rP has 1 (the
    phone call does not count)."""
    recompute_period(ctx, town["township_a"], "2025-Q2", now=AFTER_CLOSE)
    got = rollups(town, "2025-Q2")
    assert got[("township", town["township_a"], "htn_standard")] == (3, 5)
    assert got[("township", town["township_a"], "edu_lectures")] == (1, None)  # 06-10 only
    assert got[("township", town["township_a"], "household_visits")] == (0, 2)
    # 65+ by 30 June: r1 (checked in May), rDup, rD, rE; rP turns 65 on 1 August and
    # rN moves in on 1 September, so neither is in the half-year's denominator yet.
    assert got[("township", town["township_a"], "elderly_mgmt")] == (1, 4)


def test_phone_follow_ups_count_when_the_township_says_so(ctx, town, built):
    ctx.add(Setting(township_id=town["township_a"], key="followup_counted_modes",
                    value={"modes": ["clinic", "home", "phone"]}))
    ctx.commit()
    recompute_period(ctx, town["township_a"], "2025", now=AFTER_CLOSE)
    # r1, rP (4 with the phone call) and rM; rD (1 of 2) and rE (3 of 4) are short.
    assert rollups(town, "2025")[("township", town["township_a"], "htn_standard")] == (3, 5)


def test_thirty_first_of_december_belongs_to_its_year(ctx, town, built):
    """r1's fourth counted follow-up is on 31 December: in 2025 it makes r1 standard."""
    w = make_window(ctx, town["township_a"], parse_period("2025"), AFTER_CLOSE)
    units = ctx.execute(compute.BUILDERS["htn_standard"](w)).all()
    by_resident = {u.resident_id: (u.num, u.reason) for u in units}
    assert by_resident[built["r1"]] == (1, None)
    assert by_resident[built["rP"]] == (0, "too_few")
    w = make_window(ctx, town["township_a"], parse_period("2025-11"), AFTER_CLOSE)
    units = ctx.execute(compute.BUILDERS["htn_standard"](w)).all()
    assert {u.resident_id: u.num for u in units}[built["r1"]] == 1  # 3 due by November


def test_closed_year_does_not_move_when_a_late_record_arrives(ctx, town, built):
    township = town["township_a"]
    recompute_township(ctx, township, now=AFTER_CLOSE)
    before = rollups(town, "2025")
    metrics_town.add_late_record(town, built)
    recompute_township(ctx, township, now=AFTER_LATE)
    assert rollups(town, "2025") == before
    assert before[("township", township, "htn_standard")] == (2, 5)
    periods = {p.period: p for p in ctx.scalars(select(MetricPeriod).where(
        MetricPeriod.township_id == township))}
    assert periods["2025"].frozen_at is not None
    assert periods["2025"].as_of == dt.datetime(2026, 1, 10, 16, 0, tzinfo=dt.UTC)
    assert (periods["2025"].late_records, periods["2025-Q4"].late_records,
            periods["2025-12"].late_records, periods["2025-Q3"].late_records) == (1, 1, 1, 0)
    assert periods["2026"].frozen_at is None
    # Counted now, the late follow-up would make rE standard: that is what stays apart.
    w = make_window(ctx, township, parse_period("2025"), AFTER_LATE)
    live = compute.aggregate(ctx, w, "htn_standard")
    assert (sum(r[2] for r in live), sum(r[3] for r in live)) == (3, 5)


def test_official_population_is_a_second_denominator_beside_the_register(ctx, town, built):
    """Issue 18.1: the statistics office's 常住人口 is shown beside the register's
    denominator, each labelled with its source (`:stat`), never in its place."""
    ctx.add(Setting(township_id=town["township_a"], key="permanent_population",
                    value={str(town["village_1"]): 8, str(town["village_2"]): 12}))
    ctx.commit()
    recompute_period(ctx, town["township_a"], "2025", now=AFTER_CLOSE)
    got = rollups(town, "2025")
    assert got[("township", town["township_a"], "record_coverage")] == (9, 10)
    assert got[("village", town["village_1"], "record_coverage")] == (5, 5)
    assert got[("township", town["township_a"], "record_coverage:stat")] == (9, 20)
    assert got[("village", town["village_1"], "record_coverage:stat")] == (5, 8)
