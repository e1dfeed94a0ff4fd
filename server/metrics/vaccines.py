"""Vaccination per vaccine and dose (接种率, 及时接种率): doses given / doses due.

The schedule is data (`vaccine_schedule`, the national immunization schedule). Which
doses are due in a period and which were given, and in time, is computed once, by
server.metrics.doses.dose_rows (docs/indicators.md#vacc_coverage, #vacc_timely): due in
the period to a child who lived here on the due date, given by the date the dose was
given. Missing doses carry why: no vaccination check at all, or the reason the latest
check that named the dose recorded in `missed_doses`, and whether the guardian was told.
The figures are stored as rollups under "vacc:<vaccine>:<dose>" (coverage) and
"vacc_timely:<vaccine>:<dose>" (timely) so pages read them (and a closed period keeps
them) like every other indicator (docs/adr/0021-frozen-periods.md).
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Integer, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import Resident, ServiceRecord, VaccinationCheck, VaccineScheduleDose, Village
from server.metrics import read
from server.metrics.definitions import parse_period, target_of, targets_for
from server.metrics.doses import dose_rows
from server.metrics.keys import VACC_COVERAGE, VACC_DOSE_PREFIX, VACC_TIMELY_DOSE_PREFIX
from server.metrics.population import Window, live_records, make_window

PREFIX = VACC_DOSE_PREFIX
NEAR = 0.05  # within 5 points below the target: shown amber, not red
SRT, VCT = ServiceRecord.__table__, VaccinationCheck.__table__
SR, VC = SRT.c, VCT.c


def key(vaccine: str, dose_no: int) -> str:
    """The rollup indicator of one dose's coverage, e.g. "vacc:HepB:2"."""
    return f"{PREFIX}{vaccine}:{dose_no}"


def timely_key(vaccine: str, dose_no: int) -> str:
    """The rollup indicator of one dose's timely rate, e.g. "vacc_timely:HepB:2"."""
    return f"{VACC_TIMELY_DOSE_PREFIX}{vaccine}:{dose_no}"


def _checks(w: Window):
    """Vaccination checks of the township stored by as_of and dated by the end."""
    return (SR.kind == "vaccination_check", SR.service_date <= w.end, live_records(w))


def _listed(w: Window, column, label: str, *extra):
    """Each (resident, vaccine, dose) a JSON list of the checks names, with its check's
    date, guardian notice and `extra` fields of the item."""
    items, get, _ = w.sql.json_items(column)
    return (select(SR.resident_id, get("vaccine").label("vaccine"),
                   cast(get("dose_no"), Integer).label("dose_no"), SR.service_date,
                   VC.guardian_notified, *(get(f).label(f) for f in extra))
            .select_from(SRT).join(VCT, VC.id == SR.id).join(items, literal(True))
            .where(*_checks(w)).subquery(label))


def dose_units(w: Window, why: bool = True):
    """One row per dose due in the period: resident_id, village_id, doctor_id, vaccine,
    dose_no, due_age_months, due_on, num (1 given), timely, den (1), given_on, and with
    `why` also reason, missed_reason and notified (the drill-down's columns; the rollups
    skip them)."""
    due = dose_rows(w)
    got = due.c.given_on.is_not(None)
    stmt = select(due.c.resident_id, due.c.village_id, due.c.doctor_id, due.c.vaccine,
                  due.c.dose_no, due.c.due_age_months, due.c.due_on,
                  case((got, 1), else_=0).label("num"), due.c.timely,
                  literal(1).label("den"), due.c.given_on)
    return _with_why(w, stmt, due, got) if why else stmt


def _with_why(w: Window, stmt, due, got):
    """Add why a dose is missing: no check at all, or the reason (and the guardian's
    notice) of the latest check that named the dose in `missed_doses`."""
    missed_items = _listed(w, VC.missed_doses, "missed_items", "reason")
    ranked = select(missed_items, func.row_number().over(
        partition_by=(missed_items.c.resident_id, missed_items.c.vaccine,
                      missed_items.c.dose_no),
        order_by=missed_items.c.service_date.desc()).label("rn")).subquery("ranked")
    missed = select(ranked).where(ranked.c.rn == 1).subquery("missed")
    checked = select(SR.resident_id).where(*_checks(w)).distinct().subquery("checked")
    stmt = stmt.select_from(due)
    reason = case((got, None), (checked.c.resident_id.is_(None), literal("no_check")),
                  else_=literal("dose_missing"))
    return (stmt.add_columns(reason.label("reason"),
                             case((got, None), else_=missed.c.reason).label("missed_reason"),
                             case((got, None), else_=missed.c.guardian_notified)
                             .label("notified"))
            .outerjoin(missed, and_(missed.c.resident_id == due.c.resident_id,
                                    missed.c.vaccine == due.c.vaccine,
                                    missed.c.dose_no == due.c.dose_no))
            .outerjoin(checked, checked.c.resident_id == due.c.resident_id))


