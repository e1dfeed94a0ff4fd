"""Who is calling: a session cookie (township pages, first login) or a device bearer token."""
from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Callable

from flask import g, request

from core.clock import now_utc
from core.models import ROLE_ADMIN, ROLE_STAFF, Device
from server.auth import sessions
from server.extensions import db
from server.problems import ApiError


def hash_token(token: str) -> str:
    """Device tokens are stored only as their SHA-256 (they are long and random)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    """A fresh 256-bit device token."""
    return secrets.token_urlsafe(32)


def load_caller() -> None:
    """Set g.user and g.device for this request, or leave them None."""
    g.user, g.device = None, None
    if request.blueprint == "pwa":
        # The phone app's files are the same for everyone: reading the session here would
        # cost a lookup per file and answer `Vary: Cookie`, so a copy loaded before the
        # login would not serve a request made after it (docs/adr/0065-first-install-on-2g.md).
        return
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        device = db.session.scalar(
            db.select(Device).where(Device.token_hash == hash_token(header[7:].strip()))
        )
        if device is None:
            raise ApiError(401, "unauthorized")
        if device.revoked_at is not None:
            raise ApiError(401, "device_revoked")
        if not device.user.active:
            raise ApiError(401, "account_disabled")
        g.user, g.device = device.user, device
        touch_device(device)
        return
    g.user = sessions.current_user()


def touch_device(device: Device) -> None:
    """Remember when a device was last seen (shown to the admin revoking a lost phone).

    Committed on its own, before the request does anything else, so it can never commit
    half of a failed request; at most once a minute per device, to spare the write lock.
    """
    now = now_utc()
    if device.last_seen_at is None or (now - device.last_seen_at).total_seconds() > 60:
        device.last_seen_at = now
        db.session.commit()


def login_required(view: Callable) -> Callable:
    """Refuse anonymous callers with 401, and a session still on a one-time password with
    403 `password_change_required` (it may only choose a new password)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            raise ApiError(401, "unauthorized")
        if g.get("device") is None and g.user.must_change_password:
            raise ApiError(403, "password_change_required")
        return view(*args, **kwargs)

    return wrapped


def session_required(view: Callable) -> Callable:
    """A person at a browser who just proved who they are, not a phone's token: device
    tokens cannot enrol devices or change passwords on their own (docs/adr/0043)."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        if g.get("user") is None:
            raise ApiError(401, "unauthorized")
        if g.get("device") is not None:
            raise ApiError(403, "session_required")
        return view(*args, **kwargs)

    return wrapped


def roles_required(*roles: str) -> Callable:
    """Refuse callers whose role is not among `roles` with 403."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if g.user.role not in roles:
                raise ApiError(403, "forbidden")
            return view(*args, **kwargs)

        return wrapped

    return decorate


staff_required = roles_required(ROLE_STAFF, ROLE_ADMIN)
admin_required = roles_required(ROLE_ADMIN)
