"""When a record was entered, on the server's clock (docs/adr/0050-entry-time.md).

A phone says when it made a record (`device_created_at`, else the op's `device_time`), by
its own clock, which may be days or decades off. The request that brings the record says
what that clock read when it was sent (`device_time`), and the server knows when the
request arrived: the difference, the skew, corrects the phone's claim. The claim itself
stays stored as the phone's; the quality checks read only the corrected time.
"""
from __future__ import annotations

import datetime as dt
import functools
import uuid
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from core.bulk import bulk_insert
from core.models import RecordEntry
from server.schemas.base import DateTime

# No phone holds a record unsynced longer than this; an estimate earlier than this before
# the record arrived says the phone's clock jumped between entry and sync.
OFFLINE_HORIZON = dt.timedelta(days=90)
_CST_OFFSET = dt.timedelta(hours=8)  # China time has no summer time
_DATETIME = DateTime()


def clock_skew(device_time: dt.datetime | None, received_at: dt.datetime) -> int | None:
    """The phone's clock minus the server's, in whole seconds, from a request's
    `device_time` (None when the phone sent none)."""
    if device_time is None:
        return None
    return round((device_time - received_at).total_seconds())


def entry_time(claimed: dt.datetime | None, skew_s: int | None, received_at: dt.datetime,
               service_date: dt.date | None) -> tuple[dt.datetime, str]:
    """The server-clock time a record was entered, and its basis: "phone" (the phone's
    claim corrected by the skew of the request that brought it) or "receipt" (the time the
    server received it, when no sensible estimate exists).

    An estimate is sensible when it is not after the request arrived and not before the
    start of the service date (China time), nor more than `OFFLINE_HORIZON` before the
    request: outside that, the phone's clock changed between entry and sync, and nothing
    it says about the entry can be trusted."""
    if claimed is None or skew_s is None:
        return received_at, "receipt"
    try:
        estimate = claimed - dt.timedelta(seconds=skew_s)
    except OverflowError:  # a clock at year 1 or 9999
        return received_at, "receipt"
    floor = received_at - OFFLINE_HORIZON
    if service_date is not None:
        floor = max(floor, _day_start(service_date))
    if not floor <= estimate <= received_at:
        return received_at, "receipt"
    return estimate, "phone"


@functools.lru_cache(maxsize=1024)
def _day_start(day: dt.date) -> dt.datetime:
    """00:00 China time on `day`, in UTC (a push's records share a few days: cached)."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) - _CST_OFFSET


def _datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)  # every form the schema accepts, quickly
    except (TypeError, ValueError):
        try:
            parsed = _DATETIME.deserialize(value)
        except ValidationError:
            return None
    return parsed if parsed.tzinfo is not None else None


@functools.lru_cache(maxsize=1024)
def _date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def store_entry_times(session: Session, ops: list[Any], results: Any, skew_s: int | None,
                      received_at: dt.datetime) -> None:
    """Store the entry time of every record this push created (`results` as
    `sync.push.apply_push` returns them, one per op). Replayed answers of earlier pushes
    carry seqs at or below the push's counter at the lock and are skipped: their records
    have theirs. The caller commits."""
    rows = []
    first_new = getattr(results, "counter_at_lock", 0)
    for op, result in zip(ops, results, strict=True):
        if (result.get("status") != "accepted" or (result.get("seq") or 0) <= first_new
                or op.get("entity") != "record" or op.get("action") != "create"):
            continue
        data = op["data"]
        # The same rule as sync.prepare.record_body: the body's own time, else the op's.
        claimed = data["device_created_at"] if "device_created_at" in data \
            else op.get("device_time")
        day = data.get("service_date")
        at, basis = entry_time(_datetime(claimed), skew_s, received_at,
                               _date(day) if isinstance(day, str) else None)
        rows.append({"record_id": uuid.UUID(result["id"]), "entered_at": at,
                     "clock_skew_s": skew_s, "basis": basis})
    if rows:
        bulk_insert(session, RecordEntry.__table__, rows)
