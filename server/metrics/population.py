"""Who is in a period's denominators: the window, the population and the patients.

The rule (docs/adr/0020-denominators.md): a permanent resident (常住) counts in a
period's denominators if they belonged to the village at any time from 1 January to the
period's end; their time present bounds what is asked of them (follow-ups pro-rated by
calendar months present). Only records the server had stored by `as_of` count, so a closed period
can be recomputed to the same figures; residents count by their own dates (moved in,
moved out, died, record opened), which the register keeps.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from server.metrics.definitions import Period, settings_for
from server.metrics.sql import FAR_FUTURE, FAR_PAST, Dialect, months_inclusive
from server.models import (
    ROLE_DOCTOR,
    Household,
    Resident,
    ResidentCondition,
    ServiceRecord,
    User,
    Village,
    doctor_villages,
)

CST = dt.timezone(dt.timedelta(hours=8))


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


def make_window(session: Session, township_id: int, period: Period,
                as_of: dt.datetime) -> Window:
    """Build the Window of one township and period."""
    villages = list(session.scalars(select(Village.id).where(Village.township_id == township_id)
                                    .order_by(Village.id)))
    return Window(township_id, period, as_of, settings_for(session, township_id), villages,
                  Dialect(session.get_bind().dialect.name))


def live_records(w: Window, table=None):
    """Records the server had stored by as_of and not deleted by then, in the township."""
    table = table if table is not None else ServiceRecord.__table__.c
    return and_(table.village_id.in_(w.village_ids), table.created_at <= w.as_of,
                or_(table.deleted_at.is_(None), table.deleted_at > w.as_of))


def village_doctor() -> Select:
    """Each village's first village doctor, responsible where a household names nobody."""
    return (select(doctor_villages.c.village_id, func.min(User.id).label("doctor_id"))
            .join(User, User.id == doctor_villages.c.user_id)
            .where(User.role == ROLE_DOCTOR)
            .group_by(doctor_villages.c.village_id))


def population(w: Window):
    """CTE of the permanent residents present at some time from 1 January to the end.

    Columns: resident_id, village_id, doctor_id (responsible), birth_date, present_from,
    present_to, record_created_on, record_no, contract_signed_on.
    """
    sql, r = w.sql, Resident
    vdoc = village_doctor().subquery("vdoc")
    present_from = sql.greatest(sql.date(w.ystart), func.coalesce(r.moved_in_on,
                                                                   sql.date(FAR_PAST)))
    present_to = sql.least(sql.date(w.end), func.coalesce(r.moved_out_on, sql.date(FAR_FUTURE)),
                           func.coalesce(r.died_on, sql.date(FAR_FUTURE)))
    stmt = (
        select(r.id.label("resident_id"), r.village_id,
               func.coalesce(Household.responsible_doctor_id, vdoc.c.doctor_id)
               .label("doctor_id"),
               r.birth_date, present_from.label("present_from"),
               present_to.label("present_to"), r.record_created_on, r.record_no,
               r.contract_signed_on)
        .select_from(r)
        .outerjoin(Household, Household.id == r.household_id)
        .outerjoin(vdoc, vdoc.c.village_id == r.village_id)
        .where(r.village_id.in_(w.village_ids), r.permanent.is_(True),
               or_(r.deleted_at.is_(None), r.deleted_at > w.as_of),
               or_(r.moved_in_on.is_(None), r.moved_in_on <= w.end),
               or_(r.moved_out_on.is_(None), r.moved_out_on >= w.ystart),
               or_(r.died_on.is_(None), r.died_on >= w.ystart))
    )
    return stmt.cte("pop")


def patients(w: Window, condition: str):
    """CTE of the population's patients under management for `condition` in the window.

    Adds managed_from / managed_to (presence and management intersected) and `required`,
    the counted follow-ups asked of them: the yearly number pro-rated by calendar months
    under management, rounded down (docs/adr/0020-denominators.md).
    """
    sql = w.sql
    pop = population(w)
    rc = ResidentCondition
    cond = (select(rc.resident_id, func.min(rc.managed_since).label("since"),
                   func.max(func.coalesce(rc.ended_on, sql.date(FAR_FUTURE))).label("until"))
            .where(rc.condition == condition, rc.managed_since <= w.end,
                   or_(rc.ended_on.is_(None), rc.ended_on >= w.ystart))
            .group_by(rc.resident_id).subquery("cond"))
    managed_from = sql.greatest(pop.c.present_from, cond.c.since)
    managed_to = sql.least(pop.c.present_to, cond.c.until)
    inner = (select(pop, managed_from.label("managed_from"), managed_to.label("managed_to"))
             .join(cond, cond.c.resident_id == pop.c.resident_id).subquery("managed"))
    per_year = int(w.setting("followups_required", condition, 4))
    # Calendar months touched, rounded down to whole follow-ups: a quarterly visit is due
    # once its quarter has passed (// is floor division on both databases).
    months = months_inclusive(inner.c.managed_from, inner.c.managed_to)
    return (select(inner, (per_year * months // 12).label("required"))
            .where(inner.c.managed_from <= inner.c.managed_to)
            .cte(f"patients_{condition}"))
