"""The overdue lists: patients under management who are due a follow-up and lack it.

Rewritten nightly per township with one INSERT ... SELECT per condition. Reasons:
"never" (no follow-up in the last 12 months), "uncontrolled" (the last visit found them
uncontrolled and nobody came back within 2 weeks), "overdue" (the next visit the doctor
set, or 3 months after the last one, has passed).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, delete, func, insert, literal, null, or_, select
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import (
    DiabetesFollowUp,
    HypertensionFollowUp,
    OverduePatient,
    Resident,
    ResidentCondition,
    ServiceRecord,
)
from server.metrics.definitions import parse_period, years_before
from server.metrics.population import CST, live_records, make_window
from server.metrics.sql import batch_settings

SRT = ServiceRecord.__table__
SR = SRT.c
FORMS = {"hypertension": HypertensionFollowUp.__table__, "diabetes": DiabetesFollowUp.__table__}
COLUMNS = ("township_id", "village_id", "resident_id", "condition", "last_visit_on", "due_on",
           "reason", "computed_at")


def _select(session: Session, township_id: int, condition: str, now: dt.datetime):
    """Overdue rows of one condition, as a SELECT shaped like OverduePatient."""
    today = now.astimezone(CST).date()
    w = make_window(session, township_id, parse_period(str(today.year)), now)
    sql, form, r, rc = w.sql, FORMS[condition], Resident, ResidentCondition
    ranked = (select(SR.resident_id, SR.service_date, form.c.next_visit_date,
                     form.c.classification,
                     func.row_number().over(partition_by=SR.resident_id,
                                            order_by=(SR.service_date.desc(), SR.id))
                     .label("rn"))
              .join(form, form.c.id == SR.id)
              .where(live_records(w), SR.service_date > years_before(today, 1),
                     SR.service_date <= today).subquery("ranked"))
    last = select(ranked).where(ranked.c.rn == 1).subquery("last")
    uncontrolled = and_(last.c.classification.is_not(None),
                        last.c.classification != "controlled")
    due = case((last.c.service_date.is_(None), null()),
               (uncontrolled, sql.add_days(last.c.service_date, 14)),
               else_=func.coalesce(last.c.next_visit_date, sql.add_days(last.c.service_date, 92)))
    reason = case((last.c.service_date.is_(None), literal("never")),
                  (uncontrolled, literal("uncontrolled")), else_=literal("overdue"))
    managed = select(rc.id).where(rc.resident_id == r.id, rc.condition == condition,
                                  rc.managed_since <= today,
                                  or_(rc.ended_on.is_(None), rc.ended_on > today)).exists()
    return (select(literal(township_id), r.village_id, r.id, literal(condition),
                   last.c.service_date, due, reason, literal(now))
            .select_from(r).outerjoin(last, last.c.resident_id == r.id)
            .where(r.village_id.in_(w.village_ids), r.deleted_at.is_(None),
                   r.status == "active", r.died_on.is_(None), managed,
                   or_(last.c.service_date.is_(None), due < sql.date(today))))


def refresh_overdue(session: Session, township_id: int, now: dt.datetime | None = None) -> int:
    """Rewrite the township's overdue list; return how many patients are on it."""
    now = now or now_utc()
    batch_settings(session)
    session.execute(delete(OverduePatient).where(OverduePatient.township_id == township_id))
    for condition in FORMS:
        session.execute(insert(OverduePatient).from_select(
            COLUMNS, _select(session, township_id, condition, now)))
    session.commit()
    return session.scalar(select(func.count()).select_from(OverduePatient)
                          .where(OverduePatient.township_id == township_id)) or 0
