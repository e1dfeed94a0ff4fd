"""Set-based SQL for every supported indicator (SQLAlchemy Core; SQLite and PostgreSQL).

Each builder takes one Window or several (Windows) and returns one row per window and
counted unit (a resident, a dose, a household, an activity) with the columns wid,
resident_id, village_id, doctor_id, num, den and reason (why a unit is missing from the
numerator). `aggregate_windows` groups those rows by window in the database, so every
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

from server.metrics.definitions import BY_KEY, PERIOD
from server.metrics.population import (
    Window,
    Windows,
    as_windows,
    each_window,
    in_periods,
    live_records,
    patients,
    population,
    stored_by,
    village_doctor,
)
from server.models import (
    RECORD_CLASSES,
    DiabetesFollowUp,
    EducationActivity,
    ElderlyHealthCheck,
    Household,
    HypertensionFollowUp,
    Resident,
    ServiceRecord,
    VaccinationCheck,
    VaccineScheduleDose,
)

SRT = ServiceRecord.__table__
SR = SRT.c
ONE, ZERO = literal(1), literal(0)
AnyWindow = Window | Windows


def _rows(src, num, reason=None, den=ONE) -> Select:
    """The standard columns over a population-shaped source (one row per window)."""
    return select(src.c.wid, src.c.resident_id, src.c.village_id, src.c.doctor_id,
                  cast(num, Integer).label("num"), den.label("den"),
                  (reason if reason is not None else null()).label("reason"))


def _flag(cond) -> case:
    return case((cond, 1), else_=0)


def _live(ws: Windows, as_of) -> object:
    """Records stored by the window's as_of (a `win` column) and not deleted by then."""
    return live_records(ws, as_of=as_of)


def record_coverage(w: AnyWindow) -> Select:
    """Residents with a health record opened by the end / permanent residents."""
    pop = population(w)
    has = and_(pop.c.record_created_on.is_not(None), pop.c.record_created_on <= pop.c.wend)
    return _rows(pop, _flag(has), case((has, None), else_=literal("no_record")))


