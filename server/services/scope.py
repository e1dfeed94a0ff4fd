"""Who may see what: a doctor their own villages, staff their township.

Every read and write path asks this module; no view filters by hand. Flask-free, so the
sync engine uses the same rules.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User, Village, doctor_villages
from server.problems import ApiError


def village_ids(session: Session, user: User) -> set[int]:
    """Return the ids of the villages `user` may read and write."""
    if user.is_doctor:
        rows = session.execute(
            select(doctor_villages.c.village_id).where(doctor_villages.c.user_id == user.id)
        )
    else:
        rows = session.execute(select(Village.id).where(Village.township_id == user.township_id))
    return {r[0] for r in rows}


def require_village(session: Session, user: User, village_id: int,
                    field: str = "village_id") -> None:
    """Raise 403 unless `user` may work in `village_id` (404 would leak less, but a doctor
    who typed a wrong village deserves to know it is not theirs)."""
    if village_id not in village_ids(session, user):
        raise ApiError(403, "forbidden", {field: [{"code": "out_of_scope",
                                                  "message": "不是您负责的村"}]})


def not_yours(field: str = "id") -> ApiError:
    """The one answer for an id that does not exist and for one outside the caller's scope.

    Both read the same (code, message and status), so an answer never tells whether an id
    exists in another village, and never carries anything of it."""
    return ApiError(404, "not_found", {field: [{"code": "out_of_scope",
                                               "message": "不存在或不在您负责的村"}]})
