"""Households and residents over HTTP: load, call a service, dump."""
from __future__ import annotations

import uuid

from flask import Blueprint, g, jsonify, request

from core.models import Village
from core.serialize import resident_dict, row_dict
from server.api.common import json_body, load, paging
from server.auth.current import login_required
from server.extensions import db
from server.problems import ApiError
from server.schemas.base import ApiSchema, Int, Str
from server.schemas.people import HouseholdSchema, ResidentSchema, load_edit
from server.services import people, scope

bp = Blueprint("people", __name__, url_prefix="/api")


@bp.get("/villages")
@login_required
def villages():
    """The villages in the caller's scope."""
    ids = scope.village_ids(db.session, g.user)
    rows = db.session.scalars(db.select(Village).where(Village.id.in_(ids)).order_by(Village.code))
    return jsonify([{"id": v.id, "code": v.code, "name": v.name,
                     "clinic": v.clinic.name if v.clinic else None} for v in rows])


@bp.post("/households")
@login_required
def create_household():
    """Register a household."""
    household = people.create_household(db.session, g.user, load(HouseholdSchema()))
    db.session.commit()
    return jsonify(row_dict(household)), 201


@bp.get("/households/<uuid:household_id>")
@login_required
def get_household(household_id: uuid.UUID):
    """One household with its members (ID and phone numbers masked)."""
    household = people.get_household(db.session, g.user, household_id)
    out = row_dict(household)
    out["residents"] = [resident_dict(r, masked=True) for r in household.residents
                        if r.deleted_at is None]
    return jsonify(out)


@bp.post("/residents")
@login_required
def create_resident():
    """Register a resident (建档)."""
    resident = people.create_resident(db.session, g.user, load(ResidentSchema()))
    db.session.commit()
    return jsonify(resident_dict(resident)), 201


@bp.get("/residents")
@login_required
def list_residents():
    """Residents in scope, optionally of one village (ID and phone numbers masked)."""
    limit, offset = paging()
    village_id = request.args.get("village_id", type=int)
    rows, total = people.list_residents(db.session, g.user, village_id, None, limit, offset)
    return jsonify({"total": total, "items": [resident_dict(r, masked=True) for r in rows]})


class SearchSchema(ApiSchema):
    """A search; in the body, because names and ID numbers must not appear in URLs
    (they would land in access logs and browser history)."""

    q = Str(max_len=50, min_len=1, required=True)
    village_id = Int(lo=1, allow_none=True)


@bp.post("/residents/search")
@login_required
def search_residents():
    """Residents whose name, ID number or phone starts with `q`."""
    limit, offset = paging()
    data = load(SearchSchema())
    rows, total = people.list_residents(db.session, g.user, data.get("village_id"),
                                        data["q"].strip(), limit, offset)
    return jsonify({"total": total, "items": [resident_dict(r, masked=True) for r in rows]})


@bp.get("/residents/<uuid:resident_id>")
@login_required
def get_resident(resident_id: uuid.UUID):
    """One resident's record, unmasked for those whose scope it is in."""
    return jsonify(resident_dict(people.get_resident(db.session, g.user, resident_id)))


@bp.patch("/residents/<uuid:resident_id>")
@login_required
def update_resident(resident_id: uuid.UUID):
    """Edit a resident; the body carries `version`, the version the edit was made on."""
    body = json_body()
    if not isinstance(body, dict) or not isinstance(body.get("version"), int) or \
            isinstance(body.get("version"), bool):
        raise ApiError(422, "validation_failed", {"version": [{
            "code": "required", "message": "须提供修改所依据的版本号"}]})
    body = dict(body)
    base_version = body.pop("version")
    current = people.get_resident(db.session, g.user, resident_id)
    data = load_edit(ResidentSchema(), resident_dict(current), body)
    resident = people.update_resident(db.session, g.user, resident_id, data, base_version)
    db.session.commit()
    return jsonify(resident_dict(resident))
