"""Issue 18, cause 2: nobody counts before birth or moving in, or after death or moving
out (docs/indicators.md#common, #household_visits, #elderly_mgmt). Computed by hand.

Township A of conftest's `town`: r1 (village 1, household hh1, born 1950, permanent) and
r2 (village 2, hh2, born 1980). Added here (all permanent):
  baby   born 2025-08-10, the only member of a new household hh_new (village 1)
  gone   born 1990, the only member of hh_gone (village 2), moved out 2025-02-15
  dead   born 1950, in hh1, died 2025-03-01; a complete 65+ health check is dated
         2025-05-01 and a lecture on 2025-06-01 lists them signed in, both after the
         death (records the register's dates say cannot count)
Nobody has a contract, no household was visited.

contract_rate's denominator is every permanent resident present in the window:
  2025-Q2 (1 January to 30 June): r1, r2, gone (to 15 February), dead (to 1 March) = 4;
          baby is not born yet.                                  -> (0, 4)
  2025 (the year): the same four and baby (from 10 August)       -> (0, 5)
household_visits counts the period itself, households someone lived in during it:
  2025-Q2: hh1 (r1), hh2 (r2); hh_new has nobody before August, hh_gone nobody after
          15 February                                            -> (0, 2)
  2025: hh1, hh2, hh_new (baby from August), hh_gone (to February) -> (0, 4)
elderly_mgmt 2025: 65+ by 31 December: r1 (no check), dead (present to 1 March; the check
  of 1 May is after the death and counts for nobody)              -> (0, 2)
edu_reach 2025: the five residents above; the only sign-in is dead's, after the death
                                                                  -> (0, 5)
"""
from __future__ import annotations

import datetime as dt

import pytest
from metrics_town import _rec, _resident
from sqlalchemy import select

from core.models import EducationActivity, ElderlyHealthCheck, Household, MetricRollup
from server.metrics.rollups import recompute_period

D = dt.date
NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)  # every 2025 period closed


@pytest.fixture
def presence(ctx, town):
    hh_new = Household(village_id=town["village_1"], address="龙泉村3组8号", head_name="新户")
    hh_gone = Household(village_id=town["village_2"], address="石板村1组2号", head_name="迁户")
    ctx.add_all([hh_new, hh_gone])
    ctx.flush()
    _resident(town, "baby", "village_1", "新生", D(2025, 8, 10), household_id=hh_new.id,
              opened=D(2025, 8, 20))
    _resident(town, "gone", "village_2", "迁出", D(1990, 4, 4), household_id=hh_gone.id,
              moved_out_on=D(2025, 2, 15), status="moved_out")
    dead = _resident(town, "dead", "village_1", "故者", D(1950, 6, 6),
                     household_id=town["household_1"], died_on=D(2025, 3, 1),
                     status="deceased")
    ctx.flush()
    _rec(ElderlyHealthCheck, town, "doctor_a", D(2025, 5, 1), "clinic", dead,
         health_assessment="normal", guidance=["定期随访"])
    _rec(EducationActivity, town, "doctor_a", D(2025, 6, 1), "group",
         village=town["village_1"], activity_type="lecture", place="村委会", topic="防跌倒",
         audience_count=12, attendee_ids=[str(dead.id)])
    ctx.commit()
    for period in ("2025-Q2", "2025"):
        recompute_period(ctx, town["township_a"], period, now=NOW)
    ctx.commit()
    return town


def township_figure(ctx, town, period: str, indicator: str) -> tuple:
    row = ctx.scalar(select(MetricRollup).where(
        MetricRollup.township_id == town["township_a"], MetricRollup.period == period,
        MetricRollup.scope == "township", MetricRollup.indicator == indicator))
    return (row.numerator, row.denominator)


def test_nobody_counts_before_birth(ctx, presence):
    assert township_figure(ctx, presence, "2025-Q2", "contract_rate") == (0, 4)
    assert township_figure(ctx, presence, "2025", "contract_rate") == (0, 5)


def test_a_household_counts_only_while_someone_lives_in_it(ctx, presence):
    assert township_figure(ctx, presence, "2025-Q2", "household_visits") == (0, 2)
    assert township_figure(ctx, presence, "2025", "household_visits") == (0, 4)


def test_services_after_death_count_for_nobody(ctx, presence):
    assert township_figure(ctx, presence, "2025", "elderly_mgmt") == (0, 2)
    assert township_figure(ctx, presence, "2025", "edu_reach") == (0, 5)
