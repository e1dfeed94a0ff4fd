"""Issue 18, cause 4: vaccination on the national basis (docs/indicators.md#vacc_coverage,
#vacc_timely). Computed by hand.

Schedule (due age in months, timely window in months): HepB 1 (0, 1), HepB 2 (1, 1),
DTaP 1 (3, 1), MMR 1 (8, 1). A dose is due on birth date + due age; timely if given
before birth date + due age + window. Children, permanent, village 1 (doctor_a):
  A  born 2024-11-10. Due: HepB 1 2024-11-10, HepB 2 2024-12-10, DTaP 1 2025-02-10
     (timely before 2025-03-10), MMR 1 2025-07-10 (before 2025-08-10). A check dated
     2025-09-20 records DTaP 1 given 2025-03-25 (late) and MMR 1 given 2025-07-20.
  B  born 2024-12-01, moved in 2025-04-01. Due: HepB 2 2025-01-01 and DTaP 1 2025-03-01
     (before B lived here: not B's township's doses), MMR 1 2025-08-01. Never checked.
  C  born 2025-06-15. Due: HepB 1 2025-06-15 (before 2025-07-15), HepB 2 2025-07-15
     (before 2025-08-15), DTaP 1 2025-09-15, MMR 1 2026-02-15. A check dated 2025-10-01
     records HepB 1 given 2025-06-15 and HepB 2 given 2025-08-20 (late).

2025: due in the year while living here: A DTaP 1, A MMR 1, B MMR 1, C HepB 1, C HepB 2,
  C DTaP 1 = 6 (A's HepB doses were due in 2024). Given by 31 December: A DTaP 1,
  A MMR 1, C HepB 1, C HepB 2 = 4 -> coverage (4, 6). Timely: A MMR 1, C HepB 1 -> (2, 6).
  Per dose, coverage / timely: HepB 1 (1, 1) / (1, 1); HepB 2 (1, 1) / (0, 1);
  DTaP 1 (1, 2) / (0, 2); MMR 1 (1, 2) / (1, 2).
2025-Q3 (July to September): due A MMR 1, B MMR 1, C HepB 2, C DTaP 1 = 4. Given by
  30 September by the date given: A MMR 1 (20 July), C HepB 2 (20 August, although the
  check recording it is dated 1 October) -> coverage (2, 4); timely A MMR 1 -> (1, 4).
"""
from __future__ import annotations

import datetime as dt

import pytest
from metrics_town import _rec, _resident
from sqlalchemy import select

from core.models import MetricRollup, VaccinationCheck, VaccineScheduleDose
from server.metrics.rollups import recompute_period

D = dt.date
NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)  # every 2025 period closed


@pytest.fixture
def children(ctx, town):
    ctx.add_all([VaccineScheduleDose(vaccine=v, name_zh=v, dose_no=n, due_age_months=m,
                                     timely_within_months=1)
                 for v, n, m in (("HepB", 1, 0), ("HepB", 2, 1), ("DTaP", 1, 3),
                                 ("MMR", 1, 8))])
    a = _resident(town, "A", "village_1", "甲", D(2024, 11, 10))
    _resident(town, "B", "village_1", "乙", D(2024, 12, 1), moved_in_on=D(2025, 4, 1))
    c = _resident(town, "C", "village_1", "丙", D(2025, 6, 15))
    ctx.flush()
    _rec(VaccinationCheck, town, "doctor_a", D(2025, 9, 20), "clinic", a, card_sighted=True,
         doses_given=[{"vaccine": "DTaP", "dose_no": 1, "date": "2025-03-25"},
                      {"vaccine": "MMR", "dose_no": 1, "date": "2025-07-20"}])
    _rec(VaccinationCheck, town, "doctor_a", D(2025, 10, 1), "home", c, card_sighted=True,
         doses_given=[{"vaccine": "HepB", "dose_no": 1, "date": "2025-06-15"},
                      {"vaccine": "HepB", "dose_no": 2, "date": "2025-08-20"}])
    ctx.commit()
    for period in ("2025-Q3", "2025"):
        recompute_period(ctx, town["township_a"], period, now=NOW)
    ctx.commit()
    return town


def figures(ctx, town, period: str) -> dict:
    """{indicator: (numerator, denominator)} of the township's vaccination rollups."""
    rows = ctx.scalars(select(MetricRollup).where(
        MetricRollup.township_id == town["township_a"], MetricRollup.period == period,
        MetricRollup.scope == "township", MetricRollup.indicator.startswith("vacc")))
    return {r.indicator: (r.numerator, r.denominator) for r in rows}


def test_doses_due_in_the_period_while_the_child_lived_here(ctx, children):
    got = figures(ctx, children, "2025")
    assert got["vacc_coverage"] == (4, 6)
    assert {k: v for k, v in got.items() if k.startswith("vacc:")} == {
        "vacc:HepB:1": (1, 1), "vacc:HepB:2": (1, 1), "vacc:DTaP:1": (1, 2),
        "vacc:MMR:1": (1, 2)}


def test_a_dose_counts_by_the_date_it_was_given(ctx, children):
    got = figures(ctx, children, "2025-Q3")
    assert got["vacc_coverage"] == (2, 4)
    assert got["vacc_timely"] == (1, 4)


def test_timely_by_the_schedule_window_per_vaccine_and_dose(ctx, children):
    got = figures(ctx, children, "2025")
    assert got["vacc_timely"] == (2, 6)
    assert {k: v for k, v in got.items() if k.startswith("vacc_timely:")} == {
        "vacc_timely:HepB:1": (1, 1), "vacc_timely:HepB:2": (0, 1),
        "vacc_timely:DTaP:1": (0, 2), "vacc_timely:MMR:1": (1, 2)}


def test_a_dose_scheduled_past_age_six_is_due_too(ctx, children):
    """A province's schedule may add a dose at 120 months (the set-up page allows up to
    216): D, born 2015-03-10, is due it on 2025-03-10 and was given it on 2025-03-20,
    within its month -> vacc:HPV:1 (1, 1) and timely (1, 1) in 2025-Q1 (a period the
    fixture has not computed, hence not frozen)."""
    ctx.add(VaccineScheduleDose(vaccine="HPV", name_zh="HPV", dose_no=1, due_age_months=120,
                                timely_within_months=1))
    d = _resident(children, "D", "village_1", "丁", D(2015, 3, 10))
    ctx.flush()
    _rec(VaccinationCheck, children, "doctor_a", D(2025, 4, 1), "clinic", d,
         doses_given=[{"vaccine": "HPV", "dose_no": 1, "date": "2025-03-20"}])
    ctx.commit()
    recompute_period(ctx, children["township_a"], "2025-Q1", now=NOW)
    ctx.commit()
    got = figures(ctx, children, "2025-Q1")
    assert (got["vacc:HPV:1"], got["vacc_timely:HPV:1"]) == ((1, 1), (1, 1))
