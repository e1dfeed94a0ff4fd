"""Dismissed quality flags: they survive the nightly rewrite, come back when the data
changes, are counted apart and deduct nothing (docs/adr/0027-dismissing-quality-flags.md)."""
from __future__ import annotations

import datetime as dt

import metrics_town
import pytest
from metrics_town import AFTER_CLOSE, AFTER_LATE
from sqlalchemy import select

from core.models import (
    AdminChange,
    HypertensionFollowUp,
    QualityFlag,
    Resident,
    User,
)
from server.metrics import assessment, dismissals, quality, read
from server.metrics.rollups import recompute_period
from server.problems import ApiError


@pytest.fixture
def built(ctx, town):
    """metrics_town with the late record, its flags found on 2026-02-02."""
    ids = metrics_town.build(town)
    metrics_town.add_late_record(town, ids)
    quality.refresh_flags(ctx, town["township_a"], now=AFTER_LATE)
    return ids


def flag(ctx, check: str, resident_id=None) -> QualityFlag:
    """The one flag of `check` (for `resident_id` if given)."""
    stmt = select(QualityFlag).where(QualityFlag.check == check)
    if resident_id is not None:
        stmt = stmt.where(QualityFlag.resident_id == resident_id)
    return ctx.scalars(stmt).one()


def staff(ctx, town) -> User:
    return ctx.get(User, town["staff_a"])


def test_a_dismissal_survives_the_nightly_rewrite_and_deducts_nothing(ctx, town, built):
    """2025-Q2, doctor_b: 3 HTN follow-ups = 6 points; the service after rD's death (5
    points) is dismissed, so deductions 0 and net 6; the finding is counted apart."""
    township = town["township_a"]
    dismissals.dismiss(ctx, staff(ctx, town), flag(ctx, "after_death_or_move").id,
                       "死亡日期录错,已核实")
    ctx.commit()
    counts = quality.refresh_flags(ctx, township, now=AFTER_LATE)  # rewritten from scratch
    assert "after_death_or_move" not in counts
    assert flag(ctx, "after_death_or_move").dismissal_id is not None
    recompute_period(ctx, township, "2025-Q2", now=AFTER_CLOSE)
    b = {s.doctor_id: s for s in assessment.assess(ctx, township, "2025-Q2")}[town["doctor_b"]]
    assert b.dismissed == {"after_death_or_move": 1}
    assert b.findings == {"after_death_or_move": 0}
    assert (b.workload_points, b.deduction_points, b.net_points) == (6.0, 0.0, 6.0)
    doctors = {d["id"]: d for d in read.doctors_workload(ctx, township, "2025-Q2")}
    assert doctors[town["doctor_b"]]["findings"] == 0
    change = ctx.scalars(select(AdminChange)).one()
    assert (change.action, change.note, change.user_id) == ("dismiss", "死亡日期录错,已核实",
                                                            town["staff_a"])
    assert change.subject.startswith("quality:after_death_or_move:")


def test_a_corrected_record_brings_the_flag_back(ctx, town, built):
    """The doctor corrects the record (a new version): the finding is news again."""
    f = flag(ctx, "after_death_or_move")
    dismissals.dismiss(ctx, staff(ctx, town), f.id, "已核实")
    ctx.commit()
    rec = ctx.get(HypertensionFollowUp, f.record_id)
    rec.version += 1
    ctx.commit()
    assert quality.refresh_flags(ctx, town["township_a"], now=AFTER_LATE)[
        "after_death_or_move"] == 1
    assert flag(ctx, "after_death_or_move").dismissal_id is None


def test_real_twins_stay_dismissed_until_a_third_appears(ctx, town, built):
    """r1 and rDup share name and birth date; staff dismiss both as twins. A third 张三丰
    born the same day in the village changes the group (×3): all three are flagged."""
    township = town["township_a"]
    for rid in (built["r1"], built["rDup"]):
        dismissals.dismiss(ctx, staff(ctx, town), flag(ctx, "duplicate_name_birth", rid).id,
                           "确为双胞胎(已核实)")
    ctx.commit()
    assert "duplicate_name_birth" not in quality.refresh_flags(ctx, township, now=AFTER_LATE)
    ctx.add(Resident(village_id=town["village_1"], name="张三丰", sex="male",
                     birth_date=dt.date(1950, 3, 7)))
    ctx.commit()
    assert quality.refresh_flags(ctx, township, now=AFTER_LATE)["duplicate_name_birth"] == 3


def test_withdrawing_a_dismissal_reopens_the_finding(ctx, town, built):
    f = flag(ctx, "late_entry")
    row = dismissals.dismiss(ctx, staff(ctx, town), f.id, "补录属实")
    ctx.commit()
    dismissals.withdraw(ctx, ctx.get(User, town["admin_a"]), row.id)
    ctx.commit()
    assert flag(ctx, "late_entry").dismissal_id is None
    assert quality.refresh_flags(ctx, town["township_a"], now=AFTER_LATE)["late_entry"] == 1
    assert [c.action for c in ctx.scalars(select(AdminChange).order_by(AdminChange.id))] == \
        ["dismiss", "withdraw"]


@pytest.mark.parametrize(("reason", "status"), [("", 422), ("   ", 422), ("长" * 201, 422)])
def test_a_dismissal_needs_a_reason(ctx, town, built, reason, status):
    with pytest.raises(ApiError) as e:
        dismissals.dismiss(ctx, staff(ctx, town), flag(ctx, "late_entry").id, reason)
    assert e.value.status == status and "reason" in e.value.errors


def test_dismissal_is_scoped_and_once(ctx, town, built):
    f = flag(ctx, "late_entry")
    with pytest.raises(ApiError) as e:  # another township's staff
        dismissals.dismiss(ctx, ctx.get(User, town["staff_b"]), f.id, "x")
    assert e.value.status == 404
    dismissals.dismiss(ctx, staff(ctx, town), f.id, "补录属实")
    with pytest.raises(ApiError) as e:
        dismissals.dismiss(ctx, staff(ctx, town), f.id, "again")
    assert e.value.status == 409
