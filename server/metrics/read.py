"""What the township's pages show, read from the rollups (no recomputation on a page view).

Flask-free: every function takes a session and returns plain dicts and lists. Drill-down
is the one live query: it re-runs one indicator's unit rows for one village or doctor,
with as_of at the period's (so a frozen period lists the residents its figure counted).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from core.clock import now_utc
from core.models import (
    ROLE_DOCTOR,
    MetricPeriod,
    MetricRollup,
    OverduePatient,
    QualityDismissal,
    QualityFlag,
    RecordEntry,
    Resident,
    ServiceRecord,
    User,
    Village,
)
from server.metrics import dismissals
from server.metrics import keys as K
from server.metrics.compute import BUILDERS
from server.metrics.definitions import (
    BY_KEY,
    INDICATORS,
    PERIOD,
    Period,
    parse_period,
    target_of,
    targets_for,
)
from server.metrics.population import CST, make_window

PER_CLINIC = (K.EDU_LECTURES, K.EDU_BOARDS)  # targets are per village clinic


def rollup_map(session: Session, township_id: int, period: str, scope: str | None = None) \
        -> dict:
    """{(scope, scope_id, indicator): (numerator, denominator)} of one stored period."""
    stmt = select(MetricRollup.scope, MetricRollup.scope_id, MetricRollup.indicator,
                  MetricRollup.numerator, MetricRollup.denominator).where(
        MetricRollup.township_id == township_id, MetricRollup.period == period)
    if scope:
        stmt = stmt.where(MetricRollup.scope == scope)
    return {(s, i, k): (n, d) for s, i, k, n, d in session.execute(stmt)}


def period_status(session: Session, township_id: int, period: str) -> MetricPeriod | None:
    """The period's row: when computed, as_of, frozen, late records."""
    return session.scalar(select(MetricPeriod).where(MetricPeriod.township_id == township_id,
                                                     MetricPeriod.period == period))


def value_of(cell: tuple | None, unit: str) -> float | None:
    """A rate in 0..1 (None when the denominator is 0) or a count."""
    if cell is None:
        return None
    num, den = cell
    if unit == "count":
        return float(num)
    return num / den if den else None


def judge(rule, value, previous, unit, scale: float) -> bool | None:
    """Met, missed, or None when it cannot be said (no value, no target, no last year)."""
    if rule is None or value is None:
        return None
    if rule.kind == "rising":
        return None if previous is None else value > previous
    target = (rule.value or 0) * (scale if unit == "count" else 1)
    return value <= target if rule.kind == "max_rate" else value >= target


def _count_scale(period: Period, key: str, villages: int) -> float:
    """A yearly count target scaled to the period, and to the villages for per-clinic ones."""
    months = {"year": 12, "quarter": 3, "month": 1}[period.kind]
    return months / 12 * (villages if key in PER_CLINIC else 1)


def scorecard(session: Session, township_id: int, period_key: str, scope: str = "township",
              scope_id: int | None = None) -> list[dict]:
    """Every indicator for one scope and period, judged against its target.

    A count with nothing to count (no activity of its kind: no rollup row) is 0, not
    missing, once the period has been computed (docs/indicators.md#common)."""
    period = parse_period(period_key)
    scope_id = scope_id or township_id
    cur = rollup_map(session, township_id, period.key, scope)
    prev = rollup_map(session, township_id, period.previous_year().key, scope)
    targets = targets_for(session, township_id, period.year)
    villages = 1 if scope != "township" else session.scalar(
        select(func.count(Village.id)).where(Village.township_id == township_id)) or 1
    out = []
    for ind in INDICATORS:
        cell = cur.get((scope, scope_id, ind.key))
        if cell is None and ind.unit == "count" and ind.supported and cur:
            cell = (0, None)
        value = value_of(cell, ind.unit)
        previous = value_of(prev.get((scope, scope_id, ind.key)), ind.unit)
        rule = target_of(targets, ind.key, scope_id if scope == "village" else None)
        scale = _count_scale(period, ind.key, villages)
        out.append({"key": ind.key, "ind": ind, "num": cell[0] if cell else None,
                    "den": cell[1] if cell else None, "value": value, "previous": previous,
                    "rule": rule, "target": (rule.value * scale if rule and rule.value is not None
                                             and ind.unit == "count" else
                                             rule.value if rule else None),
                    "met": judge(rule, value, previous, ind.unit, scale)
                    if ind.supported else None})
    return out


