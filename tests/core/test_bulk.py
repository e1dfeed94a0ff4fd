"""Bulk row conversion (core/bulk.py): the quick processors write exactly
what SQLAlchemy's own bind processors write."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime
from sqlalchemy.dialects import postgresql, sqlite

from core.bulk import quick_processor
from core.models.base import UTCDateTime

SQLITE = sqlite.dialect()
OFFSETS = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: dt.timezone(dt.timedelta(minutes=m)))


def _pair(column_type, dialect=SQLITE):
    proc = column_type._cached_bind_processor(dialect)
    return proc, quick_processor(column_type, dialect, proc)


@settings(max_examples=500, deadline=None)
@given(moment=st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30),
                           timezones=OFFSETS))
def test_utc_times_as_sqlalchemy_writes_them(moment):
    proc, quick = _pair(UTCDateTime())
    assert quick is not proc
    assert quick(moment) == proc(moment)


@settings(max_examples=300, deadline=None)
@given(day=st.dates())
def test_dates_as_sqlalchemy_writes_them(day):
    proc, quick = _pair(Date())
    assert quick is not proc
    assert quick(day) == proc(day)


def test_anything_else_goes_to_sqlalchemy():
    proc, quick = _pair(UTCDateTime())
    naive = dt.datetime(2026, 11, 23, 10, 0)
    try:
        proc(naive)
    except ValueError as e:
        expected = str(e)
    try:
        quick(naive)
    except ValueError as e:
        assert str(e) == expected
    else:  # pragma: no cover - the failure this test exists for
        raise AssertionError("a naive time must be refused as SQLAlchemy refuses it")
    proc, quick = _pair(Date())
    moment = dt.datetime(2026, 11, 23, 10, 0)  # a datetime is a date too: SQLAlchemy decides
    assert quick(moment) == proc(moment)


def test_other_databases_and_types_keep_sqlalchemys_processor():
    for column_type in (UTCDateTime(), Date()):
        proc = column_type._cached_bind_processor(postgresql.dialect())
        assert quick_processor(column_type, postgresql.dialect(), proc) is proc
    plain = DateTime()
    proc = plain._cached_bind_processor(SQLITE)
    assert quick_processor(plain, SQLITE, proc) is proc
