"""The lists township staff act on, whole: paged, filtered, and ready for a download.

The drill-downs' readers in server/metrics are asked for every row (`limit=None`); the
quality findings and the overdue list are counted and cut into pages by the database, and
only a page's rows are read. This module filters by village, doctor, record type and
finding, and says who may see residents' phone numbers. No list is cut silently any more:
a page says how many rows there are, and a download holds them all
(docs/adr/0064-staff-lists.md).

Flask-free: every function takes a session (or plain rows) and returns plain data.
"""
from __future__ import annotations

import math
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import (
    ROLE_ADMIN,
    EducationActivity,
    Household,
    OverduePatient,
    QualityFlag,
    Resident,
    ServiceRecord,
    User,
    doctor_villages,
)
from core.serialize import mask_phone
from server.metrics import read, vaccines

PAGE_SIZE = 100  # rows on one page; a download always holds every row


@dataclass
class Page:
    """One page of a list, and what the whole list holds."""

    rows: list
    total: int
    number: int  # 1-based
    pages: int
    size: int

    @property
    def first(self) -> int:
        """The position (1-based) of the page's first row, 0 on an empty list."""
        return (self.number - 1) * self.size + 1 if self.total else 0

    @property
    def last(self) -> int:
        """The position of the page's last row."""
        return (self.number - 1) * self.size + len(self.rows)


def page_of(rows: list, number: int | None, size: int = PAGE_SIZE) -> Page:
    """Page `number` (1-based; out-of-range numbers land on the first or last page)."""
    pages = max(1, math.ceil(len(rows) / size))
    number = min(max(number or 1, 1), pages)
    start = (number - 1) * size
    return Page(rows[start:start + size], len(rows), number, pages, size)


def may_see_phones(user: User) -> bool:
    """Residents' full phone numbers in lists and downloads: the township admin only.

    Lists travel (printed, e-mailed for the monthly meeting); the admin is the one
    accountable for the township's data (docs/security.md). Staff see masked numbers, except
    in the verification call list, where dialling is the job (ADR 0023)."""
    return user.role == ROLE_ADMIN


def shown_phone(phone: str | None, full: bool) -> str | None:
    """A phone number as this person may see it."""
    return phone if full else mask_phone(phone)


def phones_of(session: Session, resident_ids: Iterable) -> dict:
    """{resident_id: phone} for the residents named (one query)."""
    ids = {as_uuid(i) for i in resident_ids if i}
    ids.discard(None)
    if not ids:
        return {}
    return dict(session.execute(select(Resident.id, Resident.phone)
                                .where(Resident.id.in_(ids))).all())


def as_uuid(value) -> uuid.UUID | None:
    """A UUID from a UUID or its text (ids from SQL over subqueries can be text); else None."""
    if value is None or isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def doctor_village_ids(session: Session, doctor_id: int) -> set[int]:
    """The villages a doctor serves."""
    return set(session.scalars(select(doctor_villages.c.village_id)
                               .where(doctor_villages.c.user_id == doctor_id)))


def _flag_ids(session: Session, township_id: int, check: str, dismissed: bool,
              village_id: int | None, doctor_id: int | None, kind: str | None) -> list[int]:
    """The ids of one check's findings as filtered, in the list's order (by village,
    resident's name, service date): cheap to read whole, so a page reads only its rows."""
    q, r, sr = QualityFlag, Resident, ServiceRecord.__table__.c
    stmt = (select(q.id).outerjoin(r, r.id == q.resident_id)
            .where(q.township_id == township_id, q.check == check,
                   q.dismissal_id.is_not(None) if dismissed else q.dismissal_id.is_(None))
            .order_by(q.village_id, r.name, q.service_date, q.id))
    if village_id is not None:
        stmt = stmt.where(q.village_id == village_id)
    if doctor_id is not None:
        stmt = stmt.where(q.doctor_id == doctor_id)
    if kind:
        stmt = stmt.join(ServiceRecord.__table__, sr.id == q.record_id).where(sr.kind == kind)
    return list(session.scalars(stmt))


def quality_rows(session: Session, township_id: int, check: str, dismissed: bool = False,
                 village_id: int | None = None, doctor_id: int | None = None,
                 kind: str | None = None, ids: list[int] | None = None) -> list[dict]:
    """One check's findings as filtered (or the `ids` of one page), in the list's order;
    each with the record's kind and, for a record about no one resident (a household visit,
    an education activity), what it is about (`subject`): never a bare "—"."""
    if ids is None:
        ids = _flag_ids(session, township_id, check, dismissed, village_id, doctor_id, kind)
    if not ids:
        return []
    order = {flag_id: n for n, flag_id in enumerate(ids)}
    # A long list's ids go in chunks: one IN (...) of thousands is refused by some drivers.
    rows = [row for start in range(0, len(ids), 900)
            for row in read.quality_list(session, township_id, check, dismissed, limit=None,
                                         flag_ids=ids[start:start + 900])]
    rows.sort(key=lambda row: order[row["id"]])
    records = _records([r["record_id"] for r in rows if r["record_id"]], session)
    for row in rows:
        rec = records.get(row["record_id"])
        row["kind"] = rec["kind"] if rec else None
        row["subject"] = rec["subject"] if rec else None
    return rows