def aggregate(session: Session, w: Window) -> list[tuple]:
    """(village_id, doctor_id, vaccine, dose_no, given, timely, due) grouped in the
    database."""
    u = dose_units(w, why=False).subquery("units")
    stmt = (select(u.c.village_id, u.c.doctor_id, u.c.vaccine, u.c.dose_no, func.sum(u.c.num),
                   func.sum(u.c.timely), func.sum(u.c.den))
            .group_by(u.c.village_id, u.c.doctor_id, u.c.vaccine, u.c.dose_no))
    return [tuple(r) for r in session.execute(stmt)]


def add_rollups(session: Session, w: Window, add_all: Callable, cache: dict | None = None) \
        -> None:
    """Feed each dose's figures to rollups' `add_all(village, doctor, indicator, num, den)`.

    Doses due in the period depend on its start, its end and as_of (periods with all
    three equal share one query through rollups' `cache`)."""
    cache_key = (PREFIX, w.period.start, w.end, w.as_of)
    rows = cache.get(cache_key) if cache is not None else None
    if rows is None:
        rows = aggregate(session, w)
        if cache is not None:
            cache[cache_key] = rows
    for village_id, doctor_id, vaccine, dose_no, num, timely, den in rows:
        add_all(village_id, doctor_id, key(vaccine, dose_no), num, den)
        add_all(village_id, doctor_id, timely_key(vaccine, dose_no), timely, den)


def schedule(session: Session) -> list[VaccineScheduleDose]:
    """The schedule's doses in the order they fall due."""
    s = VaccineScheduleDose
    return list(session.scalars(select(s).order_by(s.due_age_months, s.vaccine, s.dose_no)))


def coverage_table(session: Session, township_id: int, period_key: str) -> dict:
    """The stored per-dose figures of a period: one row per scheduled dose, the township
    and each village, each cell judged against the vaccination-coverage target."""
    period = parse_period(period_key)
    villages = session.execute(select(Village.id, Village.name).where(
        Village.township_id == township_id).order_by(Village.code)).all()
    cur = read.rollup_map(session, township_id, period.key)
    prev = read.rollup_map(session, township_id, period.previous_year().key)
    targets = targets_for(session, township_id, period.year)
    scopes = [("township", township_id, None)] + [("village", v.id, v.id) for v in villages]
    rows = []
    for dose in schedule(session):
        k = key(dose.vaccine, dose.dose_no)
        cells = []
        for scope, scope_id, village_id in scopes:
            cell = cur.get((scope, scope_id, k))
            timely = cur.get((scope, scope_id, timely_key(dose.vaccine, dose.dose_no)))
            value = read.value_of(cell, "rate")
            rule = target_of(targets, VACC_COVERAGE, village_id)
            previous = read.value_of(prev.get((scope, scope_id, k)), "rate")
            met = read.judge(rule, value, previous, "rate", 1)
            near = (met is False and rule is not None and rule.value is not None
                    and value is not None and value >= rule.value - NEAR)
            cells.append({"num": cell[0] if cell else None, "den": cell[1] if cell else None,
                          "timely": timely[0] if timely else None,
                          "timely_value": read.value_of(timely, "rate"), "value": value,
                          "met": met, "near": near, "rule": rule,
                          "village_id": village_id})
        rows.append({"dose": dose, "key": k, "cells": cells})
    return {"villages": [{"id": v.id, "name": v.name} for v in villages], "rows": rows}


def drill(session: Session, township_id: int, period_key: str, vaccine: str, dose_no: int,
          village_id: int | None = None, limit: int = 500) -> list[dict]:
    """The children a dose was due for, given or missing and why, as the figure counted
    them (as_of of the stored period, so a closed period lists what it counted)."""
    period = parse_period(period_key)
    status = read.period_status(session, township_id, period.key)
    w = make_window(session, township_id, period,
                    status.as_of if status is not None else now_utc())
    u = dose_units(w).subquery("units")
    r = Resident
    stmt = (select(u, r.name, r.birth_date, r.national_id)
            .join(r, r.id == u.c.resident_id)
            .where(u.c.vaccine == vaccine, u.c.dose_no == dose_no))
    if village_id is not None:
        stmt = stmt.where(u.c.village_id == village_id)
    stmt = stmt.order_by(u.c.num, u.c.village_id, r.birth_date, r.name).limit(limit)
    return [dict(row._mapping) for row in session.execute(stmt)]
