"""The township admin's accounts API: list, change role or state, reset a password.

Each change ends the person's browser sessions at once (server/auth/sessions.py); a role
change or deactivation also revokes their phones (server/services/accounts.py).
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from core.models import ROLES, Device, User
from server.auth.current import admin_required
from server.extensions import db
from server.problems import ApiError
from server.schemas.base import ApiSchema, Bool, Str
from server.services import accounts, scope

bp = Blueprint("accounts", __name__, url_prefix="/api/users")


class AccountChangeSchema(ApiSchema):
    """What an admin may change on an account."""

    full_name = Str(max_len=100, min_len=1)
    role = Str(max_len=20)
    active = Bool()


def _in_township(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.township_id != g.user.township_id:
        raise ApiError(404, "not_found")
    return user


def account_dict(user: User) -> dict:
    """An account as the admin sees it, with its phones."""
    phones = db.session.scalars(db.select(Device).where(Device.user_id == user.id)
                                .order_by(Device.created_at)).all()
    return {
        "id": user.id, "username": user.username, "full_name": user.full_name,
        "role": user.role, "active": user.active,
        "must_change_password": user.must_change_password,
        "locked": user.locked_until is not None,
        "village_ids": sorted(scope.village_ids(db.session, user)) if user.is_doctor else [],
        "devices": [{
            "id": str(d.id), "label": d.label, "enrolled_at": d.created_at.isoformat(),
            "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
            "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None,
        } for d in phones],
    }


@bp.get("")
@admin_required
def list_accounts():
    """Every account of the admin's township, with its phones."""
    users = db.session.scalars(db.select(User).where(User.township_id == g.user.township_id)
                               .order_by(User.role, User.username)).all()
    return jsonify([account_dict(u) for u in users])


@bp.patch("/<int:user_id>")
@admin_required
def change_account(user_id: int):
    """Change a name, a role (one of ROLES) or the active flag."""
    data = AccountChangeSchema().load(request.get_json(silent=False))
    if "role" in data and data["role"] not in ROLES:
        raise ApiError(422, "validation_failed", {"role": ["choice|角色不存在"]})
    user = _in_township(user_id)
    accounts.update_account(db.session, g.user, user, data)
    db.session.commit()
    return jsonify(account_dict(user))


@bp.post("/<int:user_id>/reset-password")
@admin_required
def reset_password(user_id: int):
    """A one-time password, shown once to the admin, to hand to the person by word of
    mouth; it only lets them choose their own."""
    user = _in_township(user_id)
    one_time = accounts.reset_password(db.session, g.user, user,
                                       current_app.config["PASSWORD_HASH_METHOD"],
                                       current_app.config["SECRET_KEY"])
    db.session.commit()
    return jsonify({"id": user.id, "one_time_password": one_time})
