"""Login, logout, who-am-I, and device enrolment and revocation."""
from __future__ import annotations

import uuid

from flask import Blueprint, current_app, g, jsonify, request, session

from core.models import Device, User
from server.auth import guard, sessions
from server.auth.current import admin_required, hash_token, new_token, session_required
from server.extensions import db
from server.problems import ApiError
from server.schemas.base import ApiSchema, Str
from server.services import accounts, scope

bp = Blueprint("auth", __name__, url_prefix="/api")


class LoginSchema(ApiSchema):
    """Username and password."""

    username = Str(max_len=64, min_len=1, required=True)
    password = Str(max_len=200, min_len=1, required=True)


class EnrolSchema(ApiSchema):
    """A device label the doctor or admin will recognise ("张医生的红米"), and the
    person's password once more."""

    label = Str(max_len=100)
    password = Str(max_len=200, min_len=1, required=True)


class PasswordSchema(ApiSchema):
    """The current (or one-time) password and the new one."""

    current_password = Str(max_len=200, min_len=1, required=True)
    new_password = Str(max_len=200, min_len=1, required=True)


def user_dict(user: User) -> dict:
    """The public view of an account, with the villages in its scope."""
    return {
        "id": user.id, "username": user.username, "full_name": user.full_name,
        "role": user.role, "township_id": user.township_id, "clinic_id": user.clinic_id,
        "village_ids": sorted(scope.village_ids(db.session, user)),
        "must_change_password": user.must_change_password,
    }


def authenticate(username: str, password: str) -> User:
    """Check a password within the guessing limits (server/auth/guard.py); raise ApiError
    on refusal. An unknown name, a wrong password and a deactivated account answer alike,
    in the same time, so none of them tells whether the others exist."""
    user = db.session.scalar(db.select(User).where(User.username == username))
    if not guard.check(username, user, password) or not user.active:
        raise ApiError(401, "login_failed")
    user.failed_logins, user.locked_until = 0, None
    return user


@bp.post("/auth/login")
def login():
    """Log in with a password; sets an HTTP-only session cookie."""
    data = LoginSchema().load(request.get_json(silent=False))
    user = authenticate(data["username"], data["password"])
    sessions.start(user)
    db.session.commit()
    return jsonify(user_dict(user))


@bp.post("/auth/logout")
def logout():
    """End the session, and every other browser session of the same person."""
    if g.get("user") is not None and g.get("device") is None:
        sessions.end_all(g.user.id, "logout")
        db.session.commit()
    session.clear()
    return jsonify({"ok": True})


@bp.get("/auth/instance")
def instance():
    """What a login page shows before anyone logs in: whether this is a demonstration
    (published passwords; no real residents' data belongs in it)."""
    return jsonify({"demo": accounts.is_demo_instance(db.session)})


@bp.get("/me")
def me():
    """The logged-in account (also while it must still choose a new password)."""
    if g.get("user") is None:
        raise ApiError(401, "unauthorized")
    return jsonify(user_dict(g.user))


@bp.post("/auth/password")
def change_password():
    """Change one's own password, proving the current (or one-time) one. Ends every
    browser session of the person; this browser gets a fresh one. Phones keep working."""
    if g.get("user") is None:
        raise ApiError(401, "unauthorized")
    data = PasswordSchema().load(request.get_json(silent=False))
    accounts.check_new_password(g.user, data["new_password"])  # before a guess is counted
    guard.check_again(g.user, data["current_password"], "current_password")
    accounts.change_password(db.session, g.user, data["new_password"],
                             current_app.config["PASSWORD_HASH_METHOD"])
    if g.get("device") is None:
        sessions.start(g.user)  # the stamp changed: the old session ended with the others
    db.session.commit()
    return jsonify(user_dict(g.user))


@bp.post("/devices")
@session_required
def enrol_device():
    """Enrol this phone for the logged-in person, who types their password again: a device
    token cannot enrol another, and a session alone is not enough. The token is shown
    once and stored hashed."""
    data = EnrolSchema().load(request.get_json(silent=False))
    if g.user.must_change_password:
        raise ApiError(403, "password_change_required")
    guard.check_again(g.user, data["password"], "password")
    token = new_token()
    device = Device(user_id=g.user.id, label=data.get("label", ""), token_hash=hash_token(token))
    db.session.add(device)
    db.session.commit()
    return jsonify({"device_id": str(device.id), "token": token, "user": user_dict(g.user)}), 201


@bp.get("/devices")
@admin_required
def list_devices():
    """The township's devices, for the admin who revokes a lost phone."""
    rows = db.session.scalars(
        db.select(Device).join(User, Device.user_id == User.id)
        .where(User.township_id == g.user.township_id).order_by(Device.created_at)
    )
    return jsonify([{
        "id": str(d.id), "label": d.label, "user_id": d.user_id, "user": d.user.full_name,
        "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
        "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None,
    } for d in rows])


@bp.post("/devices/<uuid:device_id>/revoke")
@admin_required
def revoke_device(device_id: uuid.UUID):
    """Revoke a device at once: its token stops working on the next request."""
    device = db.session.get(Device, device_id)
    if device is None or device.user.township_id != g.user.township_id:
        raise ApiError(404, "not_found")
    accounts.revoke_device(db.session, g.user, device)
    db.session.commit()
    return jsonify({"id": str(device.id), "revoked_at": device.revoked_at.isoformat()})
