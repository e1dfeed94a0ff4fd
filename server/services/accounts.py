"""Accounts: passwords, roles, deactivation, and what each ends (docs/adr/0043).

Every change here is audited in `admin_changes` and takes effect on every open session of
the person at once: a browser session is granted on the password hash, role and active
flag (server/auth/sessions.py), so changing any of them ends it. Phones hold device
tokens: deactivating an account or changing its role revokes them; a password change does
not (the phone is still the person's and may hold unsynced records), and the admin revokes
a phone on its own from the accounts page.
"""
from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import ROLES, Device, Township, User
from server.problems import ApiError
from server.services import audit, lockout
from server.services.passwords import hash_password, verify_password

MIN_LENGTH = 8
# Passwords an attacker tries first; the demo's is among them.
_COMMON = frozenset({
    "12345678", "123456789", "1234567890", "87654321", "11111111", "00000000", "88888888",
    "password", "password1", "passw0rd", "qwertyui", "qwerty123", "abcd1234", "a1234567",
    "aa123456", "admin123", "1qaz2wsx", "iloveyou", "demo1234", "woaini1314", "abc12345",
})
# Letters and digits that cannot be misread on a phone screen or over the telephone.
_OTP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def password_problem(user: User, password: str) -> str | None:
    """Why `password` may not be this person's, as 'code|中文', or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"too_short|至少 {MIN_LENGTH} 位"
    if len(password) > 200:
        return "too_long|最多 200 位"
    if password.lower() in _COMMON or len(set(password)) < 4:
        return "too_common|密码太常见，容易被猜中"
    if user.username.lower() in password.lower():
        return "contains_username|不能包含账号名"
    return None


def is_demo_instance(session: Session) -> bool:
    """True when a township here was made by the demo generator: its passwords are
    published, so its login pages say so."""
    return bool(session.scalar(select(exists().where(Township.is_demo))))


def check_new_password(user: User, new: str) -> None:
    """Refuse a new password that may not be this person's (422 on `new_password`)."""
    if verify_password(user.password_hash, new):
        raise ApiError(422, "validation_failed",
                       {"new_password": ["same|新密码不能与当前密码相同"]})
    problem = password_problem(user, new)
    if problem:
        raise ApiError(422, "validation_failed", {"new_password": [problem]})


def change_password(session: Session, user: User, new: str, method: str) -> None:
    """The person's own change, once the caller has checked the current (or one-time)
    password within the guessing limits (server/auth/guard.py). Ends every browser session
    of theirs; the caller starts a new one for this browser."""
    check_new_password(user, new)
    user.password_hash = hash_password(new, method)
    user.must_change_password = False
    audit.record_change(session, user, f"user:{user.id}", "password_changed")


def reset_password(session: Session, admin: User, user: User, method: str,
                   secret_key: str) -> str:
    """An admin's reset: a one-time password, returned once, that only lets the person
    choose their own. Ends their sessions, lifts a lockout (`secret_key` keys the
    name's failure rows, server/services/lockout.py)."""
    one_time = "".join(secrets.choice(_OTP_ALPHABET) for _ in range(10))
    user.password_hash = hash_password(one_time, method)
    user.must_change_password = True
    user.failed_logins, user.locked_until = 0, None
    lockout.clear_name(session, secret_key, user.username)
    audit.record_change(session, admin, f"user:{user.id}", "password_reset")
    return one_time


def update_account(session: Session, admin: User, user: User, changes: dict[str, Any]) -> dict:
    """An admin's change of role, active flag or name. A role change or a deactivation
    revokes the person's phones too. Returns what changed as {field: [before, after]}."""
    changed = {}
    for field in ("full_name", "role", "active"):
        if field in changes and changes[field] != getattr(user, field):
            changed[field] = [getattr(user, field), changes[field]]
    if "role" in changed and changes["role"] not in ROLES:
        raise ApiError(422, "validation_failed", {"role": ["choice|角色不存在"]})
    if user.id == admin.id and ("role" in changed or "active" in changed):
        raise ApiError(422, "validation_failed", {"role": ["self|不能更改自己的角色或停用自己"]})
    for field, (_, after) in changed.items():
        setattr(user, field, after)
    if "role" in changed or changed.get("active", [None, True])[1] is False:
        revoke_devices(session, admin, user)
    if changed:
        audit.record_change(session, admin, f"user:{user.id}", "account_changed",
                            {k: v[0] for k, v in changed.items()},
                            {k: v[1] for k, v in changed.items()})
    return changed


def revoke_devices(session: Session, admin: User, user: User) -> int:
    """Revoke every phone of one person still in use; returns how many."""
    result = session.execute(
        update(Device).where(Device.user_id == user.id, Device.revoked_at.is_(None))
        .values(revoked_at=now_utc(), revoked_by_id=admin.id)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def revoke_device(session: Session, admin: User, device: Device) -> None:
    """Revoke one phone (lost, sold, replaced): its next request is refused. Audited;
    revoking a revoked phone changes nothing."""
    if device.revoked_at is None:
        device.revoked_at, device.revoked_by_id = now_utc(), admin.id
        audit.record_change(session, admin, f"user:{device.user_id}", "device_revoked",
                            None, {"device": device.label})
