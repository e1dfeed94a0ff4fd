"""Server-rendered pages for people (the township's pages grow here)."""
from __future__ import annotations

from flask import Blueprint, render_template

from core.models import Resident, ServiceRecord, User, Village
from server.extensions import db

bp = Blueprint("pages", __name__, template_folder="templates")


@bp.get("/")
def index():
    """The front page: what this server holds, and where to go next."""
    counts = {
        "villages": db.session.scalar(db.select(db.func.count(Village.id))),
        "users": db.session.scalar(db.select(db.func.count(User.id))),
        "residents": db.session.scalar(db.select(db.func.count(Resident.id))),
        "records": db.session.scalar(db.select(db.func.count(ServiceRecord.id))),
    }
    return render_template("index.html", counts=counts)


@bp.get("/healthz")
def healthz():
    """Liveness for the process manager: the database answers."""
    db.session.execute(db.text("SELECT 1"))
    return {"ok": True}
