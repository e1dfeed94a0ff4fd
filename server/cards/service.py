"""Issue, reissue, revoke, link and look up cards (Flask-free: sync links cards through it).

Every change of a resident's card changes what phones hold for that resident (the active
card's code and fallback, and the codes that no longer work), so it bumps the resident's
version and publishes it through the sync log like any other edit.

What township staff do to cards (issue, reissue, revoke, blank batches, prints) is audited
here, in the same transaction, like quality dismissals and settings edits: the JSON API
and the township pages write the same trail (`admin_changes`, subjects `card:…`).
"""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import changelog
from core.clock import now_utc
from core.models import Household, Resident, ResidentCard, User
from server.cards import codes
from server.cards.linking import (
    active_card,
    flush_cards,
    revoke_card,
    township_of,
)
from server.problems import ApiError
from server.services import audit, people, scope

MAX_BATCH = 500
SUBJECT_PREFIX = "card:"  # every card action's audit subject starts so


def village_subject(village_id: int | None, what: str = "") -> str:
    """The audit subject of a village's card actions (`what`: 'all', 'print', or a
    resident's part); with no `what`, the prefix all of them share."""
    return f"{SUBJECT_PREFIX}village:{village_id}:{what}"


def resident_subject(village_id: int | None, resident_id: uuid.UUID | None) -> str:
    """The audit subject of what was done to a resident's card."""
    return village_subject(village_id, f"resident:{resident_id}")


def blank_subject(batch: str | None) -> str:
    """The audit subject of a batch of blank cards."""
    return f"{SUBJECT_PREFIX}blank:{batch}"


def card_subject(card: ResidentCard) -> str:
    """A card's audit subject: its resident's, or its blank batch's."""
    village_id = card.resident.village_id if card.resident else None
    return resident_subject(village_id, card.resident_id) if village_id else \
        blank_subject(card.batch)


def _new_card(session: Session, user: User, township_id: int, **fields: Any) -> ResidentCard:
    """A card with fresh codes; a (vanishingly rare) collision just draws again."""
    for _ in range(5):
        code, fallback = codes.new_qr_code(), codes.new_fallback()
        taken = session.scalar(select(ResidentCard.id).where(
            (ResidentCard.code == code) | (ResidentCard.fallback == fallback)))
        if taken is None:
            card = ResidentCard(code=code, fallback=fallback, township_id=township_id,
                                created_by_id=user.id, created_at=now_utc(), **fields)
            session.add(card)
            return card
    raise RuntimeError("could not draw a free card code")  # 5 collisions: the RNG is broken


def _publish(session: Session, writer: changelog.Writer, user: User, resident: Resident,
             **meta: Any) -> None:
    resident.version += 1
    flush_cards(session)
    session.expire(resident, ["cards"])
    changelog.publish_resident(writer, resident, user_id=user.id, **meta)


def issue(session: Session, user: User, resident_id: uuid.UUID,
          reason: str = "lost", note: str | None = None) -> ResidentCard:
    """Give a resident a new active card; their old one (if any) stops working (`reason`).
    Audited as an issue or a reissue, with the staff's `note` if any."""
    writer = changelog.Writer(session)  # the counter lock first: writes go one at a time
    resident = people.get_resident(session, user, resident_id)
    old = active_card(resident)
    if old is not None:
        revoke_card(old, user, reason)
        session.flush()  # before the new card: the database allows one active card
    now = now_utc()
    card = _new_card(session, user, township_of(session, resident.village_id),
                     status="active", resident_id=resident.id, issued_at=now,
                     issued_by_id=user.id)
    _publish(session, writer, user, resident)
    writer.finish()
    audit.record_change(
        session, user, resident_subject(resident.village_id, resident.id),
        "reissue" if old else "issue",
        before={"card_id": old.id, "revoke_reason": reason} if old else None,
        after={"card_id": card.id}, note=note)
    return card


def revoke(session: Session, user: User, card_id: int, reason: str,
           note: str | None = None) -> ResidentCard:
    """Revoke a card (lost, damaged); a blank card can be revoked too (a spoiled print).
    Audited with the status it had, also when it was revoked already (nothing changes)."""
    writer = changelog.Writer(session)
    card = get_card(session, user, card_id)
    before = card.status
    if before != "revoked":
        revoke_card(card, user, reason)
        if before == "active":
            _publish(session, writer, user,
                     people.get_resident(session, user, card.resident_id))
        else:
            session.flush()
        writer.finish()
    audit.record_change(session, user, card_subject(card), "revoke",
                        before={"card_id": card.id, "status": before},
                        after={"card_id": card.id, "status": "revoked", "reason": reason},
                        note=note)
    return card


def make_blank(session: Session, user: User, count: int) -> tuple[str, list[ResidentCard]]:
    """A batch of blank cards to pre-print; returns (batch id, cards). Audited."""
    batch = uuid.uuid4().hex
    cards = [_new_card(session, user, user.township_id, status="blank", batch=batch)
             for _ in range(count)]
    session.flush()
    audit.record_change(session, user, blank_subject(batch), "make_blank",
                        after={"count": len(cards)})
    return batch, cards


def get_card(session: Session, user: User, card_id: int) -> ResidentCard:
    """A card of the user's township (a doctor: only cards of their villages' residents)."""
    card = session.get(ResidentCard, card_id)
    if card is None or card.township_id != user.township_id:
        raise ApiError(404, "not_found")
    if user.is_doctor and (card.resident_id is None or
                           card.resident.village_id not in scope.village_ids(session, user)):
        raise ApiError(404, "not_found")
    return card


