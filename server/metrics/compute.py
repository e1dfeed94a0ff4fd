"""Set-based SQL for every supported indicator (SQLAlchemy Core; SQLite and PostgreSQL).

Each builder returns one row per counted unit (a resident, a dose, a household, an
activity) with the columns resident_id, village_id, doctor_id, num, den and reason (why
a unit is missing from the numerator). `aggregate` groups those rows in the database;
`drill` lists them for one village or doctor. There are no per-resident Python loops.
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

from server.metrics.definitions import BY_KEY, PERIOD, years_before
from server.metrics.population import Window, live_records, patients, population, village_doctor
from server.metrics.sql import months_of_age
from server.models import (
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


def _rows(src, num, reason=None, den=ONE) -> Select:
    """The standard columns over a population-shaped source."""
    return select(src.c.resident_id, src.c.village_id, src.c.doctor_id,
                  cast(num, Integer).label("num"), den.label("den"),
                  (reason if reason is not None else null()).label("reason"))


def _flag(cond) -> case:
    return case((cond, 1), else_=0)


def record_coverage(w: Window) -> Select:
    """Residents with a health record opened by the end / permanent residents."""
    pop = population(w)
    has = and_(pop.c.record_created_on.is_not(None), pop.c.record_created_on <= w.end)
    return _rows(pop, _flag(has), case((has, None), else_=literal("no_record")))


def e_record_coverage(w: Window) -> Select:
    """Residents whose record carries its 17-digit number / permanent residents."""
    pop = population(w)
    has = and_(pop.c.record_created_on.is_not(None), pop.c.record_created_on <= w.end,
               func.length(pop.c.record_no) == 17)
    return _rows(pop, _flag(has), case((has, None), else_=literal("no_e_record")))


def record_use(w: Window) -> Select:
    """Records with a service entry in the 12 months to the end / all records."""
    pop = population(w)
    since = years_before(w.end, 1)
    used = exists().where(SR.resident_id == pop.c.resident_id, SR.service_date > since,
                          SR.service_date <= w.end, live_records(w))
    return (_rows(pop, _flag(used), case((used, None), else_=literal("no_service_12m")))
            .where(pop.c.record_created_on <= w.end))


def _standard(w: Window, condition: str, kind: str) -> Select:
    """Patients with the counted follow-ups their time under management asks for."""
    pts = patients(w, condition)
    modes = w.setting("followup_counted_modes", "modes", ["clinic", "home"])
    counted = (select(pts.c.resident_id, func.count(SR.id).label("n"))
               .join(SRT, and_(SR.resident_id == pts.c.resident_id, SR.kind == kind,
                              SR.mode.in_(modes), SR.service_date >= pts.c.managed_from,
                              SR.service_date <= pts.c.managed_to, live_records(w)))
               .group_by(pts.c.resident_id).subquery("counted"))
    n = func.coalesce(counted.c.n, 0)
    reason = case((n >= pts.c.required, None), (n == 0, literal("never_followed")),
                  else_=literal("too_few"))
    # Nobody is judged before a follow-up has fallen due (under 3 months managed).
    return (_rows(pts, _flag(n >= pts.c.required), reason)
            .outerjoin(counted, counted.c.resident_id == pts.c.resident_id)
            .where(pts.c.required > 0))


def _latest(w: Window, pts, detail, value_cols, kind: str) -> object:
    """The latest follow-up with a reading, per patient, within their managed time."""
    ranked = (select(SR.resident_id, *value_cols,
                     func.row_number().over(partition_by=SR.resident_id,
                                            order_by=(SR.service_date.desc(),
                                                      SR.created_at.desc(), SR.id))
                     .label("rn"))
              .join(detail, detail.c.id == SR.id)
              .join(pts, pts.c.resident_id == SR.resident_id)
              .where(SR.kind == kind, value_cols[0].is_not(None),
                     SR.service_date >= pts.c.managed_from,
                     SR.service_date <= pts.c.managed_to, live_records(w))
              .subquery("ranked"))
    return select(ranked).where(ranked.c.rn == 1).subquery("latest")


def bp_control(w: Window) -> Select:
    """Hypertensives whose latest BP is below 140/90 (150/90 at 65+) / under management."""
    pts = patients(w, "hypertension")
    h = HypertensionFollowUp.__table__
    last = _latest(w, pts, h, (h.c.sbp, h.c.dbp), "hypertension_followup")
    relaxed_born = years_before(w.period.end, int(w.setting("age_thresholds", "bp_relaxed", 65)))
    limit = case((pts.c.birth_date <= relaxed_born, 150), else_=140)
    ok = and_(last.c.sbp < limit, last.c.dbp < 90)
    reason = case((last.c.sbp.is_(None), literal("no_reading")), (ok, None),
                  else_=literal("uncontrolled"))
    return (_rows(pts, _flag(ok), reason)
            .outerjoin(last, last.c.resident_id == pts.c.resident_id))


def glucose_control(w: Window) -> Select:
    """Diabetics whose latest fasting glucose is below 7.0 mmol/L / under management."""
    pts = patients(w, "diabetes")
    d = DiabetesFollowUp.__table__
    last = _latest(w, pts, d, (d.c.fasting_glucose,), "diabetes_followup")
    ok = last.c.fasting_glucose < 7.0
    reason = case((last.c.fasting_glucose.is_(None), literal("no_reading")), (ok, None),
                  else_=literal("uncontrolled"))
    return (_rows(pts, _flag(ok), reason)
            .outerjoin(last, last.c.resident_id == pts.c.resident_id))


def elderly_mgmt(w: Window) -> Select:
    """65+ residents with this year's check, assessment and guidance / 65+ residents."""
    pop = population(w)
    e = ElderlyHealthCheck.__table__.c
    born_by = years_before(w.period.end, int(w.setting("age_thresholds", "elderly", 65)))
    checked = (select(SR.resident_id,
                      func.max(_flag(and_(e.health_assessment.is_not(None),
                                          ~w.sql.json_is_empty(e.guidance)))).label("full"))
               .join(ElderlyHealthCheck.__table__, e.id == SR.id)
               .where(SR.kind == "elderly_health_check", SR.service_date >= w.ystart,
                      SR.service_date <= w.end, live_records(w))
               .group_by(SR.resident_id).subquery("checked"))
    full = func.coalesce(checked.c.full, 0)
    reason = case((full == 1, None), (checked.c.resident_id.is_(None),
                                      literal("never_checked")), else_=literal("incomplete"))
    return (_rows(pop, full, reason)
            .outerjoin(checked, checked.c.resident_id == pop.c.resident_id)
            .where(pop.c.birth_date <= born_by))


