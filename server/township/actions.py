"""The township's forms: recompute now, close a period, draw a sample, record a call,
dismiss a quality finding (settings and targets: server/township/admin.py). Every one is
a CSRF-checked POST that redirects back."""
from __future__ import annotations

from flask import abort, flash, g, redirect, request, url_for

from core.models import QualityFlag
from server.extensions import db
from server.metrics import dismissals, verification
from server.metrics.definitions import parse_period
from server.metrics.rollups import recompute_period
from server.numbers import whole
from server.problems import ApiError
from server.township.i18n import word
from server.township.jobs import refresh_township
from server.township.web import admin_only, bp


@bp.post("/recompute")
def recompute():
    """The admin's "recompute now": the nightly job for this township, run synchronously."""
    admin_only()
    summary = refresh_township(db.session, g.user.township_id, user_id=g.user.id)
    flash(word("recomputed", g.lang) % (len(summary["computed"]), summary["flags"],
                                        summary["overdue"], summary["seconds"]))
    return redirect(request.form.get("back") or url_for("township.periods"))


@bp.post("/periods/<key>/close")
def close_period(key: str):
    """Close (freeze) a period now, before its automatic close."""
    admin_only()
    try:
        parse_period(key)
    except ValueError:
        abort(404)
    recompute_period(db.session, g.user.township_id, key, freeze=True, user_id=g.user.id)
    db.session.commit()
    return redirect(url_for("township.periods"))


@bp.post("/verification/draw")
def draw_sample():
    """Draw a random verification sample for a period."""
    key = request.form.get("period", "")
    size = request.form.get("size", "20")
    try:
        parse_period(key)
    except ValueError:
        abort(400)
    size_n = whole(size)
    size_n = min(max(size_n, 1), 200) if size_n is not None else 20
    verification.draw_sample(db.session, g.user.township_id, key, size_n, g.user.id)
    db.session.commit()
    return redirect(url_for("township.quality") + "#verification")


@bp.post("/verification/calls/<int:call_id>")
def record_call(call_id: int):
    """Record what the resident said on the phone."""
    try:
        verification.record_outcome(db.session, g.user.township_id, call_id,
                                    request.form.get("outcome", ""), request.form.get("note"),
                                    g.user.id)
    except ApiError as e:
        abort(e.status)
    db.session.commit()
    return redirect(url_for("township.quality") + "#verification")


@bp.post("/quality/flags/<int:flag_id>/dismiss")
def dismiss_flag(flag_id: int):
    """Staff mark a finding as reviewed and not a problem, with a reason (audited)."""
    check = request.form.get("check", "")
    try:
        dismissals.dismiss(db.session, g.user, flag_id, request.form.get("reason", ""),
                           request.form.get("subject"))
    except ApiError as e:
        if e.status == 404 and db.session.get(QualityFlag, flag_id) is None:
            # The nightly job rewrote the flags since the page was loaded.
            e.message = dismissals.STALE
        elif e.status not in (409, 422):
            abort(e.status)
        flash(e.message, "error")
        return redirect(url_for("township.quality", check=check) + "#list")
    db.session.commit()
    flash(word("dismissed_one", g.lang))
    return redirect(url_for("township.quality", check=check) + "#list")


@bp.post("/quality/dismissals/<int:dismissal_id>/withdraw")
def withdraw_dismissal(dismissal_id: int):
    """Take a dismissal back: the finding is open (and deducts) again (audited)."""
    try:
        row = dismissals.withdraw(db.session, g.user, dismissal_id)
    except ApiError as e:
        abort(e.status)
    db.session.commit()
    return redirect(url_for("township.quality", check=row.check, dismissed=1) + "#list")
