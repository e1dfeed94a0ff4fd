"""The sync log: every committed change, numbered in commit order.

`sync_changes` is both what phones pull (by `seq`, never by time) and the history of every
version of every household, resident and record. See docs/sync-protocol.md and
docs/adr/0005-sync-cursor.md.
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base

ENTITIES = ("household", "resident", "record")


class SyncCounter(Base):
    """One row holding the last seq handed out. Updating it takes a row lock that is held
    until commit, so seqs are handed out in commit order on PostgreSQL as on SQLite."""

    __tablename__ = "sync_counter"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
    # Tombstones and evictions at or below this seq have been purged: a device whose
    # cursor is older must re-initialise.
    purged_through: Mapped[int] = mapped_column(BigInteger, default=0)


class SyncChange(Base):
    """One committed change of one entity, as seen from one village.

    A move between villages is two rows: an `evict` in the old village and an `upsert` in
    the new one. A later row of the same entity in the same village supersedes the earlier
    one for pulling (only the latest state travels), but both stay as history.
    """

    __tablename__ = "sync_changes"
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[uuid.UUID]
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"))
    op: Mapped[str] = mapped_column(String(10))  # upsert | delete | evict
    version: Mapped[int]
    payload: Mapped[str] = mapped_column(Text)  # the entity's JSON after this change
    superseded: Mapped[bool] = mapped_column(default=False)
    # Where it came from: the phone's op (NULL for server-side changes and evictions).
    # The op that made it; for an accepted record op this row is also its receipt.
    op_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    device_counter: Mapped[int | None] = mapped_column(BigInteger)
    base_version: Mapped[int | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(12))  # accepted | merged | conflict | server
    committed_at: Mapped[dt.datetime]
    __table_args__ = (
        Index("ix_sync_changes_village_seq", "village_id", "seq"),
        Index("ix_sync_changes_entity", "entity_id", "village_id", "seq"),
    )


class SyncReceipt(Base):
    """The answer given to a pushed op, kept so a re-sent op gets exactly the same answer."""

    __tablename__ = "sync_receipts"
    op_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    status: Mapped[str] = mapped_column(String(12))
    result: Mapped[str] = mapped_column(Text)  # the JSON result, returned verbatim on replay
    received_at: Mapped[dt.datetime]


class SyncConflict(Base):
    """A field changed on both sides: the kept value, the value that lost, for review."""

    __tablename__ = "sync_conflicts"
    id: Mapped[int] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    entity_id: Mapped[uuid.UUID] = mapped_column(index=True)
    field: Mapped[str] = mapped_column(String(60))
    kept_value: Mapped[dict | None]  # {"value": ...}
    lost_value: Mapped[dict | None]
    base_version: Mapped[int]
    seq: Mapped[int | None] = mapped_column(BigInteger)  # NULL: nothing else changed
    op_id: Mapped[uuid.UUID]
    device_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("devices.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    created_at: Mapped[dt.datetime]
    reviewed_at: Mapped[dt.datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolution: Mapped[str | None] = mapped_column(String(200))
