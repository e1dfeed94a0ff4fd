"""Lists staff act on, whole: the overdue list, quality findings, the residents behind a
figure and the children behind a dose. Each pages, filters by village, doctor, record type
and finding, and downloads as xlsx with every row; residents' full phone numbers only for
those who may see them (server/services/worklists.py, docs/adr/0064-staff-lists.md).
Also the page of one record, which findings and verification calls link to.
"""
from __future__ import annotations

import datetime as dt
import uuid

from flask import abort, g, render_template, request

from core.models import RECORD_CLASSES, ROLE_DOCTOR, Resident, User, Village
from server.extensions import db
from server.metrics.population import CST
from server.metrics.quality import CHECKS
from server.numbers import form_id, whole
from server.services import service_history, worklists
from server.township.exports import send
from server.township.i18n import word
from server.township.web import bp

CONDITIONS = ("hypertension", "diabetes")
OVERDUE_REASONS = ("never", "overdue", "uncontrolled")


@bp.app_template_filter("china_minute")
def china_minute(moment: dt.datetime | None) -> str:
    """A stored time in China time, to the minute (a naive one is UTC)."""
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(CST).strftime("%Y-%m-%d %H:%M")


def village_names() -> dict[int, str]:
    """The township's villages by id, in code order."""
    return dict(db.session.execute(db.select(Village.id, Village.name)
                                   .where(Village.township_id == g.user.township_id)
                                   .order_by(Village.code)).all())


def doctor_names() -> dict[int, str]:
    """The township's village doctors by id."""
    return dict(db.session.execute(db.select(User.id, User.full_name)
                                   .where(User.township_id == g.user.township_id,
                                          User.role == ROLE_DOCTOR).order_by(User.id)).all())


def filters(villages: dict, doctors: dict) -> dict:
    """?village=, ?doctor=, ?kind=, ?finding= and ?page=, checked: a village or doctor
    outside the township, or a kind that is not one, is a 404 (never a silent empty list)."""
    out = {"village": None, "doctor": None, "kind": None, "finding": None,
           "page": whole(request.args.get("page", "")[:6]) or 1}  # 6 digits: no huge ints
    for name, known in (("village", villages), ("doctor", doctors)):
        raw = request.args.get(name, "")
        if raw:
            # Cut first: int() of thousands of digits raises (a 500, not a 404).
            value = form_id(raw[:19])
            if value not in known:
                abort(404)
            out[name] = value
    kind = request.args.get("kind", "")
    if kind:
        if kind not in RECORD_CLASSES and kind not in CONDITIONS:
            abort(404)
        out["kind"] = kind
    out["finding"] = request.args.get("finding", "")[:40] or None
    return out


def phone_column(rows: list[dict]) -> None:
    """Give each row the resident's phone as the caller may see it."""
    full = worklists.may_see_phones(g.user)
    phones = worklists.phones_of(db.session, (r.get("resident_id") for r in rows))
    for r in rows:
        rid = worklists.as_uuid(r.get("resident_id"))
        r["phone"] = worklists.shown_phone(phones.get(rid), full)


@bp.get("/overdue")
def overdue_page():
    """The whole overdue list, paged and filtered."""
    villages, doctors = village_names(), doctor_names()
    f = filters(villages, doctors)
    if f["finding"] not in (None, *OVERDUE_REASONS):
        abort(404)
    page = worklists.overdue_page(db.session, g.user.township_id, f["village"], f["doctor"],
                                  f["kind"], f["finding"], f["page"])
    phone_column(page.rows)
    return render_template("township/overdue.html", page=page, f=f, names=villages,
                           doctors=doctors, conditions=CONDITIONS, reasons=OVERDUE_REASONS)


def _overdue(f: dict) -> list[dict]:
    return worklists.overdue_rows(db.session, g.user.township_id, f["village"], f["doctor"],
                                  f["kind"], f["finding"])


@bp.get("/export/overdue.xlsx")
def export_overdue():
    """The overdue list as filtered, every row, for the monthly meeting."""
    villages, doctors = village_names(), doctor_names()
    f = filters(villages, doctors)
    rows = _overdue(f)
    phone_column(rows)
    lang = g.lang
    table = [[word(k, lang) for k in ("name", "village", "phone", "condition", "last_visit",
                                      "due_on", "reason")]]
    table += [[r["name"], villages.get(r["village_id"], ""), r["phone"], word(r["condition"], lang),
               r["last_visit_on"], r["due_on"], word(r["reason"], lang)] for r in rows]
    return send(table, "overdue", "xlsx")


def quality_table(rows: list[dict], check: str, villages: dict, lang: str) -> list[list]:
    """A check's findings as download rows."""
    table = [[word(k, lang) for k in ("finding", "name", "village", "doctor", "record_kind",
                                      "service_date", "detail", "dismissed")]]
    for r in rows:
        table.append([word(check, lang), r["name"] or r["subject"] or "",
                      villages.get(r["village_id"], ""), r["doctor"] or "",
                      word(r["kind"], lang) if r["kind"] else "", r["service_date"],
                      r["detail"] or "", r["reason"] or ""])
    return table


@bp.get("/export/quality.xlsx")
def export_quality():
    """One check's findings as filtered (open, or ?dismissed=1), every row."""
    check = request.args.get("check", "")
    if check not in CHECKS:
        abort(404)
    villages, doctors = village_names(), doctor_names()
    f = filters(villages, doctors)
    rows = worklists.quality_rows(db.session, g.user.township_id, check,
                                  request.args.get("dismissed") == "1", f["village"],
                                  f["doctor"], f["kind"])
    return send(quality_table(rows, check, villages, g.lang), f"quality-{check}", "xlsx")


@bp.get("/records/<uuid:record_id>")
def record_page(record_id: uuid.UUID):
    """One record: its values, who recorded it on which phone, when, and every version."""
    rec = service_history.record_in_township(db.session, g.user.township_id, record_id)
    if rec is None:
        abort(404)
    resident = db.session.get(Resident, rec["resident_id"]) if rec["resident_id"] else None
    return render_template("township/record.html", rec=rec, names=village_names(),
                           resident=resident)
