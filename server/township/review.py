"""Two pages over the sync log: conflicts to review, and an entity's audit trail."""
from __future__ import annotations

import datetime as dt
import uuid

from flask import abort, flash, g, redirect, render_template, request, url_for

from core.models import Resident, User
from server.extensions import db
from server.problems import ApiError
from server.services import audit
from server.township.web import admin_only, bp
from sync import review


@bp.app_template_filter("china_time")
def china_time(iso: str) -> str:
    """An ISO UTC time as China time (UTC+8), to the minute: what staff read on the wall."""
    moment = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return (moment + dt.timedelta(hours=8)).strftime("%Y-%m-%d %H:%M")


def _names(ids: set) -> dict:
    rows = db.session.execute(db.select(Resident.id, Resident.name).where(Resident.id.in_(ids)))
    return {str(rid): name for rid, name in rows}


@bp.get("/conflicts")
def conflicts():
    """Open sync conflicts in the township: the kept value beside the device's."""
    items = review.list_conflicts(db.session, g.user, open_only=True, limit=200)
    names = _names({uuid.UUID(i["entity_id"]) for i in items if i["entity"] == "resident"})
    users = dict(db.session.execute(db.select(User.id, User.full_name)
                                    .where(User.township_id == g.user.township_id)).all())
    return render_template("township/conflicts.html", items=items, names=names, users=users)


@bp.post("/conflicts/<int:conflict_id>")
def settle_conflict(conflict_id: int):
    """Keep the server's value, or take the device's."""
    try:
        review.resolve(db.session, g.user, conflict_id,
                       request.form.get("take") == "device", request.form.get("note", "")[:200])
    except ApiError as e:
        abort(e.status)
    db.session.commit()
    flash(f"#{conflict_id}")
    return redirect(url_for("township.conflicts"))


@bp.get("/audit/<uuid:entity_id>")
def audit_trail(entity_id: uuid.UUID):
    """Every version of a resident, household or record: who, when, from which device."""
    admin_only()
    try:
        changes = audit.history(db.session, g.user, entity_id)
    except ApiError:
        abort(404)
    name = _names({entity_id}).get(str(entity_id))
    return render_template("township/audit.html", changes=changes, name=name,
                           entity_id=entity_id)
