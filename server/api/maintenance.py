"""Sync log upkeep on demand, for a test or staging server: `POST /api/sync/purge`.

The purge of old tombstones runs weekly in the worker (server/worker.py). A client
author's conformance run (`python -m sync.conformance`) needs one *now*, with a horizon of
its choosing, to see a reset while paging. That touches every township's devices on the
server (they re-initialise once), so the endpoint exists only where the operator turned it
on (`SYNC_PURGE_API=1`), and only for a township admin. Anywhere else it is a 404.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, request

from server.auth.current import admin_required
from server.extensions import db
from server.schemas.base import ApiSchema, Int
from sync.maintenance import purge_tombstones

bp = Blueprint("maintenance", __name__, url_prefix="/api/sync")


class PurgeSchema(ApiSchema):
    """How old a tombstone must be to go (0: every one)."""

    horizon_days = Int(lo=0, hi=3650, required=True)


@bp.post("/purge")
@admin_required
def purge():
    """Purge tombstones older than `horizon_days` now; answers how many went and the
    new purge horizon."""
    if not current_app.config.get("SYNC_PURGE_API"):
        abort(404)
    data = PurgeSchema().load(request.get_json(silent=False))
    purged = purge_tombstones(db.session, horizon_days=data["horizon_days"])
    db.session.commit()
    from core.models import SyncCounter

    horizon = db.session.scalar(db.select(SyncCounter.purged_through))
    return jsonify({"purged": purged, "purged_through": horizon or 0})