def quality_page(session: Session, township_id: int, check: str, dismissed: bool,
                 village_id: int | None, doctor_id: int | None, kind: str | None,
                 number: int | None) -> Page:
    """One page of a check's findings: the ids of all, the rows of this page only."""
    ids = _flag_ids(session, township_id, check, dismissed, village_id, doctor_id, kind)
    page = page_of(ids, number)
    page.rows = quality_rows(session, township_id, check, dismissed, ids=page.rows) \
        if page.rows else []
    return page


def _records(ids: list, session: Session) -> dict:
    """{record_id: {kind, subject}}: the household or the activity a record without a
    resident is about."""
    sr, hh, edu = ServiceRecord, Household, EducationActivity.__table__.c
    ids = list(set(ids))
    rows = [row for start in range(0, len(ids), 900) for row in session.execute(
        select(sr.id, sr.kind, sr.resident_id, hh.address, hh.head_name, edu.topic, edu.place)
        .outerjoin(hh, hh.id == sr.household_id)
        .outerjoin(EducationActivity.__table__, edu.id == sr.id)
        .where(sr.id.in_(ids[start:start + 900])))]
    out = {}
    for rid, kind, resident_id, address, head, topic, place in rows:
        if resident_id is not None:
            subject = None
        elif topic:
            subject = f"{topic} · {place}" if place else topic
        else:
            subject = " · ".join(p for p in (address, head) if p) or None
        out[rid] = {"kind": kind, "subject": subject}
    return out


def _overdue_select(session: Session, township_id: int, village_id: int | None,
                    doctor_id: int | None, condition: str | None, reason: str | None):
    """The nightly overdue list with names, filtered (a doctor: the villages they serve),
    in its order: village, due date, name."""
    o, r = OverduePatient, Resident
    stmt = (select(o.condition, o.reason, o.last_visit_on, o.due_on, o.village_id,
                   o.resident_id, r.name, r.birth_date).join(r, r.id == o.resident_id)
            .where(o.township_id == township_id)
            .order_by(o.village_id, o.due_on, r.name, o.id))
    if village_id is not None:
        stmt = stmt.where(o.village_id == village_id)
    if doctor_id is not None:
        stmt = stmt.where(o.village_id.in_(doctor_village_ids(session, doctor_id)))
    if condition:
        stmt = stmt.where(o.condition == condition)
    if reason:
        stmt = stmt.where(o.reason == reason)
    return stmt


def overdue_rows(session: Session, township_id: int, village_id: int | None = None,
                 doctor_id: int | None = None, condition: str | None = None,
                 reason: str | None = None) -> list[dict]:
    """The whole overdue list, filtered."""
    stmt = _overdue_select(session, township_id, village_id, doctor_id, condition, reason)
    return [dict(row._mapping) for row in session.execute(stmt)]


def overdue_page(session: Session, township_id: int, village_id: int | None,
                 doctor_id: int | None, condition: str | None, reason: str | None,
                 number: int | None) -> Page:
    """One page of the overdue list, counted and cut by the database."""
    stmt = _overdue_select(session, township_id, village_id, doctor_id, condition, reason)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    pages = max(1, math.ceil(total / PAGE_SIZE))
    number = min(max(number or 1, 1), pages)
    rows = [dict(row._mapping) for row in session.execute(
        stmt.offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE))]
    return Page(rows, total, number, pages, PAGE_SIZE)


def drill_rows(session: Session, township_id: int, period: str, indicator: str,
               village_id: int | None = None, doctor_id: int | None = None,
               missing_only: bool = False, reason: str | None = None) -> list[dict]:
    """Every unit behind one figure, filtered by why it was not counted."""
    rows = read.drill(session, township_id, period, indicator, village_id, doctor_id,
                      missing_only=missing_only, limit=None)
    return [r for r in rows if not reason or r.get("reason") == reason]


def dose_rows(session: Session, township_id: int, period: str, vaccine: str, dose_no: int,
              village_id: int | None = None, missing_only: bool = False) -> list[dict]:
    """Every child a dose was due for (or only those missing it)."""
    rows = vaccines.drill(session, township_id, period, vaccine, dose_no, village_id,
                          limit=None)
    return [r for r in rows if not missing_only or not r["num"]]


def counted(rows: list[dict]) -> tuple[int, int]:
    """(counted, not counted) over a whole list, never over one page."""
    n_in = sum(1 for r in rows if r.get("num"))
    return n_in, len(rows) - n_in
