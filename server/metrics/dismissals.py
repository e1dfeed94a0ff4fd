"""Dismissed quality flags: staff's "reviewed, not a problem", kept across the nightly rewrite.

The nightly job deletes and rewrites every flag, so a dismissal cannot point at a flag
row. It is keyed on the check and the flag's subject (resident and/or record) and
remembers what the finding looked like: its detail (the values, the group size, the
last service) and the record's version. After each rewrite, `apply` marks the flags a
standing dismissal still fits; a flag whose data changed comes back as a new finding,
and the old dismissal stays as history (docs/adr/0027-dismissing-quality-flags.md).
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import QualityDismissal, QualityFlag, ServiceRecord, User
from server.problems import ApiError
from server.services import audit

REASON_MAX = 200


def _fits(d, f):
    """The dismissal `d` still fits the flag `f` (NULLs equal: a resident flag has no record)."""
    # Correlated by hand: two levels down, SQLAlchemy would not correlate the flag itself.
    version = (select(ServiceRecord.version).where(ServiceRecord.id == f.record_id)
               .correlate(QualityFlag.__table__).scalar_subquery())
    return and_(d.township_id == f.township_id, d.check == f.check,
                d.resident_id.is_not_distinct_from(f.resident_id),
                d.record_id.is_not_distinct_from(f.record_id),
                d.detail.is_not_distinct_from(f.detail),
                d.record_version.is_not_distinct_from(version),
                d.withdrawn_at.is_(None))


def apply(session: Session, township_id: int) -> int:
    """Mark the township's fresh flags that a standing dismissal fits; return how many."""
    standing = session.scalar(select(func.count()).select_from(QualityDismissal).where(
        QualityDismissal.township_id == township_id, QualityDismissal.withdrawn_at.is_(None)))
    if not standing:
        return 0
    f, d = QualityFlag.__table__.c, QualityDismissal.__table__.c
    match = select(func.max(d.id)).where(_fits(d, f)).scalar_subquery()
    session.execute(update(QualityFlag.__table__).where(f.township_id == township_id)
                    .values(dismissal_id=match))
    return session.scalar(select(func.count()).select_from(QualityFlag).where(
        QualityFlag.township_id == township_id, QualityFlag.dismissal_id.is_not(None))) or 0


STALE = "质量核查已重新运行,该条已更新,请在列表中重新操作。"


def subject_of(flag) -> str:
    """What a form names a flag by besides its row id: the check and its subject. Row ids
    are reused after the nightly rewrite, so a page loaded yesterday must not dismiss
    whatever finding carries its id today."""
    return f"{flag.check}:{flag.record_id or flag.resident_id}"


def dismiss(session: Session, user: User, flag_id: int, reason: str,
            expect: str | None = None) -> QualityDismissal:
    """Dismiss one current flag with a reason; audited. `expect` is the `subject_of` the
    page showed. Raises ApiError (422 bad reason, 404, 409 already dismissed or stale)."""
    reason = (reason or "").strip()
    if not reason:
        raise ApiError(422, "validation_failed", {"reason": [{
            "code": "required", "message": "请填写核实说明(例如:确为双胞胎、复核读数无误)"}]},
            "请填写核实说明")
    if len(reason) > REASON_MAX:
        raise ApiError(422, "validation_failed", {"reason": [{
            "code": "too_long", "message": f"核实说明不能超过{REASON_MAX}字"}]},
            f"核实说明不能超过{REASON_MAX}字")
    flag = session.get(QualityFlag, flag_id)
    if flag is None or flag.township_id != user.township_id:
        raise ApiError(404, "not_found")
    if expect is not None and expect != subject_of(flag):
        raise ApiError(409, "conflict", message=STALE)
    if flag.dismissal_id is not None:
        raise ApiError(409, "conflict", message="该问题已被标记为已核实")
    version = None if flag.record_id is None else session.scalar(
        select(ServiceRecord.version).where(ServiceRecord.id == flag.record_id))
    row = QualityDismissal(township_id=flag.township_id, check=flag.check,
                           resident_id=flag.resident_id, record_id=flag.record_id,
                           detail=flag.detail, record_version=version, reason=reason,
                           dismissed_by_id=user.id, dismissed_at=now_utc())
    session.add(row)
    session.flush()
    flag.dismissal_id = row.id
    audit.record_change(session, user, f"quality:{subject_of(flag)}", "dismiss",
                        after={"detail": flag.detail, "record_version": version},
                        note=reason)
    return row


def withdraw(session: Session, user: User, dismissal_id: int) -> QualityDismissal:
    """Take a dismissal back: its flags count again from now on; audited."""
    row = session.get(QualityDismissal, dismissal_id)
    if row is None or row.township_id != user.township_id:
        raise ApiError(404, "not_found")
    if row.withdrawn_at is None:
        row.withdrawn_at, row.withdrawn_by_id = now_utc(), user.id
        session.execute(update(QualityFlag).where(QualityFlag.dismissal_id == row.id)
                        .values(dismissal_id=None))
        audit.record_change(session, user, f"quality:{subject_of(row)}", "withdraw",
                            before={"reason": row.reason}, note=row.reason)
    return row


def dismissed_by_doctor(session: Session, township_id: int, start: dt.date, end: dt.date,
                        as_of: dt.datetime) -> dict[int, dict[str, int]]:
    """{doctor_id: {check: n}} of dismissed flags counted the way the rollups count
    findings: service date in the period, record stored by as_of."""
    q = QualityFlag
    rows = session.execute(
        select(q.doctor_id, q.check, func.count())
        .where(q.township_id == township_id, q.dismissal_id.is_not(None),
               q.service_date >= start, q.service_date <= end,
               q.record_created_at.is_(None) | (q.record_created_at <= as_of))
        .group_by(q.doctor_id, q.check))
    out: dict[int, dict[str, int]] = defaultdict(dict)
    for doctor_id, check, n in rows:
        if doctor_id is not None:
            out[doctor_id][check] = n
    return dict(out)
