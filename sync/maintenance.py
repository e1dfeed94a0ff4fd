"""Keeping the sync log small: tombstones and evictions are purged after a horizon.

Upserts are never purged: they are the history of every version (the audit trail).
Deletions and evictions only matter to devices that still hold the entity; after the
horizon (default 180 days) they are removed, and `purged_through` tells a device whose
cursor is older that it must re-initialise, once: a fresh copy is not reset by purges of
tombstones older than itself (docs/adr/0049-reset-once.md).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import SyncChange, SyncCounter

HORIZON_DAYS = 180


def purge_tombstones(session: Session, horizon_days: int = HORIZON_DAYS,
                     now: dt.datetime | None = None) -> int:
    """Delete delete/evict rows older than the horizon; return how many. The caller commits."""
    cutoff = (now or now_utc()) - dt.timedelta(days=horizon_days)
    old = (SyncChange.op.in_(("delete", "evict")), SyncChange.committed_at < cutoff)
    last = session.scalar(select(func.max(SyncChange.seq)).where(*old))
    if last is None:
        return 0
    # Take the counter lock like any writer, so the horizon moves in step with the log.
    session.execute(update(SyncCounter).where(SyncCounter.id == 1)
                    .where(SyncCounter.purged_through < last).values(purged_through=last))
    return session.execute(delete(SyncChange).where(*old, SyncChange.seq <= last)).rowcount

