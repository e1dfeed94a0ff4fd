"""The township's card pages: where each village stands, a village's residents with their
card, and the forms that issue, revoke, reissue, make blanks and print
(docs/adr/0034-township-cards-pages.md).

The card rules and their audit trail are server/cards/service.py's (the same as the JSON
API's); this module adds the pages and the Chinese refusals. Names are searched by
POST, so no personal data lands in a URL; a refusal is a flashed message and a redirect.
"""
from __future__ import annotations

import datetime as dt
import uuid

from flask import Response, abort, flash, g, redirect, render_template, request, url_for

from core.models import Resident, Village
from core.models.cards import REVOKE_REASONS
from server.api.cards import sheet_pdf
from server.cards import service, status
from server.extensions import db
from server.numbers import form_id, whole
from server.problems import ApiError
from server.services import audit
from server.township.i18n import word
from server.township.web import bp

NOTE_MAX = 200
FILTERS = ("active", "none", "revoked")


def _village(village_id: int) -> Village:
    """A village of the user's township, or 404."""
    village = db.session.get(Village, village_id)
    if village is None or village.township_id != g.user.township_id:
        abort(404)
    return village


def _refuse(key: str, village_id: int | None = None):
    """Say why in Chinese (or English) and go back to the page the form was on."""
    flash(word(key, g.lang), "error")
    if village_id is None:
        return redirect(url_for("township.cards_page"), 303)
    return redirect(url_for("township.village_cards", village_id=village_id), 303)


def _reason_and_note() -> tuple[str | None, str | None, str | None]:
    """The form's revoke reason and note, or the key of what is wrong with them."""
    reason = request.form.get("reason", "")
    note = request.form.get("note", "").strip() or None
    if reason not in REVOKE_REASONS:
        return None, None, "card_no_reason"
    if note and len(note) > NOTE_MAX:
        return None, None, "card_note_long"
    return reason, note, None


@bp.get("/cards")
def cards_page():
    """Each village's card figures, blank batches, and the log of card actions."""
    tid = g.user.township_id
    return render_template(
        "township/cards.html", villages=status.villages(db.session, tid),
        batches=status.blank_batches(db.session, tid), max_batch=service.MAX_BATCH,
        changes=_named(audit.admin_changes(db.session, tid, service.SUBJECT_PREFIX, 20)))