def find(session: Session, text: str) -> ResidentCard | None:
    """The card a scanned QR code or a typed fallback names, in any township."""
    text = (text or "").strip()
    if codes.is_qr_code(text):
        return session.scalar(select(ResidentCard).where(ResidentCard.code == text))
    fallback = codes.normalise_fallback(text)
    if codes.fallback_ok(fallback):
        return session.scalar(select(ResidentCard).where(ResidentCard.fallback == fallback))
    return None


def lookup(session: Session, user: User, text: str) -> dict[str, Any]:
    """What a scanned or typed code is, for this user: never a resident outside their scope.

    status: 'active' (with resident_id), 'other_village' (someone else's resident),
    'blank' (can be linked), 'revoked', 'unknown', or 'bad_check' (a typo in the fallback).
    """
    stripped = (text or "").strip()
    if not codes.is_qr_code(stripped) and \
            not codes.fallback_ok(codes.normalise_fallback(stripped)):
        return {"status": "bad_check" if len(codes.normalise_fallback(stripped)) ==
                codes.FALLBACK_LENGTH else "unknown"}
    card = find(session, stripped)
    if card is None or card.township_id != user.township_id:
        return {"status": "unknown"}
    if card.status != "active":
        return {"status": card.status}
    if card.resident.village_id not in scope.village_ids(session, user) or \
            card.resident.deleted_at is not None:
        return {"status": "other_village"}
    return {"status": "active", "resident_id": str(card.resident_id), "card_id": card.id}


def cards_for_print(session: Session, user: User, *, village_id: int | None = None,
                    household_id: uuid.UUID | None = None, batch: str | None = None,
                    issued_between: tuple[dt.datetime, dt.datetime] | None = None,
                    card_ids: list[int] | None = None,
                    ) -> list[tuple[ResidentCard, Resident | None]]:
    """Active cards of a village's or a household's residents, or the blank cards of a
    batch, in print order (household, then name). A village's cards can be narrowed to
    those issued in [start, end) or to chosen card ids (the township's cards page)."""
    if batch is not None:
        rows = session.scalars(select(ResidentCard).where(
            ResidentCard.batch == batch, ResidentCard.township_id == user.township_id,
            ResidentCard.status == "blank").order_by(ResidentCard.id))
        return [(c, None) for c in rows]
    stmt = select(ResidentCard, Resident).join(Resident, Resident.id == ResidentCard.resident_id) \
        .where(ResidentCard.status == "active", Resident.deleted_at.is_(None))
    if household_id is not None:
        household = people.get_household(session, user, household_id)
        stmt = stmt.where(Resident.household_id == household.id)
    elif village_id is not None:
        if village_id not in scope.village_ids(session, user):
            raise ApiError(404, "not_found")
        stmt = stmt.where(Resident.village_id == village_id)
        if issued_between is not None:
            stmt = stmt.where(ResidentCard.issued_at >= issued_between[0],
                              ResidentCard.issued_at < issued_between[1])
        if card_ids is not None:
            stmt = stmt.where(ResidentCard.id.in_(card_ids))
    else:
        raise ApiError(400, "bad_request")
    stmt = stmt.outerjoin(Household, Household.id == Resident.household_id) \
        .order_by(Household.group_no, Household.house_no, Resident.household_id, Resident.name)
    return [(c, r) for c, r in session.execute(stmt)]


def issue_missing(session: Session, user: User, village_id: int) -> int:
    """Issue a card to every resident of a village who has none (before a first print);
    returns how many. Audited when there were any."""
    if village_id not in scope.village_ids(session, user):
        raise ApiError(404, "not_found")
    holders = select(ResidentCard.resident_id).where(ResidentCard.status == "active",
                                                     ResidentCard.resident_id.is_not(None))
    residents = list(session.scalars(select(Resident).where(
        Resident.village_id == village_id, Resident.deleted_at.is_(None),
        Resident.status == "active", Resident.id.not_in(holders))))
    if not residents:
        return 0
    writer = changelog.Writer(session)
    township = township_of(session, village_id)
    now = now_utc()
    for resident in residents:
        _new_card(session, user, township, status="active", resident_id=resident.id,
                  issued_at=now, issued_by_id=user.id)
    session.flush()
    for resident in residents:
        resident.version += 1
        session.expire(resident, ["cards"])
    session.flush()
    for resident in residents:
        changelog.publish_resident(writer, resident, user_id=user.id)
    writer.finish()
    audit.record_change(session, user, village_subject(village_id, "all"), "issue_missing",
                        after={"issued": len(residents)})
    return len(residents)


def record_print(session: Session, user: User, rows: list[tuple[ResidentCard, Any]],
                 detail: dict[str, Any], village_id: int | None = None,
                 batch: str | None = None) -> None:
    """Audit a printed sheet (it carries names): a blank `batch`'s, or a village's, with
    `detail` (which set was chosen) and the cards printed (the first 500 ids)."""
    subject = blank_subject(batch) if batch is not None else village_subject(village_id, "print")
    audit.record_change(session, user, subject, "print",
                        after={**detail, "count": len(rows),
                               "card_ids": [c.id for c, _ in rows][:500]})
