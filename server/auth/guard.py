"""Every password check goes through here, with the same limits: the login, the password
typed again to enrol a phone, and the current password typed to change it
(docs/adr/0054-password-guessing-limits.md).

Each attempt is reserved before the password is looked at (server/services/lockout.py) under
three keys, each a keyed hash:

- the name and the address together: `LOGIN_MAX_FAILURES` (5) failures in the window lock
  that name *from that address*;
- the address: `LOGIN_MAX_FAILURES_PER_SOURCE` (20) failures across names hold it back;
- the name from anywhere: `LOGIN_MAX_FAILURES_PER_NAME` (100) failures lock the name for
  everyone, a cap on guessing spread over many addresses.

So an outsider from a few addresses cannot lock a doctor or the admin out (the person's
own address is untouched), and a stolen phone's token cannot guess its owner's password
faster than a login could. An unknown name is counted and answered like a real one.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from flask import current_app, request

from core.clock import now_utc
from core.models import User
from server.extensions import db
from server.problems import ApiError
from server.services import lockout


def _address() -> str:
    return request.remote_addr or "?"


def source_key() -> str:
    """The caller's address as a hash (an IP address is personal data; a hash still counts)."""
    return hashlib.sha256((current_app.config["SECRET_KEY"] + _address()).encode()).hexdigest()


def pair_key(username: str) -> str:
    """One name tried from one address: the name's key's first half, then a keyed hash of
    the address (never the name or the address). The shared prefix lets an admin's reset
    clear the name's failures from every address (lockout.clear_name)."""
    key = current_app.config["SECRET_KEY"]
    address = hmac.new(key.encode(), b"login-address\0" + _address().encode(),
                       hashlib.sha256).hexdigest()
    return lockout.name_key(key, username)[:32] + address[:32]


def check(username: str, user: User | None, password: str) -> bool:
    """Whether `password` is `user`'s (or, for an unknown name, False after the same work),
    within the limits; raises 429 when a limit was already reached (nothing is checked
    then). A wrong password stays counted; a right one clears the name's failures from
    this address."""
    config = current_app.config
    now = now_utc()
    since = now - dt.timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
    source, pair = source_key(), pair_key(username)
    name = lockout.name_key(config["SECRET_KEY"], username)
    reserved, full = lockout.reserve(db.session, {
        source: config["LOGIN_MAX_FAILURES_PER_SOURCE"],
        pair: config["LOGIN_MAX_FAILURES"],
        name: config["LOGIN_MAX_FAILURES_PER_NAME"]}, now, since)
    if full == source:
        raise ApiError(429, "too_many_attempts")
    if full is not None:
        raise ApiError(429, "account_locked")
    if not lockout.password_matches(user.password_hash if user else None, password,
                                    config["PASSWORD_HASH_METHOD"]):
        lockout.forget_old(db.session, now)  # the reservations stay: they are the failures
        seen = lockout.counts(db.session, [pair, name], since)
        if user is not None and (seen[pair] >= config["LOGIN_MAX_FAILURES"]
                                 or seen[name] >= config["LOGIN_MAX_FAILURES_PER_NAME"]):
            # Shown on the admin's accounts page; the rows above are what enforce it.
            user.locked_until = now + dt.timedelta(minutes=config["LOGIN_LOCKOUT_MINUTES"])
        db.session.commit()
        return False
    lockout.release(db.session, reserved, clear_key=pair)
    return True


def check_again(user: User, password: str, field: str) -> None:
    """A logged-in person's password typed again (to enrol a phone, or as the current one to
    change it): counted like a login, so a stolen token cannot guess it. Raises 403
    `wrong_password` with the error on `field`, or 429."""
    if not check(user.username, user, password):
        raise ApiError(403, "wrong_password", {field: ["wrong|密码不正确"]})
