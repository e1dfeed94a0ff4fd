"""Login throttling that a burst of parallel requests cannot outrun, and that treats a name
nobody has exactly like a real account (docs/adr/0048).

Every login attempt first *reserves* its place: one `login_failures` row for the caller's
address and one for the submitted username (each a keyed hash, never the value), in a
transaction that holds a per-key lock while it inserts them and counts what is there. An
attempt that finds its limit reached records nothing and is refused; the others commit
before the password is looked at. So in a burst of parallel wrong passwords exactly
`LOGIN_MAX_FAILURES` are checked per name and window, on SQLite and PostgreSQL alike, and
the name is locked afterwards; a read-then-write counter let 16 parallel attempts check
8 to 10.

A wrong password leaves the reservations as the failure record; a right one removes the
name's rows, which ends its lockout. Because the rows are keyed by the name as typed, an
unknown name fills and locks the same way, and its password is checked against a dummy
hash of the same method, so neither the answers nor their timing tell which names exist.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.models import LoginFailure
from server.services.passwords import hash_password, verify_password


def name_key(secret_key: str, username: str) -> str:
    """The key of a submitted username's failure rows: an HMAC, so the table never holds a
    name, and distinct from address keys (a plain SHA-256 of key and address)."""
    return hmac.new(secret_key.encode(), b"login-name\0" + username.encode("utf-8", "replace"),
                    hashlib.sha256).hexdigest()


def _lock_number(key: str) -> int:
    """A PostgreSQL advisory lock number for a key (60 bits of it: a signed bigint)."""
    return int(key[:15], 16)


def reserve(session: Session, limits: dict[str, int], now: dt.datetime,
            since: dt.datetime) -> tuple[list[int], str | None]:
    """Record one attempt under each key of `limits` unless a key already holds its limit
    of attempts after `since`; commit. Returns the new rows' ids and None, or no ids and
    the first key (in `limits` order) that is full, with nothing recorded.

    One transaction per attempt, serialised per key: on SQLite the INSERT takes the
    database's one write lock before the count is read; on PostgreSQL a transaction-scoped
    advisory lock per key (taken in sorted order, so two attempts never deadlock) makes a
    parallel attempt wait until this one has committed or rolled back."""
    keys = list(limits)
    if session.get_bind().dialect.name == "postgresql":
        for key in sorted(set(keys)):
            session.execute(select(func.pg_advisory_xact_lock(_lock_number(key))))
    rows = [LoginFailure(source=key, at=now) for key in keys]
    session.add_all(rows)
    session.flush()
    seen = counts(session, keys, since)
    for key, limit in limits.items():
        if seen[key] > limit:  # its own row included
            session.rollback()
            return [], key
    ids = [row.id for row in rows]
    session.commit()
    return ids, None


def counts(session: Session, keys: list[str], since: dt.datetime) -> dict[str, int]:
    """Attempts (failed or in flight) recorded under each key after `since`."""
    rows = session.execute(
        select(LoginFailure.source, func.count(LoginFailure.id))
        .where(LoginFailure.source.in_(keys), LoginFailure.at > since)
        .group_by(LoginFailure.source)).all()
    found = dict(rows)
    return {key: found.get(key, 0) for key in keys}


def release(session: Session, ids: list[int], *, clear_key: str | None = None) -> None:
    """Take back an attempt's rows (and, after a right password, every failure of
    `clear_key`), and commit."""
    session.execute(delete(LoginFailure).where(LoginFailure.id.in_(ids)))
    if clear_key is not None:
        session.execute(delete(LoginFailure).where(LoginFailure.source == clear_key))
    session.commit()


def forget_old(session: Session, now: dt.datetime) -> None:
    """Drop records older than a day (no window is that long); the caller commits."""
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - dt.timedelta(days=1)))


def clear_name(session: Session, secret_key: str, username: str) -> None:
    """End a name's lockout from everywhere (an admin's password reset): its own rows and
    its rows per address, which share the first half of its key (server/auth/guard.py);
    the caller commits."""
    session.execute(delete(LoginFailure).where(
        LoginFailure.source.startswith(name_key(secret_key, username)[:32])))


@functools.lru_cache(maxsize=4)
def dummy_hash(method: str) -> str:
    """A hash of a random password made with `method`: checking a password against it costs
    what checking a real account's costs."""
    return hash_password(secrets.token_urlsafe(16), method)


def password_matches(password_hash: str | None, password: str, method: str) -> bool:
    """Check `password` against an account's hash, or, when there is no account, spend the
    same time on a dummy hash of the configured method and say no."""
    if password_hash is None:
        verify_password(dummy_hash(method), password)
        return False
    return verify_password(password_hash, password)
