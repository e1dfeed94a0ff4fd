"""Linking a card to a resident, and the small card helpers the card service shares.

Apart from `server/cards/service.py` so that registering a resident with a scanned card
(`server/services/people.py`) can link it without importing the card service, which
itself reads residents through the people service: no import loop, no late import.
"""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import Resident, ResidentCard, User, Village
from server.problems import ApiError


def card_error(status: int, code: str, message: str) -> ApiError:
    """A card problem as a field error on `card_code` (422), or a conflict (409)."""
    return ApiError(status, "validation_failed" if status == 422 else "conflict",
                    {"card_code": [{"code": code, "message": message}]})


def township_of(session: Session, village_id: int) -> int:
    """The township a village belongs to."""
    return session.get(Village, village_id).township_id


def active_card(resident: Resident) -> ResidentCard | None:
    """The resident's card that works now, if any."""
    return next((c for c in resident.cards if c.status == "active"), None)


def revoke_card(card: ResidentCard, user: User, reason: str) -> None:
    """Stop a card working, saying who and why."""
    card.status = "revoked"
    card.revoked_at = now_utc()
    card.revoked_by_id = user.id
    card.revoke_reason = reason


def flush_cards(session: Session) -> None:
    """Flush; the unique rules (one code, one active card per resident) become a 409."""
    try:
        session.flush()
    except IntegrityError:
        raise card_error(409, "card_taken", "此卡已绑定给其他居民，请换一张空白卡") from None


def link(session: Session, user: User, resident: Resident, code: str,
         device_id: uuid.UUID | None = None) -> ResidentCard:
    """Link a scanned blank card to `resident` (the caller publishes the resident).

    The resident's own active card is a no-op; a blank card of the resident's township
    becomes theirs and their previous card stops working; anything else is refused with a
    field error, so two residents never hold the same code.
    """
    card = session.scalar(select(ResidentCard).where(ResidentCard.code == code))
    township = township_of(session, resident.village_id)
    if card is None or card.township_id != township:
        raise card_error(422, "card_unknown", "此卡不是本乡镇发放的居民卡，请换一张空白卡")
    if card.status == "active" and card.resident_id == resident.id:
        return card
    if card.status == "active":
        raise card_error(409, "card_taken", "此卡已绑定给其他居民，请换一张空白卡")
    if card.status == "revoked":
        raise card_error(422, "card_revoked", "此卡已挂失作废，不能再绑定，请换一张空白卡")
    old = active_card(resident)
    if old is not None:
        revoke_card(old, user, "replaced")
        session.flush()
    card.status = "active"
    card.resident = resident
    card.issued_at = now_utc()
    card.issued_by_id = user.id
    card.issued_device_id = device_id
    flush_cards(session)
    return card
