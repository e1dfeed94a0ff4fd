"""Who is in a period's denominators: the windows, the population and the patients.

The rule (docs/adr/0020-denominators.md): a permanent resident (常住) counts in a
period's denominators if they belonged to the village at any time from 1 January to the
period's end; their time present bounds what is asked of them (follow-ups pro-rated by
calendar months present). Only records the server had stored by `as_of` count, so a closed period
can be recomputed to the same figures; residents count by their own dates (moved in,
moved out, died, record opened), which the register keeps.

Several windows are computed in one pass (docs/adr/0026-multi-period-rollups.md): each
window is a row of the small `win` CTE, whose dates are worked out here in Python, and
every builder joins it, so one query answers all of them, grouped by `wid`.
"""
from __future__ import annotations

import calendar
import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import (
    Date,
    Integer,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from core.models import (
    ROLE_DOCTOR,
    Household,
    Resident,
    ResidentCondition,
    ServiceRecord,
    User,
    Village,
    doctor_villages,
)
from core.models.base import UTCDateTime
from server.metrics.definitions import Period, settings_for, years_before
from server.metrics.sql import FAR_FUTURE, FAR_PAST, Dialect, quarter_index

CST = dt.timezone(dt.timedelta(hours=8))


def calendar_month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass
class Window:
    """What one computation looks at: a township, a period, and the records stored by as_of."""

    township_id: int
    period: Period
    as_of: dt.datetime
    settings: dict
    village_ids: list[int]
    sql: Dialect

    @property
    def end(self) -> dt.date:
        """The period's end, or the as_of day for a period still running (year to date)."""
        return min(self.period.end, self.as_of.astimezone(CST).date())

    @property
    def ystart(self) -> dt.date:
        """1 January of the period's year: annual rules look from there."""
        return dt.date(self.period.year, 1, 1)

    @property
    def year_days(self) -> int:
        """Days in the period's year (366 in a leap year)."""
        return (dt.date(self.period.year + 1, 1, 1) - self.ystart).days

    def setting(self, key: str, field: str, default=None):
        """One field of one setting."""
        return self.settings.get(key, {}).get(field, default)

    def dates(self) -> dict:
        """Every date (and as_of) a builder compares with: the window's row in `win`.

        Worked out here, once, so SQL only compares; two windows with equal rows give
        equal results. `pstart`/`pend` are the period's own bounds, read only by
        indicators that count the period itself."""
        age = self.settings.get("age_thresholds", {})
        end = self.end
        return {
            "pstart": self.period.start, "pend": self.period.end, "wend": end,
            "ystart": self.ystart, "as_of": self.as_of,
            "year_ago": years_before(end, 1),
            # Ages are taken at the period's end (ADR 0020), children's at the window's.
            "elderly_born_by": years_before(self.period.end, int(age.get("elderly", 65))),
            "relaxed_born_by": years_before(self.period.end, int(age.get("bp_relaxed", 65))),
            "child_born_after": years_before(end, int(age.get("child_max", 6)) + 1),
            "end_ym": end.year * 12 + end.month, "end_day": end.day,
            # The window's quarter, and whether the window ends with it (1) or inside it
            # (0): follow-ups are asked per quarter (docs/indicators.md#htn_standard).
            "end_q": end.year * 4 + (end.month - 1) // 3,
            "end_q_done": int(end.month % 3 == 0 and end == calendar_month_end(end)),
        }

    def key(self, whole_period: bool) -> tuple:
        """What the results depend on: the row without the period's own bounds for a
        year-to-date indicator (a quarter and its last month share it), else all of it."""
        row = self.dates()
        if not whole_period:
            del row["pstart"], row["pend"]
        return tuple(sorted(row.items()))


WINDOW_TYPES = {"pstart": Date, "pend": Date, "wend": Date, "ystart": Date,
                "as_of": UTCDateTime, "year_ago": Date, "elderly_born_by": Date,
                "relaxed_born_by": Date, "child_born_after": Date,
                "end_ym": Integer, "end_day": Integer, "end_q": Integer, "end_q_done": Integer}


@dataclass
class Windows:
    """Windows of one township computed together: the rows of the `win` CTE, by wid."""

    items: list[Window]
    table: object = field(init=False)
    # pop and patients_<condition> built once as temporary tables (see materialize).
    materialized: dict = field(init=False, default_factory=dict)

    def __post_init__(self):
        first = self.items[0]
        self.township_id, self.settings = first.township_id, first.settings
        self.village_ids, self.sql = first.village_ids, first.sql
        rows = [select(literal(wid, Integer).label("wid"),
                       *(self.sql.typed(v, WINDOW_TYPES[k]).label(k)
                         for k, v in w.dates().items()))
                for wid, w in enumerate(self.items)]
        self.table = (rows[0] if len(rows) == 1 else union_all(*rows)).cte("win")

    def setting(self, key: str, field: str, default=None):
        """One field of one setting (the township's, shared by every window)."""
        return self.settings.get(key, {}).get(field, default)


def in_periods(stmt: Select, ws: Windows, table) -> Select:
    """`stmt` over a records table joined to each window whose period holds the record
    (service date in [period start, window end], stored by as_of, not deleted by then)."""
    win = ws.table
    return stmt.join(win, and_(table.service_date >= win.c.pstart,
                               table.service_date <= win.c.wend,
                               stored_by(table, win.c.as_of))) \
        .where(table.village_id.in_(ws.village_ids))


def as_windows(w: Window | Windows) -> Windows:
    """A Windows of one, for the single-period callers (drill-down, one period)."""
    return w if isinstance(w, Windows) else Windows([w])


def make_window(session: Session, township_id: int, period: Period,
                as_of: dt.datetime) -> Window:
    """Build the Window of one township and period."""
    villages = list(session.scalars(select(Village.id).where(Village.township_id == township_id)
                                    .order_by(Village.id)))
    return Window(township_id, period, as_of, settings_for(session, township_id), villages,
                  Dialect(session.get_bind().dialect.name))


def live_records(w: Window | Windows, table=None, as_of=None):
    """Records the server had stored by as_of and not deleted by then, in the township.

    `as_of` defaults to the window's own; a multi-window builder passes its `win` column."""
    table = table if table is not None else ServiceRecord.__table__.c
    as_of = as_of if as_of is not None else w.as_of
    return and_(table.village_id.in_(w.village_ids), stored_by(table, as_of))


def stored_by(table, as_of):
    """Records stored by as_of and not deleted by then (any township: for queries that
    already keep to the township's villages, since PostgreSQL would count the same
    village filter twice and expect a seventeenth of the rows)."""
    return and_(table.created_at <= as_of,
                or_(table.deleted_at.is_(None), table.deleted_at > as_of))


def village_doctor() -> Select:
    """Each village's first village doctor, responsible where a household names nobody."""
    return (select(doctor_villages.c.village_id, func.min(User.id).label("doctor_id"))
            .join(User, User.id == doctor_villages.c.user_id)
            .where(User.role == ROLE_DOCTOR)
            .group_by(doctor_villages.c.village_id))


def each_window(stmt: Select, win, on) -> Select:
    """`stmt` joined to every window that `on` admits: an inner join, spelt as a LEFT JOIN
    and "wid IS NOT NULL".

    SQLite never reorders a LEFT JOIN, so the tables already in `stmt` are looped first
    and their lookups (household, doctor) run once per resident instead of once per
    resident and window; PostgreSQL sees the strict filter, makes it an inner join again
    and plans it freely."""
    return stmt.outerjoin(win, on).where(win.c.wid.is_not(None))


# The window dates each set carries (Window.dates): only those its indicators read, so
# the temporary tables of a backfill stay narrow.
POP_DATES = ("pstart", "wend", "as_of", "year_ago", "elderly_born_by", "child_born_after",
             "end_ym", "end_day")
PATIENT_DATES = ("wend", "as_of", "relaxed_born_by", "end_q_done")


def _resident_columns(ws: Windows, win, dates: tuple[str, ...]) -> tuple[dict, object, object]:
    """Columns (by name) for residents joined to `win`, with the window `dates`, and the
    condition that a resident belongs to a window (present at some time from 1 January
    to its end): born, moved in by its end, not moved out or dead before 1 January
    (docs/indicators.md#common). present_from / present_to bound their time in it."""
    sql, r = ws.sql, Resident
    vdoc = village_doctor().subquery("vdoc")
    columns = {
        "wid": win.c.wid, "resident_id": r.id.label("resident_id"), "village_id": r.village_id,
        "doctor_id": func.coalesce(Household.responsible_doctor_id, vdoc.c.doctor_id)
        .label("doctor_id"),
        "birth_date": r.birth_date,
        "present_from": sql.greatest(win.c.ystart, r.birth_date,
                                     func.coalesce(r.moved_in_on, sql.date(FAR_PAST))),
        "present_to": sql.least(win.c.wend, func.coalesce(r.moved_out_on, sql.date(FAR_FUTURE)),
                                func.coalesce(r.died_on, sql.date(FAR_FUTURE))),
        **{d: win.c[d] for d in dates},
    }
    present = and_(or_(r.deleted_at.is_(None), r.deleted_at > win.c.as_of),
                   r.birth_date <= win.c.wend,
                   or_(r.moved_in_on.is_(None), r.moved_in_on <= win.c.wend),
                   or_(r.moved_out_on.is_(None), r.moved_out_on >= win.c.ystart),
                   or_(r.died_on.is_(None), r.died_on >= win.c.ystart))
    return columns, present, vdoc


def while_present(r, day) -> object:
    """`day` falls in the resident's own time here (born, moved in, not moved out or
    dead before it): `r` is the residents table's columns, for a record already joined
    to its resident (docs/indicators.md#common)."""
    return and_(day >= r.birth_date, or_(r.moved_in_on.is_(None), day >= r.moved_in_on),
                or_(r.moved_out_on.is_(None), day <= r.moved_out_on),
                or_(r.died_on.is_(None), day <= r.died_on))


def _registered(stmt: Select, ws: Windows, vdoc) -> Select:
    """Residents' household and village doctor joined, permanent residents of the township."""
    r = Resident
    return (stmt.outerjoin(Household, Household.id == r.household_id)
            .outerjoin(vdoc, vdoc.c.village_id == r.village_id)
            .where(r.village_id.in_(ws.village_ids), r.permanent.is_(True)))


def population(w: Window | Windows):
    """CTE of the permanent residents present at some time from 1 January to the end,
    one row per resident and window.

    Columns: wid, resident_id, village_id, doctor_id (responsible), birth_date,
    present_from, present_to (their time in the window: services outside it count in no
    numerator), record_created_on, record_no, contract_signed_on, and the window's
    POP_DATES.
    """
    ws = as_windows(w)
    if "pop" in ws.materialized:
        return ws.materialized["pop"]
    win, r = ws.table, Resident
    columns, present, vdoc = _resident_columns(ws, win, POP_DATES)
    stmt = _registered(select(*(c.label(k) for k, c in columns.items()), r.record_created_on,
                              r.record_no, r.contract_signed_on).select_from(r), ws, vdoc)
    return each_window(stmt, win, present).cte("pop")


def patients(w: Window | Windows, condition: str):
    """CTE of the population's patients under management for `condition`, per window.

    Adds managed_from / managed_to (presence and management intersected) and `required`,
    the counted follow-ups asked of them: one per calendar quarter under management
    (docs/indicators.md#htn_standard, docs/adr/0058-national-definitions.md). Starts from
    the condition register, not the whole population: patients are a tenth of it.
    """
    ws = as_windows(w)
    if f"patients_{condition}" in ws.materialized:
        return ws.materialized[f"patients_{condition}"]
    sql, win = ws.sql, ws.table
    rc = ResidentCondition
    mine = Resident.__table__.alias("mine")  # the register holds every township's patients
    cond = (each_window(
        select(win.c.wid, rc.resident_id, func.min(rc.managed_since).label("since"),
               func.max(func.coalesce(rc.ended_on, sql.date(FAR_FUTURE))).label("until"))
        .select_from(rc).join(mine, mine.c.id == rc.resident_id)
        .where(rc.condition == condition, mine.c.village_id.in_(ws.village_ids)), win,
        and_(rc.managed_since <= win.c.wend,
             or_(rc.ended_on.is_(None), rc.ended_on >= win.c.ystart)))
        .group_by(win.c.wid, rc.resident_id).subquery("cond"))
    wp = win.alias("wp")
    columns, present, vdoc = _resident_columns(ws, wp, PATIENT_DATES)
    r = Resident
    managed_from = sql.greatest(columns.pop("present_from"), cond.c.since)
    managed_to = sql.least(columns.pop("present_to"), cond.c.until)
    inner = _registered(
        select(*(c.label(k) for k, c in columns.items()), managed_from.label("managed_from"),
               managed_to.label("managed_to"))
        .select_from(cond).join(r, r.id == cond.c.resident_id), ws, vdoc) \
        .join(wp, and_(wp.c.wid == cond.c.wid, present)).subquery("managed")
    per_year = int(ws.setting("followups_required", condition, 4))
    # One follow-up for each quarter under management (the national four a year; another
    # yearly number is spread over the quarters, rounded up). The last quarter is asked
    # unless management runs on to a window end inside it: a month in mid-quarter does
    # not yet ask for that quarter.
    first_q, last_q = quarter_index(inner.c.managed_from), quarter_index(inner.c.managed_to)
    last_asked = case((or_(inner.c.managed_to < inner.c.wend, inner.c.end_q_done == 1), 1),
                      else_=0)
    quarters = last_q - first_q + last_asked
    return (select(inner, ((per_year * quarters + 3) // 4).label("required"))
            .where(inner.c.managed_from <= inner.c.managed_to)
            .cte(f"patients_{condition}"))


@contextmanager
def materialized(session: Session, ws: Windows, conditions=("hypertension", "diabetes"),
                 tag: str = ""):
    """Within the block, the windows, `population(ws)` and `patients(ws, c)` are
    temporary tables built once, not CTEs that every indicator's query rebuilds.

    A backfill's population is every resident once per window (24 windows: 700,000 rows
    for a township of 30,000), read by eight indicators. On PostgreSQL, ANALYZE gives the
    planner the real sizes: it guesses one row for the windows' CTE and a hundredth of the
    population, and picks nested loops that read the records once per window. Pass
    `conditions=None` for windows that only count records (no population), and a `tag`
    to tell apart the tables of several batches on one connection. Dropped on the way
    out."""
    cte = ws.table
    builds = {"win": lambda: select(cte)}
    if conditions is not None:
        builds["pop"] = lambda: population(ws)
        builds.update({f"patients_{c}": (lambda c=c: patients(ws, c)) for c in conditions})
    made = []
    try:
        for name, build in builds.items():
            table_name = f"metrics_{name}{tag}"
            # A batch that failed on SQLite may have left its tables on this connection.
            session.execute(text(f"DROP TABLE IF EXISTS {table_name}"))
            source = build()
            ctas = (source if name == "win" else select(source)).into(table_name,
                                                                      temporary=True)
            session.execute(ctas)
            made.append(table_name)
            if ws.sql.pg:
                session.execute(text(f"ANALYZE {table_name}"))
            if name == "win":
                ws.table = ctas.table
            else:
                ws.materialized[name] = ctas.table
        yield ws
    except BaseException:
        # No DROP here: an aborted PostgreSQL transaction refuses it, and its rollback
        # takes the tables with it.
        made.clear()
        raise
    finally:
        ws.table = cte
        ws.materialized.clear()
        for table_name in made:
            session.execute(text(f"DROP TABLE IF EXISTS {table_name}"))
