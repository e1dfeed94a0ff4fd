"""Vaccination indicators on the national basis: doses due in the period against doses
given, by the date they were given (docs/indicators.md#vacc_coverage, #vacc_timely), and
certificates seen (#vacc_certificate).

`dose_rows` is the one computation of "due" and "given": the pooled indicators here and
the per-vaccine-and-dose rollups and drill-down of server/metrics/vaccines.py read it.
Builders return the standard unit rows (server/metrics/units.py), one per window and
dose due (`unit` names the dose) or child.
"""
from __future__ import annotations

from sqlalchemy import Integer, Select, String, and_, case, cast, exists, func, literal, select

from core.models import VaccinationCheck, VaccineScheduleDose
from server.metrics.population import as_windows, each_window, population, stored_by
from server.metrics.units import SR, SRT, AnyWindow, flag, live, rows


def dose_rows(w: AnyWindow):
    """One row per window and dose due in the period to a child who lived here that day.

    Columns: wid, resident_id, village_id, doctor_id, birth_date, vaccine, dose_no,
    due_age_months, due_on, given_on (date given, or the recording check's date when the
    dose carries none; NULL if not given by the window's end), dated_on (the dose's own
    recorded date) and timely (1 if given before the child reached due age + the
    schedule's timely window, in calendar months)."""
    ws = as_windows(w)
    sql, pop, win = ws.sql, population(ws), ws.table
    sched = VaccineScheduleDose
    due_on = sql.add_months(pop.c.birth_date, sched.due_age_months)
    deadline = sql.add_months(pop.c.birth_date,
                              sched.due_age_months + sched.timely_within_months)
    # Only those young enough for the schedule's last dose to fall in the period or later
    # meet the schedule at all (a province may schedule doses past the national age 6).
    last_due = select(func.max(sched.due_age_months)).scalar_subquery()
    young = sql.add_months(pop.c.birth_date, last_due) >= pop.c.pstart
    # Due in the period, and while the child lived here (born, moved in by then, not
    # moved out or dead before): present_from/present_to bound their time in the window.
    due = (select(pop.c.wid, pop.c.resident_id, pop.c.village_id, pop.c.doctor_id,
                  pop.c.birth_date, sched.vaccine, sched.dose_no, sched.due_age_months,
                  due_on.label("due_on"), deadline.label("deadline"))
           .join(sched, literal(True))
           .where(young, due_on >= pop.c.pstart,
                  due_on >= pop.c.present_from, due_on <= pop.c.present_to)
           .subquery("due"))
    vc = VaccinationCheck.__table__.c
    items, get, _ = sql.json_items(vc.doses_given)
    dated = sql.text_date(get("date"))
    # Each check's list expanded once and matched to the windows whose as_of stored it and
    # whose end the dose was given by: counted by the date it was given (the check's own
    # date only when the dose has none), whatever date the check that recorded it carries.
    # Expanded first, grouped after: PostgreSQL will not match a GROUP BY expression
    # whose JSON key is a separate bind parameter from the SELECT's.
    listed = (each_window(
        select(win.c.wid, SR.resident_id, get("vaccine").label("vaccine"),
               cast(get("dose_no"), Integer).label("dose_no"), dated.label("dated_on"),
               func.coalesce(dated, SR.service_date).label("given_on"))
        .select_from(SRT).join(VaccinationCheck.__table__, vc.id == SR.id)
        .join(items, literal(True))
        .where(SR.kind == "vaccination_check", SR.village_id.in_(ws.village_ids)),
        win, and_(stored_by(SR, win.c.as_of),
                  func.coalesce(dated, SR.service_date) <= win.c.wend)).subquery("listed"))
    given = (select(listed.c.wid, listed.c.resident_id, listed.c.vaccine, listed.c.dose_no,
                    func.min(listed.c.given_on).label("given_on"),
                    func.min(listed.c.dated_on).label("dated_on"))
             .group_by(listed.c.wid, listed.c.resident_id, listed.c.vaccine,
                       listed.c.dose_no).subquery("given"))
    wend = win.alias("wend")
    by_end = given.c.given_on <= wend.c.wend
    in_time = and_(by_end, given.c.dated_on < due.c.deadline)
    return (select(due.c.wid, due.c.resident_id, due.c.village_id, due.c.doctor_id,
                   due.c.birth_date, due.c.vaccine, due.c.dose_no, due.c.due_age_months,
                   due.c.due_on, case((by_end, given.c.given_on), else_=None).label("given_on"),
                   case((by_end, given.c.dated_on), else_=None).label("dated_on"),
                   flag(in_time).label("timely"))
            .select_from(due).join(wend, wend.c.wid == due.c.wid)
            .outerjoin(given, and_(given.c.wid == due.c.wid,
                                   given.c.resident_id == due.c.resident_id,
                                   given.c.vaccine == due.c.vaccine,
                                   given.c.dose_no == due.c.dose_no))
            .subquery("doses"))


def _doses(w: AnyWindow, timely: bool) -> Select:
    """The standard unit rows of the pooled coverage or timely rate."""
    d = dose_rows(w)
    got = d.c.given_on.is_not(None)
    if timely:
        ok = d.c.timely == 1
        reason = case((ok, None), (got, literal("late_dose")), else_=literal("dose_missing"))
    else:
        ok, reason = got, case((got, None), else_=literal("dose_missing"))
    return (rows(d, flag(ok), reason)
            .add_columns((d.c.vaccine + literal("-") + cast(d.c.dose_no, String))
                         .label("unit")))


def vacc_coverage(w: AnyWindow) -> Select:
    """Doses due in the period given by its end / doses due in the period
    (docs/indicators.md#vacc_coverage)."""
    return _doses(w, timely=False)


def vacc_timely(w: AnyWindow) -> Select:
    """Doses due in the period given within the schedule's window / doses due
    (docs/indicators.md#vacc_timely)."""
    return _doses(w, timely=True)


def vacc_certificate(w: AnyWindow) -> Select:
    """Children 0-6 with a vaccination certificate seen / children 0-6
    (docs/indicators.md#vacc_certificate): a check dated by the end, not after they left."""
    ws = as_windows(w)
    pop = population(ws)
    vc = VaccinationCheck.__table__.c
    has = exists().where(SR.resident_id == pop.c.resident_id, SR.id == vc.id,
                         SR.kind == "vaccination_check",
                         vc.certificate_present.is_(True), SR.service_date <= pop.c.present_to,
                         live(ws, pop.c.as_of))
    return rows(pop, flag(has), case((has, None), else_=literal("no_certificate"))) \
        .where(pop.c.birth_date > pop.c.child_born_after)
