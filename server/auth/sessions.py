"""Browser sessions held on the server, so they can be ended there (docs/adr/0043).

The signed cookie carries one random token and nothing about the person; the
`user_sessions` row holds the token's SHA-256, when it started, when it was last used and
a stamp of what it was granted on. A session is valid while all of these hold:

- it was not ended (logout ends every session of the person);
- it is younger than SESSION_MAX_HOURS and was used within SESSION_IDLE_MINUTES;
- the person's password hash, role and active flag still give the same stamp, so a
  password change or reset, a role change and a deactivation end every session at once,
  by whatever path they are made (page, API, command line, SQL).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from flask import current_app, session

from core.clock import now_utc
from core.models import User, UserSession
from server.extensions import db

# A session is looked at on every request; its last use is written at most this often.
_TOUCH_SECONDS = 60


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stamp(user: User) -> str:
    """A digest of what a session is granted on; it changes when any of them changes."""
    material = f"{user.password_hash}|{user.role}|{int(bool(user.active))}"
    return hashlib.sha256(material.encode()).hexdigest()


def start(user: User) -> None:
    """A fresh session for `user` (a new token and CSRF token; anything before forgotten).
    The caller commits."""
    session.clear()
    token = secrets.token_urlsafe(32)
    now = now_utc()
    db.session.add(UserSession(token_hash=_hash(token), user_id=user.id, stamp=stamp(user),
                               created_at=now, last_seen_at=now))
    session["sid"] = token
    session.permanent = True  # the browser drops it at the absolute limit too


def current_user() -> User | None:
    """The person this request's cookie belongs to, or None when it is missing, forged,
    ended, expired, or granted on a password, role or state the person no longer has."""
    token = session.get("sid")
    if not isinstance(token, str) or not token:
        return None
    row = db.session.get(UserSession, _hash(token))
    if row is None or row.ended_at is not None:
        return None
    now = now_utc()
    cfg = current_app.config
    if now - row.created_at > dt.timedelta(hours=cfg["SESSION_MAX_HOURS"]):
        _end(row, now, "expired")
        return None
    if now - row.last_seen_at > dt.timedelta(minutes=cfg["SESSION_IDLE_MINUTES"]):
        _end(row, now, "idle")
        return None
    user = db.session.get(User, row.user_id)
    if user is None or not user.active or row.stamp != stamp(user):
        _end(row, now, "changed")
        return None
    if (now - row.last_seen_at).total_seconds() > _TOUCH_SECONDS:
        row.last_seen_at = now
        db.session.commit()  # on its own, before the request does anything (as devices)
    return user


def _end(row: UserSession, now: dt.datetime, reason: str) -> None:
    row.ended_at, row.ended_reason = now, reason
    db.session.commit()


def end_all(user_id: int, reason: str) -> int:
    """End every open session of one person; returns how many. The caller commits."""
    result = db.session.execute(
        db.update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now_utc(), ended_reason=reason)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0