def villages_side_by_side(session: Session, township_id: int, period_key: str) -> dict:
    """{"villages": [...], "rows": [{indicator, cells: [value per village]}]}."""
    villages = session.execute(select(Village.id, Village.name).where(
        Village.township_id == township_id).order_by(Village.code)).all()
    cur = rollup_map(session, township_id, period_key, "village")
    rows = []
    for ind in INDICATORS:
        if not ind.supported:
            continue
        cells = [{"value": value_of(cur.get(("village", v.id, ind.key)), ind.unit),
                  "cell": cur.get(("village", v.id, ind.key))} for v in villages]
        rows.append({"ind": ind, "cells": cells})
    return {"villages": [{"id": v.id, "name": v.name} for v in villages], "rows": rows}


def doctors_workload(session: Session, township_id: int, period_key: str) -> list[dict]:
    """Each village doctor's records by kind, phone follow-ups and findings, for a period."""
    doctors = session.execute(select(User.id, User.full_name).where(
        User.township_id == township_id, User.role == ROLE_DOCTOR).order_by(User.id)).all()
    cur = rollup_map(session, township_id, period_key, "doctor")
    period = parse_period(period_key)
    status = period_status(session, township_id, period.key)
    # Findings staff reviewed and dismissed are not findings against the doctor (ADR 0027).
    dismissed = dismissals.dismissed_by_doctor(
        session, township_id, period.start, period.end,
        status.as_of if status is not None else now_utc())
    out = []
    for d in doctors:
        mine = {k: n for (_, i, k), (n, _) in cur.items() if i == d.id}
        work = {k[5:]: n for k, n in mine.items() if k.startswith("work:")}
        found = sum(n for k, n in mine.items() if k.startswith("quality:"))
        out.append({"id": d.id, "name": d.full_name, "work": work,
                    "total": sum(work.values()),
                    "phone": sum(n for k, n in mine.items() if k.startswith("phone:")),
                    "findings": max(found - sum(dismissed.get(d.id, {}).values()), 0),
                    "htn_standard": value_of(cur.get(("doctor", d.id, K.HTN_STANDARD)),
                                             "rate")})
    return out


def trend(session: Session, township_id: int, year: int, indicator: str) -> dict:
    """Month by month (year to date) values for `year` and the year before."""
    ind = BY_KEY[indicator]
    series = {}
    for y in (year, year - 1):
        keys = [f"{y}-{m:02d}" for m in range(1, 13)]
        rows = session.execute(select(MetricRollup.period, MetricRollup.numerator,
                                      MetricRollup.denominator).where(
            MetricRollup.township_id == township_id, MetricRollup.period.in_(keys),
            MetricRollup.scope == "township", MetricRollup.indicator == indicator))
        by = {p: value_of((n, d), ind.unit) for p, n, d in rows}
        series[y] = [by.get(k) for k in keys]
    return {"ind": ind, "series": series, "cumulative": ind.window != PERIOD}


def drill(session: Session, township_id: int, period_key: str, indicator: str,
          village_id: int | None = None, doctor_id: int | None = None, missing_only: bool
          = False, limit: int = 500) -> list[dict]:
    """The residents (or units) behind one figure: counted or missing, and why."""
    period = parse_period(period_key)
    status = period_status(session, township_id, period.key)
    as_of = status.as_of if status is not None else now_utc()
    w = make_window(session, township_id, period, as_of)
    units = BUILDERS[indicator](w).subquery("units")
    r = Resident
    stmt = (select(units, r.name, r.birth_date, r.national_id, r.phone, r.village_id
                   .label("resident_village"))
            .outerjoin(r, r.id == units.c.resident_id))
    if village_id is not None:
        stmt = stmt.where(units.c.village_id == village_id)
    if doctor_id is not None:
        stmt = stmt.where(units.c.doctor_id == doctor_id)
    if missing_only:
        stmt = stmt.where(units.c.num == 0)
    stmt = stmt.order_by(units.c.num, units.c.reason, r.name).limit(limit)
    return [dict(row._mapping) for row in session.execute(stmt)]


def quality_summary(session: Session, township_id: int) -> dict:
    """Open findings per check, dismissed ones per check apart, and when the checks ran."""
    q = QualityFlag
    rows = session.execute(select(q.check, q.dismissal_id.is_not(None), func.count())
                           .where(q.township_id == township_id)
                           .group_by(q.check, q.dismissal_id.is_not(None))).all()
    counts = {c: n for c, dismissed, n in rows if not dismissed}
    dismissed = {c: n for c, was, n in rows if was}
    found = session.scalar(select(func.max(q.found_at)).where(q.township_id == township_id))
    return {"counts": counts, "dismissed": dismissed, "found_at": found}


