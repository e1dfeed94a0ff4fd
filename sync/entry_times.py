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

from core.bulk import RowPlan
from core.models import RecordEntry

# No phone holds a record unsynced longer than this; an estimate earlier than this before
# the record arrived says the phone's clock jumped between entry and sync.
OFFLINE_HORIZON = dt.timedelta(days=90)
_CST_OFFSET = dt.timedelta(hours=8)  # China time has no summer time


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


class EntryClock:
    """What a push knows of the phone's clock (the skew of the request that brings the
    records, and when it arrived), and the table rows it makes of that: one
    `record_entries` row per record the push creates, as driver values
    (`server.services.bulk.RowPlan`), built with the record's other rows."""

    __slots__ = ("skew_s", "received_at", "plan")

    def __init__(self, skew_s: int | None, received_at: dt.datetime, dialect: Any):
        self.skew_s, self.received_at = skew_s, received_at
        self.plan = RowPlan(dialect, RecordEntry.__table__, {"clock_skew_s": skew_s})

    def values(self, record_id: uuid.UUID, body: dict[str, Any]) -> tuple | dict[str, Any]:
        """The entry row of a new record from its validated body: the claim is the body's
        `device_created_at`, which `sync.prepare.record_body` fills from the op's
        `device_time` when the phone sent none (a parsed, aware datetime, or None)."""
        at, basis = entry_time(body.get("device_created_at"), self.skew_s, self.received_at,
                               body.get("service_date"))
        return self.plan.values({"record_id": record_id, "entered_at": at,
                                 "clock_skew_s": None, "basis": basis})
