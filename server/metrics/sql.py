"""The few SQL spellings that differ between SQLite and PostgreSQL, in one place.

Everything else in server.metrics is plain SQLAlchemy Core that both databases run alike.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Integer, Interval, String, case, cast, func, literal, or_
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql import ColumnElement

FAR_PAST = dt.date(1900, 1, 1)
FAR_FUTURE = dt.date(2999, 12, 31)


class Dialect:
    """SQL expressions for one database dialect ("sqlite" or "postgresql")."""

    def __init__(self, name: str):
        self.name = name
        self.pg = name == "postgresql"

    def date(self, value: dt.date) -> ColumnElement:
        """A date literal typed as a date on both databases."""
        return literal(value, Date)

    def typed(self, value, type_) -> ColumnElement:
        """A bound value of a known type, for the select list of the `win` CTE.

        PostgreSQL needs the type spelt out in a UNION ALL of parameters; SQLite must not
        get it (CAST AS DATE would turn '2025-01-31' into the number 2025)."""
        bound = literal(value, type_)
        return cast(bound, type_) if self.pg else bound

    def add_days(self, day, days: int) -> ColumnElement:
        """A date column plus a whole number of days."""
        if self.pg:
            return day + days
        return func.date(day, f"{days:+d} days")

    def add_months(self, day, months) -> ColumnElement:
        """A date column plus a whole number of calendar months (a column or a number):
        the same day of the month, or the month's last day when it has no such day (31
        January + 1 month = 28 or 29 February), alike on both databases."""
        if self.pg:
            return cast(day + func.make_interval(0, months, type_=Interval), Date)
        # SQLite's own '+N months' runs over into the next month (31 January + 1 month =
        # 3 March): go to the 1st of the target month, add the day, keep within the month.
        first = func.date(day, "start of month",
                          literal("+") + cast(months, String) + literal(" months"))
        offset = literal("+") + cast(cast(func.extract("day", day), Integer) - 1, String) \
            + literal(" days")
        return func.min(func.date(first, offset), func.date(first, "+1 month", "-1 day"))

    def greatest(self, *exprs) -> ColumnElement:
        """The largest of non-NULL expressions (callers coalesce NULLs away first)."""
        return func.greatest(*exprs) if self.pg else func.max(*exprs)

    def least(self, *exprs) -> ColumnElement:
        """The smallest of non-NULL expressions."""
        return func.least(*exprs) if self.pg else func.min(*exprs)

    def days_inclusive(self, first, last) -> ColumnElement:
        """Days from `first` to `last`, both counted (1 when equal, <= 0 when reversed)."""
        if self.pg:
            return (last - first) + 1
        return cast(func.julianday(last) - func.julianday(first), Integer) + 1

    def days_after(self, moment, day) -> ColumnElement:
        """Whole days from the date `day` to the timestamp `moment` (server storage time)."""
        if self.pg:
            return cast(moment, Date) - day
        return cast(func.julianday(func.substr(moment, 1, 10)) - func.julianday(day), Integer)

    def minutes_between(self, earlier, later) -> ColumnElement:
        """Minutes from one timestamp to another, as a float."""
        if self.pg:
            return func.extract("epoch", later - earlier) / 60.0
        # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff"; julianday reads the first 19 chars
        # fine but some builds refuse the offset suffix, so cut to the seconds.
        return (func.julianday(func.substr(later, 1, 19))
                - func.julianday(func.substr(earlier, 1, 19))) * 1440.0

    def json_items(self, column):
        """A table-valued expansion of a JSON array column, and a getter for its fields.

        Returns (from-clause, get(field) -> text expression, element-as-text expression).
        """
        if self.pg:
            # jsonb_array_elements fails on a scalar (a JSON null), so hand it a list.
            arr = case((func.jsonb_typeof(column) == "array", column),
                       else_=cast(literal("[]"), JSONB))
            tv = func.jsonb_array_elements(arr).table_valued("value").alias("item")
            return (tv, lambda field: tv.c.value.op("->>")(field),
                    func.btrim(cast(tv.c.value, String), '"'))
        arr = case((func.json_type(column) == "array", column), else_=literal("[]"))
        tv = func.json_each(arr).table_valued("value").alias("item")
        return (tv, lambda field: func.json_extract(tv.c.value, f"$.{field}"),
                cast(tv.c.value, String))

    def text_date(self, text) -> ColumnElement:
        """A "YYYY-MM-DD" text as a date (SQLite keeps dates as that text anyway)."""
        return cast(text, Date) if self.pg else text

    def uuid_text_key(self, text) -> ColumnElement:
        """A UUID written as text with dashes (JSON lists hold those), in the form that
        `uuid_column_key` gives a UUID column: join on the two, no per-row conversion."""
        # SQLite stores UUIDs as 32 hex digits without dashes.
        return text if self.pg else func.replace(text, "-", "")

    def uuid_column_key(self, uuid_column) -> ColumnElement:
        """A UUID column in the form `uuid_text_key` gives."""
        return cast(uuid_column, String) if self.pg else uuid_column

    def json_is_empty(self, column) -> ColumnElement:
        """True when a JSON column is SQL NULL, JSON null or an empty list."""
        return or_(column.is_(None), cast(column, String).in_(("null", "[]")))


def months_of_age(dialect: Dialect, birth, on: dt.date) -> ColumnElement:
    """Whole months of age on the date `on`, from a birth-date column (portable)."""
    del dialect  # same spelling on both: extract() compiles to strftime on SQLite
    years = func.extract("year", birth)
    months = func.extract("month", birth)
    days = func.extract("day", birth)
    return (cast(on.year * 12 + on.month, Integer) - cast(years * 12 + months, Integer)
            - case((days > on.day, 1), else_=0))


def months_inclusive(first, last) -> ColumnElement:
    """Calendar months from the month of `first` to the month of `last`, both counted."""
    return (cast(func.extract("year", last) * 12 + func.extract("month", last), Integer)
            - cast(func.extract("year", first) * 12 + func.extract("month", first), Integer)
            + 1)


def batch_settings(session) -> None:
    """PostgreSQL settings for a batch's transaction (SET LOCAL: this transaction only).

    The batch's queries are many and each takes well under a second: JIT-compiling them
    (PostgreSQL does above a cost estimate that their joins always pass) took 0.4 s a
    query, and starting parallel workers up to as much on a busy 2-core server. Their
    sorts and hashes hold a window's worth of rows per resident; at the default 4 MB
    they spill to disk. Nothing to do on SQLite."""
    from sqlalchemy import text

    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SET LOCAL jit = off"))
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    session.execute(text("SET LOCAL work_mem = '64MB'"))


def quarter_index(day) -> ColumnElement:
    """year * 4 + quarter (0-3) of a date column: consecutive quarters differ by 1."""
    return (cast(func.extract("year", day), Integer) * 4
            + (cast(func.extract("month", day), Integer) - 1) // 3)