def quality_list(session: Session, township_id: int, check: str, dismissed: bool = False,
                 limit: int | None = 300, flag_ids: list[int] | None = None) -> list:
    """One check's open flags (or its dismissed ones, with who dismissed them and why),
    with resident and doctor names; only `flag_ids` when given (one page of a list)."""
    q, r, d = QualityFlag, Resident, QualityDismissal
    by = aliased(User, name="by")
    sr, entry = ServiceRecord.__table__.c, RecordEntry.__table__.c
    stmt = (select(q.id, q.check, q.village_id, q.service_date, q.record_created_at, q.detail,
                   q.record_id, q.resident_id, r.name, r.national_id,
                   User.full_name.label("doctor"), q.dismissal_id, d.reason, d.dismissed_at,
                   by.full_name.label("dismissed_by"),
                   # The entry time the burst check used, and the phone's own claim beside
                   # it (docs/adr/0050-entry-time.md).
                   func.coalesce(entry.entered_at, sr.created_at).label("entered_at"),
                   sr.device_created_at)
            .outerjoin(r, r.id == q.resident_id).outerjoin(User, User.id == q.doctor_id)
            .outerjoin(ServiceRecord.__table__, sr.id == q.record_id)
            .outerjoin(RecordEntry.__table__, entry.record_id == q.record_id)
            .outerjoin(d, d.id == q.dismissal_id).outerjoin(by, by.id == d.dismissed_by_id)
            .where(q.township_id == township_id, q.check == check,
                   q.dismissal_id.is_not(None) if dismissed else q.dismissal_id.is_(None))
            .order_by(q.village_id, r.name, q.service_date).limit(limit))
    if flag_ids is not None:
        stmt = stmt.where(q.id.in_(flag_ids))
    out = []
    for row in session.execute(stmt):
        item = dict(row._mapping)
        item["phone_clock"] = _phone_clock(item["device_created_at"], item["entered_at"])
        out.append(item)
    return out


def _phone_clock(claimed: dt.datetime | None, entered: dt.datetime | None) -> str | None:
    """What the phone's clock said when the record was made, in China time, for staff to
    see beside the entry time, when the two differ by more than five minutes."""
    if claimed is None or entered is None or abs(claimed - entered) <= dt.timedelta(minutes=5):
        return None
    try:
        return claimed.astimezone(CST).strftime("%Y-%m-%d %H:%M")
    except OverflowError:  # a clock at the very end of year 9999
        return claimed.isoformat()


def overdue_list(session: Session, township_id: int, village_id: int | None = None,
                 limit: int = 500) -> list[dict]:
    """The nightly overdue list with names."""
    o, r = OverduePatient, Resident
    stmt = (select(o.condition, o.reason, o.last_visit_on, o.due_on, o.village_id,
                   o.resident_id, r.name, r.birth_date).join(r, r.id == o.resident_id)
            .where(o.township_id == township_id).order_by(o.village_id, o.due_on, r.name)
            .limit(limit))
    if village_id is not None:
        stmt = stmt.where(o.village_id == village_id)
    return [dict(row._mapping) for row in session.execute(stmt)]


def overdue_count(session: Session, township_id: int) -> int:
    """How many patients are on the township's overdue list."""
    return session.scalar(select(func.count()).select_from(OverduePatient)
                          .where(OverduePatient.township_id == township_id)) or 0


def today_periods(today: dt.date) -> dict:
    """The period keys a page offers by default: this month, quarter and year."""
    return {"month": f"{today.year}-{today.month:02d}",
            "quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}", "year": str(today.year)}


def verification_calls(session: Session, sample_ids: list[int]) -> dict[int, list[dict]]:
    """{sample_id: calls with the resident's name and phone and the service called about}.

    The phone is shown in full: staff must dial it (the one list that needs it)."""
    from core.models import ServiceRecord, VerificationCall

    c, r, sr = VerificationCall, Resident, ServiceRecord.__table__.c
    rows = session.execute(
        select(c.id, c.sample_id, c.village_id, c.doctor_id, c.outcome, c.note,
               r.name.label("resident_name"), r.phone.label("resident_phone"),
               sr.service_date, sr.kind)
        .join(r, r.id == c.resident_id).join(ServiceRecord.__table__, sr.id == c.record_id)
        .where(c.sample_id.in_(sample_ids)).order_by(c.id))
    out: dict[int, list[dict]] = {s: [] for s in sample_ids}
    for row in rows:
        out[row.sample_id].append(dict(row._mapping))
    return out
