"""Set-based SQL for every supported indicator (SQLAlchemy Core; SQLite and PostgreSQL).

Each builder takes one Window or several (Windows) and returns one row per window and
counted unit (a resident, a dose, a household, an activity) with the columns wid,
resident_id, village_id, doctor_id, num, den and reason (why a unit is missing from the
numerator; server/metrics/units.py). The builders of the population and household
indicators are here, the chronic-disease and 65+ ones in chronic.py, the vaccination
ones in doses.py. `aggregate_windows` groups those rows by window in the database, so every
period of a backfill is one query per indicator (docs/adr/0026-multi-period-rollups.md);
`drill` lists the same rows for one window, village or doctor. There are no
per-resident Python loops.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    select,
)
from sqlalchemy.orm import Session

from core.models import RECORD_CLASSES, EducationActivity, Household, Resident
from server.metrics import keys as K
from server.metrics.chronic import bp_control, elderly_mgmt, glucose_control, standard
from server.metrics.definitions import BY_KEY, PERIOD
from server.metrics.doses import vacc_certificate, vacc_coverage, vacc_timely
from server.metrics.population import (
    Window,
    Windows,
    as_windows,
    each_window,
    in_periods,
    population,
    stored_by,
    village_doctor,
    while_present,
)
from server.metrics.sql import FAR_FUTURE
from server.metrics.units import ONE, SR, SRT, AnyWindow, flag, live, rows


def record_coverage(w: AnyWindow) -> Select:
    """Residents with a health record opened by the end / permanent residents."""
    pop = population(w)
    has = and_(pop.c.record_created_on.is_not(None), pop.c.record_created_on <= pop.c.wend)
    return rows(pop, flag(has), case((has, None), else_=literal("no_record")))


def e_record_coverage(w: AnyWindow) -> Select:
    """Residents whose record carries its 17-digit number / permanent residents."""
    pop = population(w)
    has = and_(pop.c.record_created_on.is_not(None), pop.c.record_created_on <= pop.c.wend,
               func.length(pop.c.record_no) == 17)
    return rows(pop, flag(has), case((has, None), else_=literal("no_e_record")))


def record_use(w: AnyWindow) -> Select:
    """Records with a service entry in the 12 months to the end / all records."""
    ws = as_windows(w)
    pop, win = population(ws), ws.table
    with_record = pop.c.record_created_on <= pop.c.wend
    if not ws.sql.pg:
        # SQLite: a probe of the (resident, date) index per resident and window is twice
        # as fast as matching services to windows (below); PostgreSQL: three times slower.
        used = exists().where(SR.resident_id == pop.c.resident_id,
                              SR.service_date > pop.c.year_ago, SR.service_date <= pop.c.wend,
                              live(ws, pop.c.as_of))
        return (rows(pop, flag(used), case((used, None), else_=literal("no_service_12m")))
                .where(with_record))
    # Each service read once and matched to the windows whose 12 months hold it.
    services = (each_window(select(win.c.wid, SR.resident_id).select_from(SRT)
                            .where(SR.resident_id.is_not(None),
                                   SR.village_id.in_(ws.village_ids)),
                            win, and_(SR.service_date > win.c.year_ago,
                                      SR.service_date <= win.c.wend,
                                      stored_by(SR, win.c.as_of)))
                .distinct().subquery("services"))
    used = services.c.resident_id.is_not(None)
    return (rows(pop, flag(used), case((used, None), else_=literal("no_service_12m")))
            .outerjoin(services, and_(services.c.resident_id == pop.c.resident_id,
                                      services.c.wid == pop.c.wid))
            .where(with_record))


def _activities(activity_type: str, attendance: bool = False) \
        -> Callable[[AnyWindow], Select]:
    """A builder counting the period's education activities of one type, or with
    `attendance` totalling their audience counts (docs/indicators.md#edu_attendance)."""
    def build(w: AnyWindow) -> Select:
        ws = as_windows(w)
        win = ws.table
        ea = EducationActivity.__table__.c
        num = func.coalesce(ea.audience_count, 0) if attendance else ONE
        return in_periods(
            select(win.c.wid, null().label("resident_id"), SR.village_id, SR.doctor_id,
                   num.label("num"), cast(null(), Integer).label("den"),
                   null().label("reason"))
            .select_from(SRT).join(EducationActivity.__table__, ea.id == SR.id)
            .where(SR.kind == "education_activity", ea.activity_type == activity_type),
            ws, SR)

    build.__doc__ = (f"Audience total of {activity_type} activities in the period."
                     if attendance else f"Education activities of type {activity_type} in "
                     "the period.")
    return build


def edu_reach(w: AnyWindow) -> Select:
    """Residents signed in at an education activity this year while present / permanent
    residents (docs/indicators.md#edu_reach)."""
    ws = as_windows(w)
    pop, win = population(ws), ws.table
    ea = EducationActivity.__table__.c
    items, _, element = ws.sql.json_items(ea.attendee_ids)
    # Each sign-in list expanded once and its ids resolved to residents' own ids (a
    # primary-key lookup each, so the outer join below is on like-typed columns and
    # SQLite can index it), kept only while the resident was present (their own dates,
    # read in the same lookup), then matched to the windows it counts in.
    r = Resident.__table__.c
    known = (each_window(
        select(win.c.wid, r.id.label("rid")).select_from(SRT)
        .join(EducationActivity.__table__, ea.id == SR.id)
        .join(items, literal(True))
        .join(Resident.__table__, ws.sql.uuid_column_key(r.id)
              == ws.sql.uuid_text_key(element))
        .where(SR.kind == "education_activity", SR.village_id.in_(ws.village_ids),
               while_present(r, SR.service_date)),
        win, and_(SR.service_date >= win.c.ystart, SR.service_date <= win.c.wend,
                  stored_by(SR, win.c.as_of)))
        .distinct().subquery("known"))
    reached = known.c.rid.is_not(None)
    return (rows(pop, flag(reached), case((reached, None), else_=literal("not_reached")))
            .outerjoin(known, and_(known.c.rid == pop.c.resident_id,
                                   known.c.wid == pop.c.wid)))


def contract_rate(w: AnyWindow) -> Select:
    """Residents with a contract signed within the year before the end / residents."""
    pop = population(w)
    signed = pop.c.contract_signed_on
    valid = and_(signed.is_not(None), signed <= pop.c.wend, signed > pop.c.year_ago)
    return rows(pop, flag(valid), case((valid, None), else_=literal("no_contract")))


def household_visits(w: AnyWindow) -> Select:
    """Households visited in the period / households in which a permanent resident lived
    at some time in the period (docs/indicators.md#household_visits)."""
    ws = as_windows(w)
    win = ws.table
    m = Resident.__table__.alias("member")
    # A household exists for the figure from its first permanent member's arrival (birth
    # or moving in) to its last one's departure (moving out or death): one row per
    # household, read once (residents have no household index, so a lookup per household
    # and window would read them all each time). Members deleted count for none.
    far = ws.sql.date(FAR_FUTURE)
    lived = (select(m.c.household_id.label("hid"),
                    func.min(func.coalesce(m.c.moved_in_on, m.c.birth_date)).label("first"),
                    func.max(ws.sql.least(func.coalesce(m.c.moved_out_on, far),
                                          func.coalesce(m.c.died_on, far))).label("last"))
             .where(m.c.household_id.is_not(None), m.c.permanent.is_(True),
                    m.c.deleted_at.is_(None), m.c.village_id.in_(ws.village_ids))
             .group_by(m.c.household_id).subquery("lived"))
    vdoc = village_doctor().subquery("vdoc")
    h = Household
    visits = (in_periods(select(win.c.wid, SR.household_id.label("hid")).select_from(SRT)
                         .where(SR.kind == "household_visit", SR.household_id.is_not(None)),
                         ws, SR)
              .distinct().subquery("visits"))
    visited = visits.c.hid.is_not(None)
    return (select(win.c.wid, null().label("resident_id"), h.village_id,
                   func.coalesce(h.responsible_doctor_id, vdoc.c.doctor_id).label("doctor_id"),
                   flag(visited).label("num"), ONE.label("den"),
                   case((visited, None), else_=literal("not_visited")).label("reason"),
                   cast(h.id, String).label("unit"))
            .select_from(h).join(win, literal(True))
            .join(lived, lived.c.hid == h.id)
            .outerjoin(vdoc, vdoc.c.village_id == h.village_id)
            .outerjoin(visits, and_(visits.c.hid == h.id, visits.c.wid == win.c.wid))
            .where(h.village_id.in_(ws.village_ids), h.deleted_at.is_(None),
                   lived.c.first <= win.c.wend, lived.c.last >= win.c.pstart))


# Each indicator's computation; its definition is docs/indicators.md#<key>.
BUILDERS: dict[str, Callable[[AnyWindow], Select]] = {
    K.RECORD_COVERAGE: record_coverage,
    K.E_RECORD_COVERAGE: e_record_coverage,
    K.RECORD_USE: record_use,
    K.HTN_STANDARD: lambda w: standard(w, "hypertension", "hypertension_followup"),
    K.HTN_CONTROL: bp_control,
    K.HTN_CONTROL_140: lambda w: bp_control(w, relaxed=False),
    K.DM_STANDARD: lambda w: standard(w, "diabetes", "diabetes_followup"),
    K.DM_CONTROL: glucose_control,
    K.ELDERLY_MGMT: elderly_mgmt,
    K.VACC_COVERAGE: vacc_coverage,
    K.VACC_TIMELY: vacc_timely,
    K.VACC_CERTIFICATE: vacc_certificate,
    K.EDU_LECTURES: _activities("lecture"),
    K.EDU_BOARDS: _activities("bulletin_board"),
    K.EDU_CONSULTATIONS: _activities("consultation"),
    K.EDU_AV: _activities("audio_visual"),
    K.EDU_PRINTED: _activities("printed_materials"),
    **{K.attendance(t): _activities(t, attendance=True) for t in K.EDU_ATTENDANCE_TYPES},
    K.EDU_REACH: edu_reach,
    K.CONTRACT_RATE: contract_rate,
    K.HOUSEHOLD_VISITS: household_visits,
}
assert set(BUILDERS) == {i.key for i in BY_KEY.values() if i.supported}


def aggregate_windows(session: Session, ws: Windows, indicator: str) -> dict[int, list]:
    """{wid: [(village_id, doctor_id, numerator, denominator), ...]} of one indicator,
    every window of `ws` in one query."""
    units = BUILDERS[indicator](ws).subquery("units")
    stmt = (select(units.c.wid, units.c.village_id, units.c.doctor_id, func.sum(units.c.num),
                   func.sum(units.c.den))
            .group_by(units.c.wid, units.c.village_id, units.c.doctor_id))
    out: dict[int, list] = {wid: [] for wid in range(len(ws.items))}
    for wid, *row in session.execute(stmt):
        out[wid].append(tuple(row))
    return out


def aggregate(session: Session, w: Window, indicator: str) -> list[tuple]:
    """(village_id, doctor_id, numerator, denominator) rows of one indicator, one window."""
    return aggregate_windows(session, Windows([w]), indicator)[0]


def workload_windows(session: Session, ws: Windows) -> dict[int, list]:
    """{wid: [(village_id, doctor_id, kind, mode_is_phone, count), ...]}: records in each
    window's period."""
    win = ws.table
    phone = flag(SR.mode == "phone")
    # Every kind, named: with it SQLite reads each window's dates from the (village, kind,
    # date) index instead of scanning all records once per window (twice as fast).
    stmt = (in_periods(select(win.c.wid, SR.village_id, SR.doctor_id, SR.kind, phone,
                              func.count()).select_from(SRT)
                       .where(SR.kind.in_(list(RECORD_CLASSES))), ws, SR)
            .group_by(win.c.wid, SR.village_id, SR.doctor_id, SR.kind, phone))
    out: dict[int, list] = {wid: [] for wid in range(len(ws.items))}
    for wid, *row in session.execute(stmt):
        out[wid].append(tuple(row))
    return out


def workload(session: Session, w: Window) -> list[tuple]:
    """(village_id, doctor_id, kind, mode_is_phone, count) of records in the period."""
    return workload_windows(session, Windows([w]))[0]


def is_period_window(indicator: str) -> bool:
    """True when the indicator counts the period itself rather than the year to date."""
    return BY_KEY[indicator].window == PERIOD
