"""The columns every indicator builder returns, and the pieces they share.

A builder (server/metrics/compute.py, chronic.py, doses.py) returns one row per window
and counted unit with the columns wid, resident_id, village_id, doctor_id, num, den and
reason; `rows` makes them from a population-shaped source.
"""
from __future__ import annotations

from sqlalchemy import Integer, Select, case, cast, literal, null, select

from core.models import ServiceRecord
from server.metrics.population import Window, Windows, live_records

SRT = ServiceRecord.__table__
SR = SRT.c
ONE = literal(1)
AnyWindow = Window | Windows


def rows(src, num, reason=None, den=ONE) -> Select:
    """The standard columns over a population-shaped source (one row per window)."""
    return select(src.c.wid, src.c.resident_id, src.c.village_id, src.c.doctor_id,
                  cast(num, Integer).label("num"), den.label("den"),
                  (reason if reason is not None else null()).label("reason"))


def flag(cond) -> case:
    """1 where `cond` holds, else 0."""
    return case((cond, 1), else_=0)


def live(ws: Windows, as_of) -> object:
    """Records stored by the window's as_of (a `win` column) and not deleted by then."""
    return live_records(ws, as_of=as_of)
