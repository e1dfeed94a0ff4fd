"""The immunization schedule page: the national edition in use, changed by the admin only
where the province's schedule differs (server/services/schedule.py)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from server.extensions import db
from server.services import audit, schedule
from server.township.i18n import word
from server.township.web import admin_only, bp


@bp.route("/setup/schedule", methods=["GET", "POST"])
def setup_schedule():
    """Every dose with its due age and timely window; the admin saves the whole form."""
    rows = schedule.doses(db.session)
    errors: dict[str, str] = {}
    if request.method == "POST":
        admin_only()
        values, errors = schedule.parse(request.form, rows)
        if not errors:
            changed = schedule.save(db.session, g.user, rows, values)
            db.session.commit()
            flash("、".join(changed) or word("setup_no_change", g.lang))
            return redirect(url_for("township.setup_schedule"))
        db.session.rollback()
    return render_template("township/setup_schedule.html", rows=rows, errors=errors,
                           form=request.form if errors else {},
                           changes=audit.admin_changes(db.session, g.user.township_id,
                                                       "schedule:", 30)), \
        (422 if errors else 200)
