"""Field records over HTTP. Phones normally send them through sync; this is the same rule."""
from __future__ import annotations

import uuid

from flask import Blueprint, g, jsonify, request

from core.serialize import jsonable, row_dict
from server.api.common import json_body, paging
from server.auth.current import login_required
from server.extensions import db
from server.schemas.records import load_record
from server.services import records

bp = Blueprint("records", __name__, url_prefix="/api")


@bp.post("/records")
@login_required
def create_record():
    """Store a new record of any kind under the UUID the phone made for it."""
    data = load_record(json_body())
    row = records.create_record(db.session, g.user, data, g.get("device"))
    db.session.commit()
    return jsonify({k: jsonable(v) for k, v in row.items()}), 201


@bp.get("/records")
@login_required
def list_records():
    """Records in scope, filtered by resident, kind or village."""
    limit, offset = paging(default=100)
    rows = records.list_records(
        db.session, g.user,
        resident_id=request.args.get("resident_id", type=uuid.UUID),
        kind=request.args.get("kind"), village_id=request.args.get("village_id", type=int),
        limit=limit, offset=offset,
    )
    return jsonify({"items": [row_dict(r) for r in rows]})


@bp.get("/records/<uuid:record_id>")
@login_required
def get_record(record_id: uuid.UUID):
    """One record with the fields of its kind."""
    return jsonify(row_dict(records.get_record(db.session, g.user, record_id)))