def _children(w: Window):
    """The population's children aged 0-6 at the end."""
    pop = population(w)
    oldest = years_before(w.end, int(w.setting("age_thresholds", "child_max", 6)) + 1)
    return pop, pop.c.birth_date > oldest


def _doses(w: Window, timely: bool) -> Select:
    """Doses due by the end (national schedule) against doses recorded as given."""
    pop, is_child = _children(w)
    vc = VaccinationCheck.__table__.c
    items, get, _ = w.sql.json_items(vc.doses_given)
    # Expanded first, grouped after: PostgreSQL will not match a GROUP BY expression
    # whose JSON key is a separate bind parameter from the SELECT's.
    doses = (select(SR.resident_id, get("vaccine").label("vaccine"),
                    cast(get("dose_no"), Integer).label("dose_no"), get("date").label("day"))
             .select_from(SRT).join(VaccinationCheck.__table__, vc.id == SR.id)
             .join(items, literal(True))
             .where(SR.kind == "vaccination_check", SR.service_date <= w.end,
                    live_records(w)).subquery("doses"))
    given = (select(doses.c.resident_id, doses.c.vaccine, doses.c.dose_no,
                    func.min(doses.c.day).label("given_on"))
             .group_by(doses.c.resident_id, doses.c.vaccine, doses.c.dose_no)
             .subquery("given"))
    sched = VaccineScheduleDose
    due = (select(pop.c.resident_id, pop.c.village_id, pop.c.doctor_id, pop.c.birth_date,
                  sched.vaccine, sched.dose_no, sched.due_age_months,
                  sched.timely_within_months)
           .join(sched, months_of_age(w.sql, pop.c.birth_date, w.end) >= sched.due_age_months)
           .where(is_child).subquery("due"))
    got = given.c.resident_id.is_not(None)
    if timely:
        limit = due.c.due_age_months + due.c.timely_within_months
        at_dose = _months_between(w, due.c.birth_date, w.sql.text_date(given.c.given_on))
        ok = and_(got, at_dose <= limit)
        reason = case((ok, None), (got, literal("late_dose")), else_=literal("dose_missing"))
    else:
        ok, reason = got, case((got, None), else_=literal("dose_missing"))
    return (_rows(due, _flag(ok), reason)
            .add_columns((due.c.vaccine + literal("-") + cast(due.c.dose_no, String))
                         .label("unit"))
            .outerjoin(given, and_(given.c.resident_id == due.c.resident_id,
                                   given.c.vaccine == due.c.vaccine,
                                   given.c.dose_no == due.c.dose_no)))


def _months_between(w: Window, birth, day) -> object:
    """Whole months from a birth date to another date column (portable)."""
    y1, m1, d1 = (func.extract(p, birth) for p in ("year", "month", "day"))
    y2, m2, d2 = (func.extract(p, day) for p in ("year", "month", "day"))
    return (cast(y2 * 12 + m2, Integer) - cast(y1 * 12 + m1, Integer)
            - case((d1 > d2, 1), else_=0))


def vacc_coverage(w: Window) -> Select:
    """Doses given / doses due, over children 0-6."""
    return _doses(w, timely=False)


def vacc_timely(w: Window) -> Select:
    """Doses given within the schedule's window / doses due."""
    return _doses(w, timely=True)


