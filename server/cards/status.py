"""Where a township's cards stand, per village and per resident (Flask-free reads for the
township's cards pages, docs/adr/0034-township-cards-pages.md).

Counted residents are those `service.issue_missing` would give a card to: in the village,
not deleted, status active (moved-out and deceased residents need no card).
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Household, Resident, ResidentCard, Village

CST = dt.timezone(dt.timedelta(hours=8))  # issue days are China's calendar days
PAGE_SIZE = 100  # residents on one page of a village's list (each row carries its forms)


def _counted(*columns, township_id: int):
    """The township's counted residents (in any village), selecting `columns`."""
    return select(*columns).select_from(Resident) \
        .join(Village, Village.id == Resident.village_id).where(
        Village.township_id == township_id, Resident.deleted_at.is_(None),
        Resident.status == "active")


def stale(session: Session, township_id: int, village_id: int | None = None
          ) -> list[dict[str, Any]]:
    """Active cards of residents who are no longer counted (died, moved out, lost to
    follow-up): the card still opens their record at a door, so the township revokes it.
    Newest status first; personal data is the caller's to mask."""
    stmt = select(ResidentCard, Resident.name, Resident.status, Resident.village_id) \
        .join(Resident, Resident.id == ResidentCard.resident_id) \
        .join(Village, Village.id == Resident.village_id) \
        .where(Village.township_id == township_id, ResidentCard.status == "active",
               Resident.deleted_at.is_(None), Resident.status != "active") \
        .order_by(Resident.village_id, Resident.name)
    if village_id is not None:
        stmt = stmt.where(Resident.village_id == village_id)
    return [{"card": card, "name": name, "status": state, "village_id": vid}
            for card, name, state, vid in session.execute(stmt)]


def villages(session: Session, township_id: int) -> list[dict[str, Any]]:
    """Each village of the township: residents, with an active card, without one (and of
    those, whose last card was revoked and not replaced), revoked cards, and active cards
    still held by residents who died or moved out (`stale`)."""
    counted = _counted(Resident.id, Resident.village_id, township_id=township_id).subquery()
    residents = dict(session.execute(select(counted.c.village_id, func.count())
                                     .group_by(counted.c.village_id)).all())
    cards = session.execute(
        select(counted.c.village_id, ResidentCard.status, ResidentCard.resident_id)
        .join(ResidentCard, ResidentCard.resident_id == counted.c.id)
        .where(ResidentCard.status.in_(("active", "revoked")))).all()
    active, revoked = Counter(), Counter()
    holders, lost = set(), defaultdict(set)
    for village_id, status, resident_id in cards:
        if status == "active":
            active[village_id] += 1
            holders.add(resident_id)
        else:
            revoked[village_id] += 1
            lost[village_id].add(resident_id)
    rows = session.execute(select(Village.id, Village.name).where(
        Village.township_id == township_id).order_by(Village.code)).all()
    held = Counter(s["village_id"] for s in stale(session, township_id))
    return [{"id": vid, "name": name, "residents": residents.get(vid, 0),
             "active": active[vid], "none": residents.get(vid, 0) - active[vid],
             "lost_unreplaced": len(lost[vid] - holders), "revoked": revoked[vid],
             "stale": held[vid]}
            for vid, name in rows]


def residents(session: Session, township_id: int, village_id: int, *,
              status: str | None = None, name: str | None = None) -> list[dict[str, Any]]:
    """A village's counted residents with their card status, in household order.

    `status` keeps only 'active' (holds a card), 'none' (holds none) or 'revoked' (holds
    none, and had one revoked: lost and not replaced); `name` keeps names containing it.
    Personal data is the caller's to mask.
    """
    stmt = _counted(Resident, Household.group_no, Household.house_no,
                    township_id=township_id) \
        .outerjoin(Household, Household.id == Resident.household_id) \
        .where(Resident.village_id == village_id) \
        .order_by(Household.group_no, Household.house_no, Resident.household_id, Resident.name)
    if name:
        stmt = stmt.where(Resident.name.contains(name, autoescape=True))
    out = []
    for resident, group_no, house_no in session.execute(stmt):
        active = next((c for c in resident.cards if c.status == "active"), None)
        revoked = [c for c in resident.cards if c.status == "revoked"]
        state = "active" if active else "revoked" if revoked else "none"
        if status is not None and status != state and not (status == "none" and not active):
            continue
        out.append({"id": resident.id, "name": resident.name, "sex": resident.sex,
                    "birth_date": resident.birth_date, "national_id": resident.national_id,
                    "group_no": group_no, "house_no": house_no, "state": state,
                    "card": active, "revoked": revoked[-1] if revoked else None,
                    "revoked_count": len(revoked)})
    return out


def issue_days(session: Session, village_id: int) -> list[tuple[dt.date, int]]:
    """The days (China time) the village's active cards were issued on, newest first, with
    how many: what the township picks to print "the newly issued"."""
    stamps = session.scalars(select(ResidentCard.issued_at).join(
        Resident, Resident.id == ResidentCard.resident_id).where(
        Resident.village_id == village_id, Resident.deleted_at.is_(None),
        ResidentCard.status == "active")).all()
    days = Counter(_as_utc(s).astimezone(CST).date() for s in stamps if s is not None)
    return sorted(days.items(), reverse=True)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """A China calendar day as a UTC interval [start, end)."""
    start = dt.datetime.combine(day, dt.time(), CST).astimezone(dt.UTC)
    return start, start + dt.timedelta(days=1)


def blank_batches(session: Session, township_id: int, limit: int = 10) -> list[dict]:
    """The township's batches that still have blank cards, newest first."""
    rows = session.execute(
        select(ResidentCard.batch, func.count(), func.min(ResidentCard.created_at))
        .where(ResidentCard.township_id == township_id, ResidentCard.status == "blank",
               ResidentCard.batch.is_not(None))
        .group_by(ResidentCard.batch).order_by(func.min(ResidentCard.created_at).desc(),
                                               ResidentCard.batch)
        .limit(limit)).all()
    return [{"batch": b, "count": n, "created_at": _as_utc(at)} for b, n, at in rows]


def resident_village(session: Session, resident_id: uuid.UUID) -> int | None:
    """The village of a resident (for redirecting back), or None."""
    return session.scalar(select(Resident.village_id).where(Resident.id == resident_id))


def _as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive UTC datetimes back; PostgreSQL aware ones."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
