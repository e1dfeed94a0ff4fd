"""Vaccination indicators over children 0-6: doses due by the national schedule against
doses recorded as given (in time, for the timely rate), and certificates seen.

Builders return the standard unit rows (server/metrics/units.py), one per window and
dose due (`unit` names the dose) or child.
"""
from __future__ import annotations

from sqlalchemy import Integer, Select, String, and_, case, cast, exists, func, literal, select

from core.models import VaccinationCheck, VaccineScheduleDose
from server.metrics.population import as_windows, each_window, population, stored_by
from server.metrics.units import SR, SRT, AnyWindow, flag, live, rows


def _children(w: AnyWindow):
    """The population's children aged 0-6 at the end."""
    pop = population(w)
    return pop, pop.c.birth_date > pop.c.child_born_after


def _doses(w: AnyWindow, timely: bool) -> Select:
    """Doses due by the end (national schedule) against doses recorded as given."""
    ws = as_windows(w)
    pop, is_child = _children(ws)
    win = ws.table
    vc = VaccinationCheck.__table__.c
    items, get, _ = ws.sql.json_items(vc.doses_given)
    # Expanded first, grouped after: PostgreSQL will not match a GROUP BY expression
    # whose JSON key is a separate bind parameter from the SELECT's.
    # Each check's list expanded once, then matched to the windows it counts in.
    doses = (each_window(
        select(win.c.wid, SR.resident_id, get("vaccine").label("vaccine"),
               cast(get("dose_no"), Integer).label("dose_no"), get("date").label("day"))
        .select_from(SRT).join(VaccinationCheck.__table__, vc.id == SR.id)
        .join(items, literal(True))
        .where(SR.kind == "vaccination_check", SR.village_id.in_(ws.village_ids)),
        win, and_(SR.service_date <= win.c.wend, stored_by(SR, win.c.as_of))).subquery("doses"))
    given = (select(doses.c.wid, doses.c.resident_id, doses.c.vaccine, doses.c.dose_no,
                    func.min(doses.c.day).label("given_on"))
             .group_by(doses.c.wid, doses.c.resident_id, doses.c.vaccine, doses.c.dose_no)
             .subquery("given"))
    sched = VaccineScheduleDose
    age_months = (pop.c.end_ym - _year_month(pop.c.birth_date)
                  - case((func.extract("day", pop.c.birth_date) > pop.c.end_day, 1), else_=0))
    due = (select(pop.c.wid, pop.c.resident_id, pop.c.village_id, pop.c.doctor_id,
                  pop.c.birth_date, sched.vaccine, sched.dose_no, sched.due_age_months,
                  sched.timely_within_months)
           .join(sched, age_months >= sched.due_age_months)
           .where(is_child).subquery("due"))
    got = given.c.resident_id.is_not(None)
    if timely:
        limit = due.c.due_age_months + due.c.timely_within_months
        at_dose = _months_between(due.c.birth_date, ws.sql.text_date(given.c.given_on))
        ok = and_(got, at_dose <= limit)
        reason = case((ok, None), (got, literal("late_dose")), else_=literal("dose_missing"))
    else:
        ok, reason = got, case((got, None), else_=literal("dose_missing"))
    return (rows(due, flag(ok), reason)
            .add_columns((due.c.vaccine + literal("-") + cast(due.c.dose_no, String))
                         .label("unit"))
            .outerjoin(given, and_(given.c.wid == due.c.wid,
                                   given.c.resident_id == due.c.resident_id,
                                   given.c.vaccine == due.c.vaccine,
                                   given.c.dose_no == due.c.dose_no)))


def _year_month(day) -> object:
    """year * 12 + month of a date column (portable)."""
    return cast(func.extract("year", day) * 12 + func.extract("month", day), Integer)


def _months_between(birth, day) -> object:
    """Whole months from a birth date to another date column (portable)."""
    return (_year_month(day) - _year_month(birth)
            - case((func.extract("day", birth) > func.extract("day", day), 1), else_=0))


def vacc_coverage(w: AnyWindow) -> Select:
    """Doses given / doses due, over children 0-6."""
    return _doses(w, timely=False)


def vacc_timely(w: AnyWindow) -> Select:
    """Doses given within the schedule's window / doses due."""
    return _doses(w, timely=True)


def vacc_certificate(w: AnyWindow) -> Select:
    """Children 0-6 with a vaccination certificate seen / children 0-6."""
    ws = as_windows(w)
    pop, is_child = _children(ws)
    vc = VaccinationCheck.__table__.c
    has = exists().where(SR.resident_id == pop.c.resident_id, SR.id == vc.id,
                         SR.kind == "vaccination_check",
                         vc.certificate_present.is_(True), SR.service_date <= pop.c.wend,
                         live(ws, pop.c.as_of))
    return rows(pop, flag(has), case((has, None), else_=literal("no_certificate"))) \
        .where(is_child)