def vacc_certificate(w: Window) -> Select:
    """Children 0-6 with a vaccination certificate seen / children 0-6."""
    pop, is_child = _children(w)
    vc = VaccinationCheck.__table__.c
    has = exists().where(SR.resident_id == pop.c.resident_id, SR.id == vc.id,
                         SR.kind == "vaccination_check",
                         vc.certificate_present.is_(True), SR.service_date <= w.end,
                         live_records(w))
    return _rows(pop, _flag(has), case((has, None), else_=literal("no_certificate"))) \
        .where(is_child)


def _activities(activity_type: str) -> Callable[[Window], Select]:
    def build(w: Window) -> Select:
        ea = EducationActivity.__table__.c
        return (select(null().label("resident_id"), SR.village_id, SR.doctor_id,
                       ONE.label("num"), cast(null(), Integer).label("den"),
                       null().label("reason"))
                .join(EducationActivity.__table__, ea.id == SR.id)
                .where(SR.kind == "education_activity", ea.activity_type == activity_type,
                       SR.service_date >= w.period.start,
                       SR.service_date <= w.end, live_records(w)))

    build.__doc__ = f"Education activities of type {activity_type} in the period."
    return build


def edu_reach(w: Window) -> Select:
    """Residents signed in at an education activity this year / permanent residents."""
    pop = population(w)
    ea = EducationActivity.__table__.c
    items, _, element = w.sql.json_items(ea.attendee_ids)
    attended = (select(w.sql.uuid_text_key(element).label("rid")).select_from(SRT)
                .join(EducationActivity.__table__, ea.id == SR.id)
                .join(items, literal(True))
                .where(SR.kind == "education_activity", SR.service_date >= w.ystart,
                       SR.service_date <= w.end, live_records(w))
                .distinct().subquery("attended"))
    # Attendee ids resolved to residents' own ids first (a primary-key lookup each), so
    # the outer join below is on like-typed columns and SQLite can index it.
    r = Resident.__table__.c
    known = (select(r.id.label("rid")).select_from(attended)
             .join(Resident.__table__, w.sql.uuid_column_key(r.id) == attended.c.rid)
             .subquery("known"))
    reached = known.c.rid.is_not(None)
    return (_rows(pop, _flag(reached), case((reached, None), else_=literal("not_reached")))
            .outerjoin(known, known.c.rid == pop.c.resident_id))


def contract_rate(w: Window) -> Select:
    """Residents with a contract signed within the year before the end / residents."""
    pop = population(w)
    signed = pop.c.contract_signed_on
    valid = and_(signed.is_not(None), signed <= w.end, signed > years_before(w.end, 1))
    return _rows(pop, _flag(valid), case((valid, None), else_=literal("no_contract")))


def household_visits(w: Window) -> Select:
    """Households visited in the period / households of the township."""
    vdoc = village_doctor().subquery("vdoc")
    h = Household
    visits = (select(SR.household_id.label("hid"))
              .where(SR.kind == "household_visit", SR.household_id.is_not(None),
                     SR.service_date >= w.period.start, SR.service_date <= w.end,
                     live_records(w)).distinct().subquery("visits"))
    visited = visits.c.hid.is_not(None)
    return (select(null().label("resident_id"), h.village_id,
                   func.coalesce(h.responsible_doctor_id, vdoc.c.doctor_id).label("doctor_id"),
                   _flag(visited).label("num"), ONE.label("den"),
                   case((visited, None), else_=literal("not_visited")).label("reason"),
                   cast(h.id, String).label("unit"))
            .outerjoin(vdoc, vdoc.c.village_id == h.village_id)
            .outerjoin(visits, visits.c.hid == h.id)
            .where(h.village_id.in_(w.village_ids), h.deleted_at.is_(None)))


BUILDERS: dict[str, Callable[[Window], Select]] = {
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


def aggregate(session: Session, w: Window, indicator: str) -> list[tuple]:
    """(village_id, doctor_id, numerator, denominator) rows of one indicator."""
    units = BUILDERS[indicator](w).subquery("units")
    stmt = (select(units.c.village_id, units.c.doctor_id, func.sum(units.c.num),
                   func.sum(units.c.den))
            .group_by(units.c.village_id, units.c.doctor_id))
    return [tuple(r) for r in session.execute(stmt)]


def workload(session: Session, w: Window) -> list[tuple]:
    """(village_id, doctor_id, kind, mode_is_phone, count) of records in the period."""
    phone = _flag(SR.mode == "phone")
    stmt = (select(SR.village_id, SR.doctor_id, SR.kind, phone, func.count())
            .where(SR.service_date >= w.period.start, SR.service_date <= w.end,
                   live_records(w))
            .group_by(SR.village_id, SR.doctor_id, SR.kind, phone))
    return [tuple(r) for r in session.execute(stmt)]


def is_period_window(indicator: str) -> bool:
    """True when the indicator counts the period itself rather than the year to date."""
    return BY_KEY[indicator].window == PERIOD
