"""Quality checks (真实性): each check is one INSERT ... SELECT into quality_flags.

The nightly job rewrites a township's flags from scratch, so a fixed record stops being
flagged the next morning. Thresholds come from the "quality" setting; the rules and why
they are what they are: docs/adr/0022-quality-rules.md.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import String, and_, case, cast, delete, func, insert, literal, null, or_, select
from sqlalchemy.orm import Session, aliased

from core.clock import now_utc
from core.models import (
    DiabetesFollowUp,
    ElderlyHealthCheck,
    Household,
    HypertensionFollowUp,
    QualityFlag,
    RecordEntry,
    Resident,
    ServiceRecord,
)
from server.metrics import dismissals
from server.metrics.definitions import parse_period, years_before
from server.metrics.population import CST, Window, live_records, make_window, village_doctor
from server.metrics.sql import batch_settings

SRT = ServiceRecord.__table__
SR = SRT.c
RE = RecordEntry.__table__.c
FOLLOWUP_KINDS = ("hypertension_followup", "diabetes_followup")
CHECKS = ("duplicate_id", "duplicate_name_birth", "provisional_match", "implausible_value",
          "after_death_or_move", "late_entry", "identical_readings", "burst", "dead_record")
COLUMNS = ("township_id", "check", "village_id", "doctor_id", "resident_id", "record_id",
           "service_date", "record_created_at", "detail", "found_at")


def _txt(expr):
    return cast(expr, String)


def _resident_flags(w: Window, check: str, where, detail=None):
    """Flag residents (no record) matching `where`, attributed to their responsible doctor."""
    vdoc = village_doctor().subquery("vdoc")
    r = Resident
    return (select(literal(w.township_id), literal(check), r.village_id,
                   func.coalesce(Household.responsible_doctor_id, vdoc.c.doctor_id),
                   r.id, null(), null(), null(),
                   detail if detail is not None else null(), literal(w.as_of))
            .select_from(r).outerjoin(Household, Household.id == r.household_id)
            .outerjoin(vdoc, vdoc.c.village_id == r.village_id)
            .where(r.village_id.in_(w.village_ids), r.deleted_at.is_(None), where))


def _since(w: Window):
    """Record checks look at services from 1 January of last year: the periods still in
    view. Older records were checked while they were in view."""
    return SR.service_date >= dt.date(w.as_of.astimezone(CST).year - 1, 1, 1)


def _record_flags(w: Window, check: str, detail, *joins, where):
    """Flag records matching `where` (joined to `joins`), attributed to their doctor."""
    stmt = select(literal(w.township_id), literal(check), SR.village_id, SR.doctor_id,
                  SR.resident_id, SR.id, SR.service_date, SR.created_at, detail,
                  literal(w.as_of)).select_from(SRT)
    for target, on in joins:
        stmt = stmt.join(target, on)
    return stmt.where(live_records(w), _since(w), where)


def duplicates(w: Window) -> list:
    """Same ID number; same name and birth date in a village; provisional matches real."""
    r = Resident
    same_id = (select(func.upper(r.national_id)).where(r.village_id.in_(w.village_ids),
                                                       r.deleted_at.is_(None),
                                                       r.national_id.is_not(None))
               .group_by(func.upper(r.national_id)).having(func.count() > 1))
    twins = (select(r.village_id, r.name, r.birth_date)
             .where(r.village_id.in_(w.village_ids), r.deleted_at.is_(None))
             .group_by(r.village_id, r.name, r.birth_date).having(func.count() > 1)
             .subquery("twins"))
    in_twins = select(twins.c.village_id).where(
        twins.c.village_id == r.village_id, twins.c.name == r.name,
        twins.c.birth_date == r.birth_date).exists()
    real = aliased(Resident, name="real")
    match = (select(real.id).where(real.national_id.is_not(None), real.id != r.id,
                                   real.village_id.in_(w.village_ids), real.deleted_at.is_(None),
                                   real.name == r.name, real.birth_date == r.birth_date,
                                   real.sex == r.sex))
    # The group's size is the detail: a third resident joining a pair is news, and brings
    # back a pair staff had dismissed (docs/adr/0027-dismissing-quality-flags.md).
    other = aliased(Resident, name="other")
    same_id_n = (select(func.count()).where(func.upper(other.national_id)
                                            == func.upper(r.national_id),
                                            other.village_id.in_(w.village_ids),
                                            other.deleted_at.is_(None)).scalar_subquery())
    twins_n = (select(func.count()).where(other.village_id == r.village_id,
                                          other.name == r.name,
                                          other.birth_date == r.birth_date,
                                          other.deleted_at.is_(None)).scalar_subquery())
    return [
        _resident_flags(w, "duplicate_id", func.upper(r.national_id).in_(same_id),
                        literal("×") + _txt(same_id_n)),
        _resident_flags(w, "duplicate_name_birth", in_twins, literal("×") + _txt(twins_n)),
        _resident_flags(w, "provisional_match",
                        and_(r.national_id.is_(None), match.exists()),
                        literal("≈ ") + _txt(match.limit(1).scalar_subquery())),
    ]


def implausible(w: Window) -> list:
    """BP, glucose and BMI outside what a body can show; dates in the future or before birth."""
    out = []
    today = w.as_of.astimezone(CST).date()

    def bp_bad(s, d):
        return and_(s.is_not(None), d.is_not(None),
                    or_(s < 60, s > 300, d < 30, d > 200, d >= s))

    def out_of(col, lo, hi):
        return and_(col.is_not(None), or_(col < lo, col > hi))

    for model in (HypertensionFollowUp, DiabetesFollowUp):
        t = model.__table__.c
        detail = (literal("BP ") + func.coalesce(_txt(t.sbp), "-") + "/" +
                  func.coalesce(_txt(t.dbp), "-") + " BMI " + func.coalesce(_txt(t.bmi), "-"))
        where = or_(bp_bad(t.sbp, t.dbp), out_of(t.bmi, 10, 60))
        if model is DiabetesFollowUp:
            detail = detail + " GLU " + func.coalesce(_txt(t.fasting_glucose), "-")
            where = or_(where, out_of(t.fasting_glucose, 1, 35))
        kind = "hypertension_followup" if model is HypertensionFollowUp else "diabetes_followup"
        out.append(_record_flags(w, "implausible_value", detail, (model.__table__, t.id == SR.id),
                                 where=and_(SR.kind == kind, where)))
    e = ElderlyHealthCheck.__table__.c
    out.append(_record_flags(
        w, "implausible_value",
        literal("BP ") + func.coalesce(_txt(e.sbp_left), "-") + "/"
        + func.coalesce(_txt(e.dbp_left), "-") + " GLU "
        + func.coalesce(_txt(e.fasting_glucose), "-"),
        (ElderlyHealthCheck.__table__, e.id == SR.id),
        where=and_(SR.kind == "elderly_health_check",
                   or_(bp_bad(e.sbp_left, e.dbp_left), bp_bad(e.sbp_right, e.dbp_right),
                       out_of(e.bmi, 10, 60), out_of(e.fasting_glucose, 1, 35)))))
    r = Resident
    out.append(_record_flags(
        w, "implausible_value", literal("date"), (r, r.id == SR.resident_id),
        where=or_(SR.service_date > today, SR.service_date < r.birth_date)))
    return out


def after_death_or_move(w: Window):
    """Services dated after the resident died or moved out (and had not come back)."""
    r = Resident
    moved = and_(r.moved_out_on.is_not(None), SR.service_date > r.moved_out_on,
                 or_(r.moved_in_on.is_(None), r.moved_in_on <= r.moved_out_on))
    dead = and_(r.died_on.is_not(None), SR.service_date > r.died_on)
    detail = case((dead, literal("died ") + _txt(r.died_on)),
                  else_=literal("moved out ") + _txt(r.moved_out_on))
    return _record_flags(w, "after_death_or_move", detail, (r, r.id == SR.resident_id),
                         where=or_(dead, moved))


def late_entry(w: Window, days: int):
    """Records stored more than `days` after their service date."""
    lag = w.sql.days_after(SR.created_at, SR.service_date)
    return _record_flags(w, "late_entry", literal("+") + _txt(lag) + "d", where=lag > days)


def identical_readings(w: Window, times: int):
    """A patient whose every measured follow-up in the last year (`times` or more) shows
    the very same SBP/DBP: copied, not measured. Chance repeats of round numbers across
    some visits are common and are not flagged."""
    h = HypertensionFollowUp.__table__.c
    since = years_before(w.as_of.astimezone(CST).date(), 1)
    return (select(literal(w.township_id), literal("identical_readings"),
                   func.max(SR.village_id), func.max(SR.doctor_id), SR.resident_id, null(),
                   func.max(SR.service_date), func.max(SR.created_at),
                   _txt(func.min(h.sbp)) + "/" + _txt(func.min(h.dbp)) + " ×"
                   + _txt(func.count()), literal(w.as_of))
            .join(HypertensionFollowUp.__table__, h.id == SR.id)
            .where(live_records(w), SR.service_date > since, h.sbp.is_not(None),
                   h.dbp.is_not(None), SR.mode != "phone")
            .group_by(SR.resident_id)
            .having(func.count() >= times,
                    func.count(func.distinct(h.sbp * 1000 + h.dbp)) == 1))


def burst(w: Window, count: int, minutes: int):
    """The follow-up that completes `count` by one doctor within `minutes` (entry time)."""
    # Entry time on the server's clock: the phone's claim corrected for its clock's skew
    # when it came by sync, else when the server stored it. Never the phone's raw claim,
    # which a wrong clock moves (docs/adr/0050-entry-time.md).
    stamp = func.coalesce(RE.entered_at, SR.created_at)
    since = years_before(w.as_of.astimezone(CST).date(), 1)
    ranked = (select(SR.id, SR.village_id, SR.doctor_id, SR.resident_id, SR.service_date,
                     SR.created_at, stamp.label("stamp"),
                     func.lag(stamp, count - 1).over(partition_by=SR.doctor_id,
                                                     order_by=(stamp, SR.id)).label("earlier"))
              .select_from(SRT.outerjoin(RecordEntry.__table__, RE.record_id == SR.id))
              .where(live_records(w), SR.kind.in_(FOLLOWUP_KINDS), SR.service_date > since)
              .subquery("ranked"))
    gap = w.sql.minutes_between(ranked.c.earlier, ranked.c.stamp)
    return (select(literal(w.township_id), literal("burst"), ranked.c.village_id,
                   ranked.c.doctor_id, ranked.c.resident_id, ranked.c.id,
                   ranked.c.service_date, ranked.c.created_at,
                   literal(f"{count}/{minutes}min"), literal(w.as_of))
            .where(ranked.c.earlier.is_not(None), gap <= minutes))


def dead_records(w: Window, days: int):
    """Residents here now, with a record, and no service for `days` days (死档案)."""
    r = Resident
    today = w.as_of.astimezone(CST).date()
    since = today - dt.timedelta(days=days)
    served = select(SR.id).where(SR.resident_id == r.id, SR.service_date > since,
                                 live_records(w)).exists()
    # The last service is the detail: a resident served again and then silent for another
    # year is a new finding, not the one staff dismissed.
    last = select(func.max(SR.service_date)).where(SR.resident_id == r.id,
                                                    live_records(w)).scalar_subquery()
    return _resident_flags(
        w, "dead_record",
        and_(r.permanent.is_(True), r.status == "active", r.died_on.is_(None),
             or_(r.moved_out_on.is_(None), r.moved_in_on > r.moved_out_on),
             r.record_created_on.is_not(None), r.record_created_on <= since, ~served),
        literal("last ") + func.coalesce(_txt(last), "-"))


def refresh_flags(session: Session, township_id: int, now: dt.datetime | None = None) -> dict:
    """Rewrite the township's quality flags, mark those a standing dismissal still fits;
    return the count per check of the others (the findings still open)."""
    now = now or now_utc()
    today = now.astimezone(CST).date()
    w = make_window(session, township_id, parse_period(str(today.year)), now)
    cfg = w.settings.get("quality", {})
    selects = [*duplicates(w), *implausible(w), after_death_or_move(w),
               late_entry(w, int(cfg.get("late_entry_days", 30))),
               identical_readings(w, int(cfg.get("identical_readings", 3))),
               burst(w, int(cfg.get("burst_count", 10)), int(cfg.get("burst_minutes", 30))),
               dead_records(w, int(cfg.get("dead_record_days", 365)))]
    batch_settings(session)
    session.execute(delete(QualityFlag).where(QualityFlag.township_id == township_id))
    for stmt in selects:
        session.execute(insert(QualityFlag).from_select(COLUMNS, stmt))
    dismissals.apply(session, township_id)
    session.commit()
    rows = session.execute(select(QualityFlag.check, func.count())
                           .where(QualityFlag.township_id == township_id,
                                  QualityFlag.dismissal_id.is_(None))
                           .group_by(QualityFlag.check))
    return {check: n for check, n in rows}