def _village_page(village: Village, name: str | None = None):
    shown = request.args.get("status")
    shown = shown if shown in FILTERS else None
    summary = next(v for v in status.villages(db.session, g.user.township_id)
                   if v["id"] == village.id)
    rows = status.residents(db.session, g.user.township_id, village.id, status=shown,
                            name=name)
    # Pages of the list in household order; a search shows its first page only (its
    # name stays out of URLs, so there are no links to the next).
    pages = max(1, -(-len(rows) // status.PAGE_SIZE))
    page = 1 if name else min(_page_number(request.args.get("page")), pages)
    first = (page - 1) * status.PAGE_SIZE
    return render_template(
        "township/village_cards.html", village=village, summary=summary, shown=shown,
        rows=rows[first:first + status.PAGE_SIZE], total=len(rows), first=first,
        page=page, pages=pages, name=name or "",
        stale=status.stale(db.session, g.user.township_id, village.id),
        days=status.issue_days(db.session, village.id), reasons=REVOKE_REASONS,
        changes=_named(audit.admin_changes(db.session, g.user.township_id,
                                           service.village_subject(village.id), 10)))


def _page_number(text: str | None) -> int:
    """?page= as a page number from 1; anything else (missing, not a number) is 1."""
    page = whole(text)
    return page if page is not None and 0 < page < 100_000 else 1


def _named(changes: list[dict]) -> list[dict]:
    """Logged card actions with the resident's name (the log keeps only the id)."""
    ids = {uuid.UUID(c["subject"].rsplit(":", 1)[1]) for c in changes
           if ":resident:" in c["subject"]}
    names = dict(db.session.execute(db.select(Resident.id, Resident.name)
                                    .where(Resident.id.in_(ids))).all()) if ids else {}
    for c in changes:
        rid = c["subject"].rsplit(":", 1)[1]
        c["name"] = names.get(uuid.UUID(rid)) if ":resident:" in c["subject"] else None
    return changes


@bp.get("/cards/villages/<int:village_id>")
def village_cards(village_id: int):
    """One village: its figures, its residents' cards (?status= filters), the actions."""
    return _village_page(_village(village_id))


@bp.post("/cards/villages/<int:village_id>/search")
def search_village_cards(village_id: int):
    """The same page narrowed to names containing what was typed (a POST: no names in URLs)."""
    return _village_page(_village(village_id), request.form.get("name", "").strip()[:50])


@bp.post("/cards/villages/<int:village_id>/issue")
def issue_village_cards(village_id: int):
    """Issue a card to everyone of the village who has none (audited)."""
    village = _village(village_id)
    issued = service.issue_missing(db.session, g.user, village.id)
    if not issued:
        return _refuse("card_none_missing", village.id)
    db.session.commit()
    flash(f"{word('card_issued_n', g.lang)} {issued}")
    return redirect(url_for("township.village_cards", village_id=village.id), 303)


@bp.post("/cards/residents/<uuid:resident_id>/issue")
def issue_resident_card(resident_id: uuid.UUID):
    """Issue a resident's first card, or revoke their card with a reason and issue a
    replacement (audited)."""
    resident = db.session.get(Resident, resident_id)
    if resident is None or resident.deleted_at is not None:
        abort(404)
    _village(resident.village_id)
    if resident.status != "active":
        return _refuse("card_not_active", resident.village_id)
    old = next((c for c in resident.cards if c.status == "active"), None)
    reason, note = "lost", None
    if old is not None:
        reason, note, wrong = _reason_and_note()
        if wrong:
            return _refuse(wrong, resident.village_id)
    service.issue(db.session, g.user, resident.id, reason, note)
    db.session.commit()
    flash(word("card_reissued" if old else "card_issued_one", g.lang))
    return redirect(url_for("township.village_cards", village_id=resident.village_id), 303)


@bp.post("/cards/<int:card_id>/revoke")
def revoke_card(card_id: int):
    """Revoke a card with a reason and no replacement (moved away, spoiled; audited)."""
    try:
        card = service.get_card(db.session, g.user, card_id)
    except ApiError:
        abort(404)
    village_id = card.resident.village_id if card.resident else None
    if card.status == "revoked":
        return _refuse("card_already_revoked", village_id)
    reason, note, wrong = _reason_and_note()
    if wrong:
        return _refuse(wrong, village_id)
    try:
        service.revoke(db.session, g.user, card.id, reason, note)
    except ApiError:  # the card's resident was deleted since the page was loaded
        abort(404)
    db.session.commit()
    flash(word("card_revoked_one", g.lang))
    if village_id is None:
        return redirect(url_for("township.cards_page"), 303)
    return redirect(url_for("township.village_cards", village_id=village_id), 303)


@bp.post("/cards/blank")
def make_blank_cards():
    """A batch of blank cards for doctors to link at the door (audited)."""
    count = whole(request.form.get("count", "").strip())
    if count is None or not 1 <= count <= service.MAX_BATCH:
        return _refuse("card_blank_count")
    batch, cards = service.make_blank(db.session, g.user, count)
    db.session.commit()
    flash(f"{word('card_blank_made', g.lang)} {len(cards)}")
    return redirect(url_for("township.cards_page"), 303)


@bp.post("/cards/print")
def print_cards():
    """The A4 sheet of a chosen set: a village's cards (all, those issued on a day, or the
    ticked ones) or a blank batch. The print is audited: the sheet carries names."""
    form = request.form
    kind = form.get("set", "")
    if kind == "batch":
        batch = form.get("batch", "")
        rows = service.cards_for_print(db.session, g.user, batch=batch) if batch else []
        if not rows:
            return _refuse("card_nothing_to_print")
        detail, village_id = {"set": "batch"}, None
    else:
        batch, village_id = None, form_id(form.get("village_id", ""))
        if village_id is None:
            abort(404)
        _village(village_id)
        narrow: dict = {}
        detail = {"set": kind}
        if kind == "day":
            try:
                day = dt.date.fromisoformat(form.get("day", ""))
            except ValueError:
                return _refuse("card_nothing_to_print", village_id)
            narrow["issued_between"] = status.day_bounds(day)
            detail["day"] = day.isoformat()
        elif kind == "chosen":
            ids = [i for i in map(form_id, form.getlist("card_id")) if i is not None]
            if not ids:
                return _refuse("card_none_chosen", village_id)
            narrow["card_ids"] = ids
        elif kind != "all":
            abort(400)
        rows = service.cards_for_print(db.session, g.user, village_id=village_id, **narrow)
        if not rows:
            return _refuse("card_nothing_to_print", village_id)
    pdf = sheet_pdf(rows, village_id=village_id, blank=kind == "batch")
    service.record_print(db.session, g.user, rows, detail, village_id=village_id, batch=batch)
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Cache-Control": "no-store", "Content-Disposition": "inline; filename=cards.pdf"})

