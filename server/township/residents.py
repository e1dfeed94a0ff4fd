"""The township's resident register: find a resident, and move them to another village
of the township (docs/adr/0039-township-resident-moves.md).

A doctor's phone can edit a resident but not move them out of its villages; the
township can. A move is `people.update_resident`, the same rules as the JSON API and
the sync path: it is refused if the record changed since the page was read. The
resident's history goes with them. The old village's phones drop them at their next
sync, and the new village's phones receive them. The township also records deaths,
moves out of the township and residents lost to follow-up it learns of first (and undoes
a mistaken one). Names are searched by POST, so no personal data lands in a URL; every
change is also logged for the township's audit page.
"""
from __future__ import annotations

import datetime as dt
import uuid

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from core.clock import today_local
from core.models import Household, ResidenceEvent, Resident, Village
from server.extensions import db
from server.numbers import form_id
from server.problems import ApiError
from server.services import audit, people, service_history
from server.township.i18n import word
from server.township.web import bp

FOUND_MAX = 50  # residents listed for one search; more asks for more of the name


def _villages() -> dict[int, Village]:
    """The township's villages by id, in code order."""
    return {v.id: v for v in db.session.scalars(
        select(Village).where(Village.township_id == g.user.township_id).order_by(Village.code))}


def _resident(resident_id: uuid.UUID) -> Resident:
    """A resident of the township, or 404."""
    try:
        return people.get_resident(db.session, g.user, resident_id)
    except ApiError:
        abort(404)


@bp.get("/residents")
def residents_page():
    """The search form."""
    return render_template("township/residents.html", found=None, total=0, q="",
                           villages=_villages(), found_max=FOUND_MAX)


@bp.post("/residents/search")
def search_residents():
    """Residents whose name, ID number or phone starts with what was typed."""
    q = request.form.get("q", "").strip()[:50]
    found, total = (people.list_residents(db.session, g.user, None, q, FOUND_MAX, 0)
                    if q else ([], 0))
    return render_template("township/residents.html", found=found, total=total, q=q,
                           villages=_villages(), found_max=FOUND_MAX)


@bp.get("/residents/<uuid:resident_id>")
def resident_page(resident_id: uuid.UUID):
    """One resident: where they live now, their moves, and the move form (?to= names the
    village chosen in its first step; its households are then offered)."""
    resident = _resident(resident_id)
    villages = _villages()
    target = villages.get(form_id(request.args.get("to", "")))
    if target is not None and target.id == resident.village_id:
        target = None
    households = list(db.session.scalars(
        select(Household).where(Household.village_id == target.id,
                                Household.deleted_at.is_(None))
        .order_by(Household.group_no, Household.house_no, Household.address))) \
        if target else []
    events = list(db.session.scalars(
        select(ResidenceEvent).where(ResidenceEvent.resident_id == resident.id)
        .order_by(ResidenceEvent.recorded_at.desc()).limit(10)))
    history = service_history.resident_history(db.session, resident)
    return render_template("township/resident.html", r=resident, villages=villages,
                           target=target, households=households, events=events,
                           today=today_local(), history=history,
                           names={v.id: v.name for v in villages.values()})


STATUSES = ("moved_out", "deceased", "lost", "active")  # what the status form may set
DATED = {"moved_out": "moved_out_on", "deceased": "died_on"}  # and the date each needs


def _back(resident_id: uuid.UUID, to: int | None = None):
    """Back to the resident's page (to the move form's second step with `to`)."""
    return redirect(url_for("township.resident_page", resident_id=resident_id, to=to), 303)


def _refuse(key: str, resident_id: uuid.UUID, to: int | None = None):
    flash(word(key, g.lang), "error")
    return _back(resident_id, to)


def _day(raw: str, resident: Resident) -> dt.date | None:
    """A date typed into a form, between the resident's birth and today; else None."""
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return day if resident.birth_date <= day <= today_local() else None


def _apply(resident: Resident, changes: dict, action: str, before: dict, after: dict,
           to: int | None = None) -> bool:
    """Store `changes` on the version the form was read at, logged as `action`; False
    (refused, said why, nothing stored) when the record changed since or was refused."""
    version = form_id(request.form.get("version", ""))
    try:
        if version is None:
            raise ApiError(409, "conflict")
        people.update_resident(db.session, g.user, resident.id, changes, version)
    except ApiError as e:
        db.session.rollback()
        flash(word("res_stale" if e.status == 409 else "res_refused", g.lang), "error")
        return False
    audit.record_change(db.session, g.user, f"resident:{resident.id}", action, before, after)
    db.session.commit()
    return True


@bp.post("/residents/<uuid:resident_id>/move")
def move_resident(resident_id: uuid.UUID):
    """Move a resident to a household (or none yet) of another village of the township."""
    resident = _resident(resident_id)
    form = request.form
    target = _villages().get(form_id(form.get("village_id", "")))
    if target is None:
        return _refuse("res_choose_village", resident.id)
    if resident.status != "active":
        return _refuse("res_not_active", resident.id)
    if target.id == resident.village_id:
        return _refuse("res_same_village", resident.id)
    household = None
    if form.get("household_id"):
        try:
            household = db.session.get(Household, uuid.UUID(form["household_id"]))
        except ValueError:
            household = None
        if household is None or household.village_id != target.id or household.deleted_at:
            return _refuse("res_bad_household", resident.id, target.id)
    moved_on = _day(form.get("moved_on", ""), resident)
    if moved_on is None:
        return _refuse("res_bad_date", resident.id, target.id)
    before = {"village_id": resident.village_id,
              "household_id": str(resident.household_id) if resident.household_id else None}
    after = {"village_id": target.id, "household_id": str(household.id) if household else None,
             "moved_in_on": moved_on.isoformat()}
    if not _apply(resident, {"village_id": target.id, "moved_in_on": moved_on,
                             "household_id": household.id if household else None},
                  "transfer", before, after):
        return _back(resident.id, target.id)
    flash(word("res_moved", g.lang) % target.name, "ok")
    return _back(resident.id)


@bp.post("/residents/<uuid:resident_id>/status")
def set_resident_status(resident_id: uuid.UUID):
    """Record that a resident moved out of the township, died or was lost to follow-up, on
    a date (none for lost); or put them back on the register (a mistake undone)."""
    resident = _resident(resident_id)
    status = request.form.get("status", "")
    if status not in STATUSES or status == resident.status:
        return _refuse("res_bad_status", resident.id)
    changes: dict = {"status": status, "died_on": None, "moved_out_on": None}
    if status in DATED:
        changes[DATED[status]] = _day(request.form.get("on", ""), resident)
        if changes[DATED[status]] is None:
            return _refuse("res_bad_day", resident.id)
    before = {"status": resident.status, "died_on": _iso(resident.died_on),
              "moved_out_on": _iso(resident.moved_out_on)}
    if _apply(resident, changes, "status", before, {k: _iso(v) for k, v in changes.items()}):
        flash(word("res_status_set", g.lang) % word(f"res_event_{status}", g.lang), "ok")
    return _back(resident.id)


def _iso(value):
    return value.isoformat() if isinstance(value, dt.date) else value