def e_record_coverage(w: AnyWindow) -> Select:
    """Residents whose record carries its 17-digit number / permanent residents."""
    pop = population(w)
    has = and_(pop.c.record_created_on.is_not(None), pop.c.record_created_on <= pop.c.wend,
               func.length(pop.c.record_no) == 17)
    return _rows(pop, _flag(has), case((has, None), else_=literal("no_e_record")))


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
                              _live(ws, pop.c.as_of))
        return (_rows(pop, _flag(used), case((used, None), else_=literal("no_service_12m")))
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
    return (_rows(pop, _flag(used), case((used, None), else_=literal("no_service_12m")))
            .outerjoin(services, and_(services.c.resident_id == pop.c.resident_id,
                                      services.c.wid == pop.c.wid))
            .where(with_record))


def _followups(ws: Windows, pts, stmt: Select) -> Select:
    """`stmt` over the patients' windows joined to their follow-ups dated while managed."""
    on = and_(SR.resident_id == pts.c.resident_id, SR.service_date >= pts.c.managed_from,
              SR.service_date <= pts.c.managed_to, _live(ws, pts.c.as_of))
    return stmt.select_from(pts).join(SRT, on)


def _standard(w: AnyWindow, condition: str, kind: str) -> Select:
    """Patients with the counted follow-ups their time under management asks for."""
    ws = as_windows(w)
    pts = patients(ws, condition)
    modes = ws.setting("followup_counted_modes", "modes", ["clinic", "home"])
    # The follow-ups read once each and matched to their patient's windows (each_window),
    # not looked up again for every window.
    counted = (_followups(ws, pts, select(pts.c.wid, pts.c.resident_id,
                                          func.count(SR.id).label("n"))
                          .where(SR.kind == kind, SR.mode.in_(modes)))
               .group_by(pts.c.wid, pts.c.resident_id).subquery("counted"))
    n = func.coalesce(counted.c.n, 0)
    reason = case((n >= pts.c.required, None), (n == 0, literal("never_followed")),
                  else_=literal("too_few"))
    # Nobody is judged before a follow-up has fallen due (under 3 months managed).
    return (_rows(pts, _flag(n >= pts.c.required), reason)
            .outerjoin(counted, and_(counted.c.resident_id == pts.c.resident_id,
                                     counted.c.wid == pts.c.wid))
            .where(pts.c.required > 0))


def _latest(ws: Windows, pts, detail, value_cols, kind: str) -> object:
    """The latest follow-up with a reading, per patient and window, within managed time."""
    # The township's readings first, in a materialized CTE: the kind's own table is then
    # read once per record, not once per record and window (PostgreSQL, misjudging the
    # windows' date ranges, otherwise probed it 330,000 times for a county's township).
    readings = (select(SR.id, SR.resident_id, SR.service_date, SR.created_at, SR.deleted_at,
                       *value_cols)
                .select_from(SRT).join(detail, detail.c.id == SR.id)
                .where(SR.kind == kind, value_cols[0].is_not(None),
                       SR.village_id.in_(ws.village_ids))
                .cte(f"readings_{kind}").prefix_with("MATERIALIZED"))
    rd = readings.c
    ranked = (select(pts.c.wid, rd.resident_id, *(rd[c.key] for c in value_cols),
                     func.row_number().over(partition_by=(pts.c.wid, rd.resident_id),
                                            order_by=(rd.service_date.desc(),
                                                      rd.created_at.desc(), rd.id))
                     .label("rn"))
              .select_from(pts)
              .join(readings, and_(rd.resident_id == pts.c.resident_id,
                                   rd.service_date >= pts.c.managed_from,
                                   rd.service_date <= pts.c.managed_to,
                                   stored_by(rd, pts.c.as_of)))
              .subquery("ranked"))
    return select(ranked).where(ranked.c.rn == 1).subquery("latest")


def _with_latest(pts, last):
    """Patients outer-joined to their latest reading in the same window."""
    return and_(last.c.resident_id == pts.c.resident_id, last.c.wid == pts.c.wid)


def bp_control(w: AnyWindow) -> Select:
    """Hypertensives whose latest BP is below 140/90 (150/90 at 65+) / under management."""
    ws = as_windows(w)
    pts = patients(ws, "hypertension")
    h = HypertensionFollowUp.__table__
    last = _latest(ws, pts, h, (h.c.sbp, h.c.dbp), "hypertension_followup")
    limit = case((pts.c.birth_date <= pts.c.relaxed_born_by, 150), else_=140)
    ok = and_(last.c.sbp < limit, last.c.dbp < 90)
    reason = case((last.c.sbp.is_(None), literal("no_reading")), (ok, None),
                  else_=literal("uncontrolled"))
    return _rows(pts, _flag(ok), reason).outerjoin(last, _with_latest(pts, last))


def glucose_control(w: AnyWindow) -> Select:
    """Diabetics whose latest fasting glucose is below 7.0 mmol/L / under management."""
    ws = as_windows(w)
    pts = patients(ws, "diabetes")
    d = DiabetesFollowUp.__table__
    last = _latest(ws, pts, d, (d.c.fasting_glucose,), "diabetes_followup")
    ok = last.c.fasting_glucose < 7.0
    reason = case((last.c.fasting_glucose.is_(None), literal("no_reading")), (ok, None),
                  else_=literal("uncontrolled"))
    return _rows(pts, _flag(ok), reason).outerjoin(last, _with_latest(pts, last))


def elderly_mgmt(w: AnyWindow) -> Select:
    """65+ residents with this year's check, assessment and guidance / 65+ residents."""
    ws = as_windows(w)
    pop, win = population(ws), ws.table
    e = ElderlyHealthCheck.__table__.c
    checked = (select(win.c.wid, SR.resident_id,
                      func.max(_flag(and_(e.health_assessment.is_not(None),
                                          ~ws.sql.json_is_empty(e.guidance)))).label("full"))
               .select_from(SRT).join(ElderlyHealthCheck.__table__, e.id == SR.id)
               .join(win, and_(SR.service_date >= win.c.ystart, SR.service_date <= win.c.wend,
                               _live(ws, win.c.as_of)))
               .where(SR.kind == "elderly_health_check")
               .group_by(win.c.wid, SR.resident_id).subquery("checked"))
    full = func.coalesce(checked.c.full, 0)
    reason = case((full == 1, None), (checked.c.resident_id.is_(None),
                                      literal("never_checked")), else_=literal("incomplete"))
    return (_rows(pop, full, reason)
            .outerjoin(checked, and_(checked.c.resident_id == pop.c.resident_id,
                                     checked.c.wid == pop.c.wid))
            .where(pop.c.birth_date <= pop.c.elderly_born_by))


def _children(w: AnyWindow):
    """The population's children aged 0-6 at the end."""
    pop = population(w)
    return pop, pop.c.birth_date > pop.c.child_born_after


def _doses(w: AnyWindow, timely: bool) -> Select:
    """Doses due by the end (national schedule) against doses recorded as given."""
    ws = as_windows(w)
    pop, is_child = _children(ws)
    win = ws.table
    vc = VaccinationCheck.__table__.c
    items, get, _ = ws.sql.json_items(vc.doses_given)
    # Expanded first, grouped after: PostgreSQL will not match a GROUP BY expression
    # whose JSON key is a separate bind parameter from the SELECT's.
    # Each check's list expanded once, then matched to the windows it counts in.
    doses = (each_window(
        select(win.c.wid, SR.resident_id, get("vaccine").label("vaccine"),
               cast(get("dose_no"), Integer).label("dose_no"), get("date").label("day"))
        .select_from(SRT).join(VaccinationCheck.__table__, vc.id == SR.id)
        .join(items, literal(True))
        .where(SR.kind == "vaccination_check", SR.village_id.in_(ws.village_ids)),
        win, and_(SR.service_date <= win.c.wend, stored_by(SR, win.c.as_of))).subquery("doses"))
    given = (select(doses.c.wid, doses.c.resident_id, doses.c.vaccine, doses.c.dose_no,
                    func.min(doses.c.day).label("given_on"))
             .group_by(doses.c.wid, doses.c.resident_id, doses.c.vaccine, doses.c.dose_no)
             .subquery("given"))
    sched = VaccineScheduleDose
    age_months = (pop.c.end_ym - _year_month(pop.c.birth_date)
                  - case((func.extract("day", pop.c.birth_date) > pop.c.end_day, 1), else_=0))
    due = (select(pop.c.wid, pop.c.resident_id, pop.c.village_id, pop.c.doctor_id,
                  pop.c.birth_date, sched.vaccine, sched.dose_no, sched.due_age_months,
                  sched.timely_within_months)
           .join(sched, age_months >= sched.due_age_months)
           .where(is_child).subquery("due"))
    got = given.c.resident_id.is_not(None)
    if timely:
        limit = due.c.due_age_months + due.c.timely_within_months
        at_dose = _months_between(due.c.birth_date, ws.sql.text_date(given.c.given_on))
        ok = and_(got, at_dose <= limit)
        reason = case((ok, None), (got, literal("late_dose")), else_=literal("dose_missing"))
    else:
        ok, reason = got, case((got, None), else_=literal("dose_missing"))
    return (_rows(due, _flag(ok), reason)
            .add_columns((due.c.vaccine + literal("-") + cast(due.c.dose_no, String))
                         .label("unit"))
            .outerjoin(given, and_(given.c.wid == due.c.wid,
                                   given.c.resident_id == due.c.resident_id,
                                   given.c.vaccine == due.c.vaccine,
                                   given.c.dose_no == due.c.dose_no)))


def _year_month(day) -> object:
    """year * 12 + month of a date column (portable)."""
    return cast(func.extract("year", day) * 12 + func.extract("month", day), Integer)


def _months_between(birth, day) -> object:
    """Whole months from a birth date to another date column (portable)."""
    return (_year_month(day) - _year_month(birth)
            - case((func.extract("day", birth) > func.extract("day", day), 1), else_=0))


def vacc_coverage(w: AnyWindow) -> Select:
    """Doses given / doses due, over children 0-6."""
    return _doses(w, timely=False)


def vacc_timely(w: AnyWindow) -> Select:
    """Doses given within the schedule's window / doses due."""
    return _doses(w, timely=True)


def vacc_certificate(w: AnyWindow) -> Select:
    """Children 0-6 with a vaccination certificate seen / children 0-6."""
    ws = as_windows(w)
    pop, is_child = _children(ws)
    vc = VaccinationCheck.__table__.c
    has = exists().where(SR.resident_id == pop.c.resident_id, SR.id == vc.id,
                         SR.kind == "vaccination_check",
                         vc.certificate_present.is_(True), SR.service_date <= pop.c.wend,
                         _live(ws, pop.c.as_of))
    return _rows(pop, _flag(has), case((has, None), else_=literal("no_certificate"))) \
        .where(is_child)


def _activities(activity_type: str) -> Callable[[AnyWindow], Select]:
    def build(w: AnyWindow) -> Select:
        ws = as_windows(w)
        win = ws.table
        ea = EducationActivity.__table__.c
        return in_periods(
            select(win.c.wid, null().label("resident_id"), SR.village_id, SR.doctor_id,
                   ONE.label("num"), cast(null(), Integer).label("den"),
                   null().label("reason"))
            .select_from(SRT).join(EducationActivity.__table__, ea.id == SR.id)
            .where(SR.kind == "education_activity", ea.activity_type == activity_type),
            ws, SR)

    build.__doc__ = f"Education activities of type {activity_type} in the period."
    return build


def edu_reach(w: AnyWindow) -> Select:
    """Residents signed in at an education activity this year / permanent residents."""
    ws = as_windows(w)
    pop, win = population(ws), ws.table
    ea = EducationActivity.__table__.c
    items, _, element = ws.sql.json_items(ea.attendee_ids)
    # Each sign-in list expanded once and its ids resolved to residents' own ids (a
    # primary-key lookup each, so the outer join below is on like-typed columns and
    # SQLite can index it), then matched to the windows it counts in.
    r = Resident.__table__.c
    known = (each_window(
        select(win.c.wid, r.id.label("rid")).select_from(SRT)
        .join(EducationActivity.__table__, ea.id == SR.id)
        .join(items, literal(True))
        .join(Resident.__table__, ws.sql.uuid_column_key(r.id)
              == ws.sql.uuid_text_key(element))
        .where(SR.kind == "education_activity", SR.village_id.in_(ws.village_ids)),
        win, and_(SR.service_date >= win.c.ystart, SR.service_date <= win.c.wend,
                  stored_by(SR, win.c.as_of)))
        .distinct().subquery("known"))
    reached = known.c.rid.is_not(None)
    return (_rows(pop, _flag(reached), case((reached, None), else_=literal("not_reached")))
            .outerjoin(known, and_(known.c.rid == pop.c.resident_id,
                                   known.c.wid == pop.c.wid)))


def contract_rate(w: AnyWindow) -> Select:
    """Residents with a contract signed within the year before the end / residents."""
    pop = population(w)
    signed = pop.c.contract_signed_on
    valid = and_(signed.is_not(None), signed <= pop.c.wend, signed > pop.c.year_ago)
    return _rows(pop, _flag(valid), case((valid, None), else_=literal("no_contract")))


def household_visits(w: AnyWindow) -> Select:
    """Households visited in the period / households of the township."""
    ws = as_windows(w)
    win = ws.table
    vdoc = village_doctor().subquery("vdoc")
    h = Household
    visits = (in_periods(select(win.c.wid, SR.household_id.label("hid")).select_from(SRT)
                         .where(SR.kind == "household_visit", SR.household_id.is_not(None)),
                         ws, SR)
              .distinct().subquery("visits"))
    visited = visits.c.hid.is_not(None)
    return (select(win.c.wid, null().label("resident_id"), h.village_id,
                   func.coalesce(h.responsible_doctor_id, vdoc.c.doctor_id).label("doctor_id"),
                   _flag(visited).label("num"), ONE.label("den"),
                   case((visited, None), else_=literal("not_visited")).label("reason"),
                   cast(h.id, String).label("unit"))
            .select_from(h).join(win, literal(True))
            .outerjoin(vdoc, vdoc.c.village_id == h.village_id)
            .outerjoin(visits, and_(visits.c.hid == h.id, visits.c.wid == win.c.wid))
            .where(h.village_id.in_(ws.village_ids), h.deleted_at.is_(None)))


BUILDERS: dict[str, Callable[[AnyWindow], Select]] = {
    "record_coverage": record_coverage,
    "e_record_coverage": e_record_coverage,
    "record_use": record_use,
    "htn_standard": lambda w: _standard(w, "hypertension", "hypertension_followup"),
    "htn_control": bp_control,
    "dm_standard": lambda w: _standard(w, "diabetes", "diabetes_followup"),
    "dm_control": glucose_control,
    "elderly_mgmt": elderly_mgmt,
    "vacc_coverage": vacc_coverage,
    "vacc_timely": vacc_timely,
    "vacc_certificate": vacc_certificate,
    "edu_lectures": _activities("lecture"),
    "edu_boards": _activities("bulletin_board"),
    "edu_consultations": _activities("consultation"),
    "edu_reach": edu_reach,
    "contract_rate": contract_rate,
    "household_visits": household_visits,
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
    phone = _flag(SR.mode == "phone")
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
