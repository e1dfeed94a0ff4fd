"""Quality checks, overdue lists, verification calls and the assessment on metrics_town."""
from __future__ import annotations

import datetime as dt
import uuid

import metrics_town
import pytest
from metrics_town import AFTER_CLOSE, AFTER_LATE
from sqlalchemy import select

from core.models import (
    DiabetesFollowUp,
    HypertensionFollowUp,
    OverduePatient,
    QualityFlag,
    ResidentCondition,
)
from server.metrics import assessment, overdue, quality, verification
from server.metrics.rollups import recompute_period


@pytest.fixture
def built(ctx, town):
    """metrics_town with the late record stored too."""
    ids = metrics_town.build(town)
    metrics_town.add_late_record(town, ids)
    return ids


def test_quality_flags(ctx, town, built):
    counts = quality.refresh_flags(ctx, town["township_a"], now=AFTER_LATE)
    assert counts == {"duplicate_name_birth": 2, "provisional_match": 1,
                      "implausible_value": 1, "after_death_or_move": 1, "late_entry": 1,
                      "identical_readings": 1}
    flags = {f.check: f for f in ctx.scalars(select(QualityFlag))}
    assert flags["provisional_match"].resident_id == built["rDup"]
    assert flags["after_death_or_move"].resident_id == built["rD"]
    assert flags["after_death_or_move"].doctor_id == town["doctor_b"]
    assert flags["implausible_value"].detail.rstrip(".0").endswith("GLU 4")  # 40 or 40.0
    assert flags["late_entry"].detail == "+43d"
    assert flags["identical_readings"].detail == "150/95 ×4"
    # Running it again replaces, never adds.
    assert quality.refresh_flags(ctx, town["township_a"], now=AFTER_LATE) == counts


def test_dead_records_after_a_quiet_year(ctx, town, built):
    """On 2026-12-01 nobody has been served since 2025-12-01 except r1 (12-31), rG
    (12-05) and rE (12-20); rK, rP, rDup and rN hold records opened a year ago or more."""
    quality.refresh_flags(ctx, town["township_a"], now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    dead = set(ctx.scalars(select(QualityFlag.resident_id)
                           .where(QualityFlag.check == "dead_record")))
    assert dead == {built["rK"], built["rP"], built["rDup"], built["rN"]}


def test_burst_of_follow_ups_within_minutes(ctx, town):
    """Ten follow-ups stored two minutes apart: the tenth completes ten within 18 minutes."""
    start = dt.datetime(2026, 9, 30, 13, 0, tzinfo=dt.UTC)
    for i in range(10):
        stamp = start + dt.timedelta(minutes=2 * i)
        ctx.add(DiabetesFollowUp(id=uuid.uuid4(), resident_id=town["resident_1"],
                                 village_id=town["village_1"], doctor_id=town["doctor_a"],
                                 service_date=dt.date(2026, 9, 1 + i), mode="home",
                                 created_at=stamp, updated_at=stamp))
    ctx.commit()
    counts = quality.refresh_flags(ctx, town["township_a"],
                                   now=dt.datetime(2026, 10, 1, tzinfo=dt.UTC))
    assert counts.get("burst") == 1


def test_overdue_list(ctx, town, built):
    """On 2026-02-02: rP's last visit was 2025-11-01 with no next date (due +92 days =
    2026-02-01); r1's last visit found them uncontrolled (due back in 14 days); r2 was
    registered hypertensive in June and never followed up."""
    last = ctx.scalar(select(HypertensionFollowUp).where(
        HypertensionFollowUp.resident_id == built["r1"],
        HypertensionFollowUp.service_date == dt.date(2025, 12, 31)))
    last.classification = "uncontrolled"
    ctx.add(ResidentCondition(resident_id=built["r2"], condition="hypertension",
                              managed_since=dt.date(2025, 6, 1)))
    ctx.commit()
    assert overdue.refresh_overdue(ctx, town["township_a"], now=AFTER_LATE) == 3
    rows = {o.resident_id: (o.reason, o.due_on) for o in ctx.scalars(select(OverduePatient))}
    assert rows == {built["rP"]: ("overdue", dt.date(2026, 2, 1)),
                    built["r1"]: ("uncontrolled", dt.date(2026, 1, 14)),
                    built["r2"]: ("never", None)}


def test_assessment_with_a_denied_call(ctx, town, built):
    """2025-Q1, doctor_a: 2 HTN (2 pts each), 1 DM (2), 1 vaccination check (1), a lecture
    and a board update (3 each) = 13 points, minus 10 for the denied call = 3.
    doctor_b: 3 HTN follow-ups = 6. Shares 3/9 and 6/9."""
    township = town["township_a"]
    quality.refresh_flags(ctx, township, now=AFTER_LATE)
    recompute_period(ctx, township, "2025-Q1", now=AFTER_CLOSE)
    sample = verification.draw_sample(ctx, township, "2025-Q1", 10, town["staff_a"])
    assert [c.resident_id for c in sample.calls] == [built["r1"]]  # the only one with a phone
    verification.record_outcome(ctx, township, sample.calls[0].id, "denied", "没来过",
                                town["staff_a"])
    scores = {s.doctor_id: s for s in assessment.assess(ctx, township, "2025-Q1")}
    a, b = scores[town["doctor_a"]], scores[town["doctor_b"]]
    assert (a.workload_points, a.deduction_points, a.net_points) == (13.0, 10.0, 3.0)
    assert (b.workload_points, b.deduction_points, b.net_points) == (6.0, 0.0, 6.0)
    assert (round(a.share, 4), round(b.share, 4)) == (0.3333, 0.6667)
    assessment.save_rules(ctx, township, {"work:hypertension_followup": 3, "bogus": 99})
    scores = {s.doctor_id: s for s in assessment.assess(ctx, township, "2025-Q1")}
    assert scores[town["doctor_b"]].net_points == 9.0


def test_assessment_deducts_quality_findings(ctx, town, built):
    """2025-Q2, doctor_b: 3 HTN follow-ups (rM, rD after death, rE) = 6, minus 5 for the
    service after death = 1."""
    township = town["township_a"]
    quality.refresh_flags(ctx, township, now=AFTER_LATE)
    recompute_period(ctx, township, "2025-Q2", now=AFTER_CLOSE)
    b = {s.doctor_id: s for s in assessment.assess(ctx, township, "2025-Q2")}[town["doctor_b"]]
    assert b.findings == {"after_death_or_move": 1}
    assert (b.workload_points, b.deduction_points, b.net_points) == (6.0, 5.0, 1.0)


def test_outcome_must_be_known(ctx, town, built):
    sample = verification.draw_sample(ctx, town["township_a"], "2025-Q1", 5)
    from server.problems import ApiError

    with pytest.raises(ApiError):
        verification.record_outcome(ctx, town["township_a"], sample.calls[0].id, "maybe",
                                    None, town["staff_a"])
    with pytest.raises(ApiError):  # another township's staff
        verification.record_outcome(ctx, town["township_b"], sample.calls[0].id, "denied",
                                    None, town["staff_b"])
