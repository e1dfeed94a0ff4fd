"""Vaccination coverage per vaccine and dose, by hand on metrics_town, on the national
basis of docs/indicators.md#vacc_coverage: doses due in the period, given by its end by
the date they were given.

The schedule: HepB 1 (birth), HepB 2 (1 month), MMR 1 (8), DTaP 4 (18), MMR 2 (18),
JE 2 (24). The one child, rK (village 1, doctor_a), born 2024-01-15: checks on
2025-03-01 (HepB 1, HepB 2, MMR 1 given in 2024) and 2025-10-01 (HepB 1 again, MMR 2
given 2025-08-01; here also DTaP 4 listed as missed, "发热暂缓", guardian notified).
Due dates: HepB 1 2024-01-15, HepB 2 2024-02-15, MMR 1 2024-09-15, DTaP 4 and MMR 2
2025-07-15, JE 2 2026-01-15.
  2025: due in the year DTaP 4 and MMR 2 -> MMR 2 1 / 1, DTaP 4 0 / 1; 1 / 2 overall.
  2025-Q1: nothing due in the quarter (the 2024 doses belong to 2024) -> no rows.
  2025-Q3: DTaP 4 and MMR 2 due; MMR 2 was given on 1 August, inside the quarter, and
        counts although the check recording it is dated 1 October -> 1 / 1; DTaP 4 0 / 1;
        the March check named neither, so no reason beyond "not given".
Village 2 has no children: no vaccine rows at all.
"""
from __future__ import annotations

import datetime as dt

import metrics_town
import pytest
from metrics_town import AFTER_CLOSE
from sqlalchemy import select

from core.models import MetricRollup, VaccinationCheck
from server.metrics import vaccines
from server.metrics.definitions import parse_period
from server.metrics.population import make_window
from server.metrics.rollups import recompute_period


@pytest.fixture
def built(ctx, town):
    ids = metrics_town.build(town)
    october = ctx.scalar(select(VaccinationCheck).where(
        VaccinationCheck.service_date == dt.date(2025, 10, 1)))
    october.missed_doses = [{"vaccine": "DTaP", "dose_no": 4, "reason": "发热暂缓"}]
    october.guardian_notified = True
    ctx.commit()
    return ids


def doses(ctx, town, period: str, scope: str = "village", scope_id=None) -> dict:
    """{indicator: (given, due)} of the vaccine rollups of one scope."""
    recompute_period(ctx, town["township_a"], period, now=AFTER_CLOSE)
    rows = ctx.scalars(select(MetricRollup).where(
        MetricRollup.period == period, MetricRollup.scope == scope,
        MetricRollup.scope_id == (scope_id or town["village_1"]),
        MetricRollup.indicator.startswith("vacc:")))
    return {r.indicator: (r.numerator, r.denominator) for r in rows}


def test_per_dose_coverage_for_the_year(ctx, town, built):
    expected = {"vacc:DTaP:4": (0, 1), "vacc:MMR:2": (1, 1)}
    assert doses(ctx, town, "2025") == expected
    assert doses(ctx, town, "2025", "township", town["township_a"]) == expected
    assert doses(ctx, town, "2025", "doctor", town["doctor_a"]) == expected
    assert doses(ctx, town, "2025", "village", town["village_2"]) == {}
    # The per-dose figures add up to the all-doses indicator.
    total = ctx.scalar(select(MetricRollup).where(
        MetricRollup.period == "2025", MetricRollup.scope == "township",
        MetricRollup.indicator == "vacc_coverage"))
    assert (total.numerator, total.denominator) == (1, 2)


def test_per_dose_coverage_by_quarter(ctx, town, built):
    assert doses(ctx, town, "2025-Q1") == {}
    assert doses(ctx, town, "2025-Q3") == {"vacc:DTaP:4": (0, 1), "vacc:MMR:2": (1, 1)}


def test_why_a_dose_is_missing(ctx, town, built):
    def units(period: str) -> dict:
        w = make_window(ctx, town["township_a"], parse_period(period), AFTER_CLOSE)
        return {(u.vaccine, u.dose_no): (u.num, u.reason, u.missed_reason, u.notified,
                                         None if u.given_on is None else str(u.given_on))
                for u in ctx.execute(vaccines.dose_units(w))}

    year = units("2025")
    assert year[("DTaP", 4)][:4] == (0, "dose_missing", "发热暂缓", True)
    assert year[("MMR", 2)] == (1, None, None, None, "2025-08-01")
    assert ("HepB", 1) not in year  # due in 2024
    q3 = units("2025-Q3")
    assert q3[("DTaP", 4)][:3] == (0, "dose_missing", None)  # the October check is later
    assert q3[("MMR", 2)][:2] == (1, None)  # given 1 August, recorded 1 October


def test_a_child_never_checked(ctx, town, built):
    """Remove both checks: every dose due is missing for want of any check."""
    for check in ctx.scalars(select(VaccinationCheck)):
        check.deleted_at = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    ctx.commit()
    w = make_window(ctx, town["township_a"], parse_period("2025"), AFTER_CLOSE)
    reasons = {u.reason for u in ctx.execute(vaccines.dose_units(w))}
    assert reasons == {"no_check"}
