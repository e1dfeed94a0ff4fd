"""The one clock helper: every server-side timestamp comes from here.

Why one place: tests freeze it, and nothing the server orders or counts may depend
on a phone's clock (see docs/adr/0003-server-time.md).
"""
from __future__ import annotations

import datetime as dt


def now_utc() -> dt.datetime:
    """Return the current time as an aware UTC datetime."""
    return dt.datetime.now(dt.UTC)


def today_local() -> dt.date:
    """Return today's date in China Standard Time (UTC+8), the date doctors see."""
    return (now_utc() + dt.timedelta(hours=8)).date()
