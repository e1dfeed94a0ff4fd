"""Verification samples (电话抽查): residents with recorded services and a phone, drawn at
random; staff call and record confirmed / denied / unreachable. A denial counts against
the doctor who recorded the service (docs/adr/0023-verification-sample.md).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.clock import now_utc
from core.models import Resident, ServiceRecord, VerificationCall, VerificationSample
from core.models.metrics import OUTCOMES
from server.metrics.definitions import parse_period
from server.metrics.population import live_records, make_window
from server.problems import ApiError

SRT = ServiceRecord.__table__
SR = SRT.c


def draw_sample(session: Session, township_id: int, period_key: str, size: int,
                user_id: int | None = None, now: dt.datetime | None = None) -> \
        VerificationSample:
    """Draw `size` residents at random, each with one random service of theirs in the period."""
    now = now or now_utc()
    period = parse_period(period_key)
    w = make_window(session, township_id, period, now)
    r = Resident
    candidates = (select(SR.id, SR.resident_id, SR.village_id, SR.doctor_id,
                         func.row_number().over(partition_by=SR.resident_id,
                                                order_by=func.random()).label("rn"))
                  .join(r, r.id == SR.resident_id)
                  .where(live_records(w), SR.service_date >= period.start,
                         SR.service_date <= period.end, r.phone.is_not(None), r.phone != "",
                         r.deleted_at.is_(None), r.died_on.is_(None))
                  .subquery("candidates"))
    # Residents first, then one service each: someone seen twelve times is not twelve
    # times likelier to be called.
    chosen = session.execute(select(candidates).where(candidates.c.rn == 1)
                             .order_by(func.random()).limit(size)).all()
    sample = VerificationSample(township_id=township_id, period=period.key, drawn_at=now,
                                drawn_by_id=user_id)
    sample.calls = [VerificationCall(record_id=c.id, resident_id=c.resident_id,
                                     village_id=c.village_id, doctor_id=c.doctor_id)
                    for c in chosen]
    session.add(sample)
    session.flush()
    return sample


def record_outcome(session: Session, township_id: int, call_id: int, outcome: str,
                   note: str | None, user_id: int, now: dt.datetime | None = None) -> \
        VerificationCall:
    """Record what the resident said; 404 outside the township, 422 for a bad outcome."""
    call = session.get(VerificationCall, call_id)
    if call is None or call.sample.township_id != township_id:
        raise ApiError(404, "not_found")
    if outcome not in OUTCOMES:
        raise ApiError(422, "validation_failed", {"outcome": [{"code": "choice",
                                                               "message": "结果无效"}]})
    call.outcome, call.note = outcome, (note or "").strip()[:200] or None
    call.called_by_id, call.called_at = user_id, now or now_utc()
    session.flush()
    return call


def denied_by_doctor(session: Session, township_id: int, period_key: str) -> dict[int, int]:
    """{doctor_id: denied calls} about services dated in the period."""
    period = parse_period(period_key)
    c, sr = VerificationCall, SR
    rows = session.execute(
        select(c.doctor_id, func.count())
        .join(VerificationSample, VerificationSample.id == c.sample_id)
        .join(SRT, sr.id == c.record_id)
        .where(VerificationSample.township_id == township_id, c.outcome == "denied",
               sr.service_date >= period.start, sr.service_date <= period.end)
        .group_by(c.doctor_id))
    return {doctor: n for doctor, n in rows}
