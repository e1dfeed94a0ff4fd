"""QR cards over HTTP: the township issues, revokes and prints; anyone signed in looks up.
The card service (server/cards/service.py) audits each change it makes.

Codes travel in request bodies, never in URLs (URLs end up in logs); cards are named in
URLs by their integer id only.
"""
from __future__ import annotations

import uuid

from flask import Blueprint, Response, g, jsonify, request

from core.models import ResidentCard, Township, Village
from core.models.cards import REVOKE_REASONS
from core.serialize import jsonable
from server.api.common import load
from server.auth.current import login_required, staff_required
from server.cards import render, service
from server.extensions import db
from server.numbers import form_id
from server.problems import ApiError
from server.schemas.base import ApiSchema, Choice, Int, Str
from server.services import people

bp = Blueprint("cards", __name__, url_prefix="/api")


class LookupSchema(ApiSchema):
    """A scanned QR code or a typed fallback code."""

    code = Str(max_len=40, min_len=1, required=True)


class IssueSchema(ApiSchema):
    """Why the resident's current card (if any) is replaced."""

    reason = Choice(REVOKE_REASONS, load_default="lost")


class RevokeSchema(ApiSchema):
    """Why a card stops working."""

    reason = Choice(REVOKE_REASONS, required=True)


class BlankSchema(ApiSchema):
    """How many blank cards to pre-print."""

    count = Int(lo=1, hi=service.MAX_BATCH, required=True)


def card_dict(card: ResidentCard) -> dict:
    """A card for township staff."""
    return {k: jsonable(getattr(card, k)) for k in (
        "id", "code", "fallback", "status", "resident_id", "batch", "issued_at",
        "issued_by_id", "issued_device_id", "revoked_at", "revoke_reason")}


@bp.post("/cards/lookup")
@login_required
def lookup():
    """What a scanned or typed code is (the phone asks when its own copy does not know)."""
    return jsonify(service.lookup(db.session, g.user, load(LookupSchema())["code"]))


@bp.post("/residents/<uuid:resident_id>/card")
@staff_required
def issue(resident_id: uuid.UUID):
    """Issue a card to a resident, or reissue one (the old card stops working)."""
    reason = load(IssueSchema())["reason"]
    card = service.issue(db.session, g.user, resident_id, reason)  # audited there
    db.session.commit()
    return jsonify(card_dict(card)), 201


@bp.get("/residents/<uuid:resident_id>/cards")
@staff_required
def resident_cards(resident_id: uuid.UUID):
    """Every card a resident has had, newest first."""
    resident = people.get_resident(db.session, g.user, resident_id)
    return jsonify([card_dict(c) for c in reversed(resident.cards)])


@bp.post("/cards/<int:card_id>/revoke")
@staff_required
def revoke(card_id: int):
    """Revoke a lost or damaged card."""
    reason = load(RevokeSchema())["reason"]
    card = service.revoke(db.session, g.user, card_id, reason)  # audited there
    db.session.commit()
    return jsonify(card_dict(card))


@bp.post("/cards/blank")
@staff_required
def blank():
    """A batch of blank cards to pre-print and link at the door."""
    batch, cards = service.make_blank(db.session, g.user, load(BlankSchema())["count"])
    db.session.commit()
    return jsonify({"batch": batch, "cards": [card_dict(c) for c in cards]}), 201


@bp.post("/villages/<int:village_id>/cards")
@staff_required
def issue_missing(village_id: int):
    """Issue a card to every resident of the village who has none."""
    issued = service.issue_missing(db.session, g.user, village_id)
    db.session.commit()
    return jsonify({"issued": issued})


@bp.get("/cards/<int:card_id>.png")
@staff_required
def card_png(card_id: int):
    """One card as PNG."""
    card = service.get_card(db.session, g.user, card_id)
    return Response(render.card_png(card.code, card.fallback), mimetype="image/png",
                    headers={"Cache-Control": "no-store"})


@bp.get("/cards/<int:card_id>.svg")
@staff_required
def card_svg(card_id: int):
    """One card as SVG."""
    card = service.get_card(db.session, g.user, card_id)
    return Response(render.card_svg(card.code, card.fallback), mimetype="image/svg+xml",
                    headers={"Cache-Control": "no-store"})


@bp.get("/cards/sheet.pdf")
@staff_required
def sheet():
    """An A4 sheet to print: ?village_id=, ?household_id= or ?batch= (blank cards)."""
    args = request.args
    village_id = form_id(args["village_id"]) if "village_id" in args else None
    if "village_id" in args and village_id is None:
        raise ApiError(400, "bad_request")
    try:
        household_id = uuid.UUID(args["household_id"]) if "household_id" in args else None
    except ValueError:
        raise ApiError(400, "bad_request") from None
    batch = args.get("batch")
    rows = service.cards_for_print(db.session, g.user, village_id=village_id,
                                   household_id=household_id, batch=batch)
    pdf = sheet_pdf(rows, village_id=village_id, blank=batch is not None)
    return Response(pdf, mimetype="application/pdf", headers={
        "Cache-Control": "no-store",
        "Content-Disposition": "inline; filename=cards.pdf"})


def sheet_pdf(rows: list, village_id: int | None = None, blank: bool = False) -> bytes:
    """The A4 sheet of `rows` ((card, resident or None) pairs) for the caller's township;
    the heading names the village, or says blank cards or a household."""
    township = db.session.get(Township, g.user.township_id)
    villages = {v.id: v.name for v in db.session.scalars(
        db.select(Village).where(Village.township_id == township.id))}
    cards = [{"code": c.code, "fallback": c.fallback, "issuer": township.health_center_name,
              "name": r.name if r else None,
              "village": _village_line(villages.get(r.village_id), r) if r else None}
             for c, r in rows]
    where = "空白卡" if blank else (villages.get(village_id) if village_id else "家庭")
    return render.sheet_pdf(cards, f"{township.health_center_name} · {where} · 居民健康卡 "
                                   f"{len(cards)} 张", "沿虚线剪下；遗失请到卫生院挂失补办。")


def _village_line(village: str | None, resident) -> str:
    household = resident.household
    group = f" {household.group_no}组" if household and household.group_no else ""
    return (village or "") + group
