"""Helpers for tests of purged tombstones: age them, purge, compare a phone with the server."""
from __future__ import annotations

import datetime as dt

from records_factory import record_body
from sqlalchemy import select, update

from core.models import ServiceRecord, SyncChange, SyncCounter
from server.extensions import db
from sync.maintenance import purge_tombstones


def age_tombstones(app, days: int = 200, through: int | None = None) -> None:
    """Make the delete/evict rows logged so far (up to seq `through`) look `days` old, as
    if logged back then."""
    with app.app_context():
        then = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
        old = [SyncChange.op.in_(("delete", "evict"))]
        if through is not None:
            old.append(SyncChange.seq <= through)
        db.session.execute(update(SyncChange).where(*old).values(committed_at=then))
        db.session.commit()


def logged_through(app) -> int:
    """The last seq handed out."""
    with app.app_context():
        return db.session.scalar(select(SyncCounter.value))


def purge(app, now: dt.datetime | None = None) -> int:
    """Run the purge as the worker does (180-day horizon); return `purged_through`."""
    with app.app_context():
        purge_tombstones(db.session, now=now)
        db.session.commit()
        return db.session.scalar(select(SyncCounter.purged_through))


def live_records(app, village_id: int) -> set[str]:
    """Ids of the records of a village the server holds and has not voided."""
    with app.app_context():
        return {str(i) for i in db.session.scalars(
            select(ServiceRecord.id).where(ServiceRecord.village_id == village_id,
                                           ServiceRecord.deleted_at.is_(None)))}


def author(phone, town, n: int, voids: int = 0) -> list[str]:
    """`phone` makes n records and voids the first `voids` of them (synced); returns the
    ids of the records left."""
    ids = [phone.create("record", record_body(town, sbp=120 + i % 60)) for i in range(n)]
    phone.sync()
    for rec in ids[:voids]:
        phone.void(rec)
    phone.sync()
    return ids[voids:]


def recording(phone) -> list[dict]:
    """Every response `phone` stores from now on, in order."""
    seen: list[dict] = []
    store = phone.apply_response

    def keep(response):
        seen.append(response)
        store(response)
    phone.apply_response = keep
    return seen
