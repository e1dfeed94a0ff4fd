"""Accounts and phones: everyone changes their own password; the admin sees each person's
phones, revokes one, resets a password, deactivates or reactivates an account.

What each action ends is decided in server/services/accounts.py (docs/adr/0043); these
views load the form, call it, and say what happened.
"""
from __future__ import annotations

import uuid

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for

from core.models import ROLE_DOCTOR, ROLE_STAFF, Device, User, Village
from server.auth import guard, sessions
from server.extensions import db
from server.problems import ApiError
from server.services import accounts, audit
from server.township.i18n import word
from server.township.web import admin_only, bp


@bp.get("/password")
def password_page():
    """Change one's own password (the only page open on a one-time password)."""
    return render_template("township/password.html", errors={})


@bp.post("/password")
def change_password():
    """Check the current password and the new one twice; every other session ends."""
    form = request.form
    errors: dict[str, str] = {}
    if form.get("new_password", "") != form.get("confirm_password", ""):
        errors["confirm_password"] = "mismatch|两次输入的新密码不一致"
    else:
        try:
            accounts.check_new_password(g.user, form.get("new_password", ""))
            guard.check_again(g.user, form.get("current_password", ""), "current_password")
            accounts.change_password(db.session, g.user, form.get("new_password", ""),
                                     current_app.config["PASSWORD_HASH_METHOD"])
        except ApiError as e:
            if e.status == 429:
                errors = {"current_password": "locked|尝试次数过多，请 15 分钟后再试"}
            else:
                errors = {k: v[0] for k, v in (e.errors or {}).items()}
    if errors:
        db.session.rollback()
        shown = {k: word("pwerr_" + v.partition("|")[0], g.lang) for k, v in errors.items()}
        return render_template("township/password.html", errors=shown), 422
    sessions.start(g.user)
    db.session.commit()
    flash(word("password_changed", g.lang))
    return redirect(url_for("township.overview"))


@bp.get("/accounts")
def accounts_page():
    """The township's accounts, each with its phones (admin only: it shows who can log in)."""
    admin_only()
    users = db.session.scalars(db.select(User).where(User.township_id == g.user.township_id)
                               .order_by(User.role.desc(), User.username)).all()
    devices: dict[int, list[Device]] = {}
    for d in db.session.scalars(db.select(Device).where(Device.user_id.in_([u.id for u in users]))
                                .order_by(Device.created_at.desc())):
        devices.setdefault(d.user_id, []).append(d)
    one_time = request.args.get("shown") and _pop_one_time()
    villages = db.session.scalars(db.select(Village).where(
        Village.township_id == g.user.township_id).order_by(Village.code)).all()
    return render_template("township/accounts.html", users=users, devices=devices,
                           one_time=one_time, doctor=ROLE_DOCTOR, staff=ROLE_STAFF,
                           villages=villages,
                           names={f"user:{u.id}": u.full_name for u in users},
                           changes=audit.admin_changes(db.session, g.user.township_id,
                                                       "user:", 30))


def _pop_one_time() -> tuple[str, str] | None:
    """The one-time password just made, shown once (kept in the session, never a URL)."""
    return session.pop("one_time", None)


def _account(user_id: int) -> User:
    admin_only()
    user = db.session.get(User, user_id)
    if user is None or user.township_id != g.user.township_id:
        abort(404)
    return user


@bp.post("/accounts/<int:user_id>/reset-password")
def reset_account_password(user_id: int):
    """A one-time password for someone who forgot theirs, shown once on the next page."""
    user = _account(user_id)
    one_time = accounts.reset_password(db.session, g.user, user,
                                       current_app.config["PASSWORD_HASH_METHOD"],
                                       current_app.config["SECRET_KEY"])
    db.session.commit()
    session["one_time"] = (user.full_name, one_time)
    return redirect(url_for("township.accounts_page", shown=1))


@bp.post("/accounts/<int:user_id>/active")
def set_account_active(user_id: int):
    """Deactivate (sessions and phones end at once) or reactivate an account."""
    user = _account(user_id)
    try:
        accounts.update_account(db.session, g.user, user,
                                {"active": request.form.get("active") == "1"})
    except ApiError:
        db.session.rollback()
        flash(word("cannot_change_self", g.lang), "error")
        return redirect(url_for("township.accounts_page"))
    db.session.commit()
    flash(user.full_name)
    return redirect(url_for("township.accounts_page"))


@bp.post("/devices/<uuid:device_id>/revoke")
def revoke_device_page(device_id: uuid.UUID):
    """Revoke one phone (lost, sold, replaced): its next request is refused."""
    admin_only()
    device = db.session.get(Device, device_id)
    if device is None or device.user.township_id != g.user.township_id:
        abort(404)
    accounts.revoke_device(db.session, g.user, device)
    db.session.commit()
    flash(f"{device.user.full_name} · {device.label}")
    return redirect(url_for("township.accounts_page"))
