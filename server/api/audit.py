"""The audit trail for township admins: every change of a resident, household or record."""
from __future__ import annotations

import uuid

from flask import Blueprint, g, jsonify

from server.auth.current import admin_required
from server.extensions import db
from server.services import audit

bp = Blueprint("audit", __name__, url_prefix="/api")


@bp.get("/audit/<uuid:entity_id>")
@admin_required
def entity_history(entity_id: uuid.UUID):
    """Who changed what, when and from which device."""
    return jsonify({"entity_id": str(entity_id),
                    "changes": audit.history(db.session, g.user, entity_id)})
