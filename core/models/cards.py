"""QR patient cards (居民健康卡): an opaque code on the card, never personal data.

A card is made blank (pre-printed in batches) or issued straight to a resident; a blank
card becomes active when it is linked to a resident (at the township, or at the door by a
doctor's phone through sync); a lost card is revoked and never works again. A resident
holds at most one active card, and a code belongs to one card forever
(docs/adr/0031-card-lifecycle.md).
"""
from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from core.clock import now_utc
from core.models.base import Base
from core.models.people import Resident

CARD_STATUSES = ("blank", "active", "revoked")
REVOKE_REASONS = ("lost", "replaced", "damaged", "other")


class ResidentCard(Base):
    """One printed card: its QR code, its typed fallback, and whose it is."""

    __tablename__ = "resident_cards"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(22), unique=True)  # in the QR
    fallback: Mapped[str] = mapped_column(String(9), unique=True)  # printed under it
    status: Mapped[str] = mapped_column(String(10), default="blank")
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    resident_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("residents.id"),
                                                          index=True)
    batch: Mapped[str | None] = mapped_column(String(32), index=True)  # a printed blank batch
    created_at: Mapped[dt.datetime] = mapped_column(default=now_utc)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[dt.datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_device_id: Mapped[uuid.UUID | None]  # set when linked at the door by a phone
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(20))
    # selectin: residents are serialised in bulk (sync backfill, lists), one query per batch.
    resident: Mapped[Resident | None] = relationship(
        backref=backref("cards", lazy="selectin", order_by="ResidentCard.id"))
    __table_args__ = (
        # At most one active card per resident, enforced by the database on both engines.
        Index("uq_resident_cards_one_active", "resident_id", unique=True,
              sqlite_where=text("status = 'active'"),
              postgresql_where=text("status = 'active'")),
    )
