"""Login, logout, who-am-I, and device enrolment and revocation."""
from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from flask import Blueprint, current_app, g, jsonify, request, session

from server.auth import lockout, sessions
from server.auth.current import admin_required, hash_token, new_token, session_required
from server.auth.passwords import verify_password
from server.clock import now_utc
from server.extensions import db
from server.models import Device, User
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


def _source() -> str:
    """Who is knocking, as a hash (an IP address is personal data; a hash still counts)."""
    address = request.remote_addr or "?"
    return hashlib.sha256((current_app.config["SECRET_KEY"] + address).encode()).hexdigest()


def authenticate(username: str, password: str) -> User:
    """Check a password, with a lockout after repeated failures on a name (known or not) and
    a limit on failures from one address; raise ApiError on refusal. An unknown name and
    a real one answer alike, in the same time (server/auth/lockout.py, docs/adr/0048)."""
    config = current_app.config
    now = now_utc()
    since = now - dt.timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    source, name = _source(), lockout.name_key(config["SECRET_KEY"], username)
    # Reserved under a lock before the password is checked: a burst cannot all see room.
    reserved, full = lockout.reserve(db.session, {
        source: config["LOGIN_MAX_FAILURES_PER_SOURCE"], name: config["LOGIN_MAX_FAILURES"]},
        now, since)
    if full == source:
        raise ApiError(429, "too_many_attempts")
    if full == name:
        raise ApiError(429, "account_locked")
    user = db.session.scalar(db.select(User).where(User.username == username))
    if not lockout.password_matches(user.password_hash if user else None, password,
                                    config["PASSWORD_HASH_METHOD"]):
        lockout.forget_old(db.session, now)  # the reservations stay: they are the failures
        now_locked = lockout.counts(db.session, [name], since)[name] >= config["LOGIN_MAX_FAILURES"]
        if now_locked and user is not None:
            # Shown on the admin's accounts page; the rows above are what enforce it.
            user.locked_until = now + dt.timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        db.session.commit()
        raise ApiError(401, "login_failed")
    lockout.release(db.session, reserved, clear_key=name)  # a right password resets the count
    if not user.active:
        raise ApiError(403, "account_disabled")
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
    from server.models import Township

    return jsonify({"demo": bool(db.session.scalar(db.select(db.exists().where(
        Township.is_demo))))})


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
    accounts.change_password(db.session, g.user, data["current_password"],
                             data["new_password"], current_app.config["PASSWORD_HASH_METHOD"])
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
    if not verify_password(g.user.password_hash, data["password"]):
        raise ApiError(403, "wrong_password", {"password": ["wrong|密码不正确"]})
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
