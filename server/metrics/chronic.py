"""Chronic-disease and 65+ indicators: follow-ups counted against what each patient's
time under management asks, the latest reading's control, and the annual 65+ check.

Builders return the standard unit rows (server/metrics/units.py), one per window and
patient; docs/adr/0020-denominators.md has the rules.
"""
from __future__ import annotations

from sqlalchemy import Select, and_, case, func, literal, select

from core.models import DiabetesFollowUp, ElderlyHealthCheck, HypertensionFollowUp, Resident
from server.metrics.population import (
    Windows,
    as_windows,
    patients,
    population,
    stored_by,
    while_present,
)
from server.metrics.units import SR, SRT, AnyWindow, flag, live, rows


def _followups(ws: Windows, pts, stmt: Select) -> Select:
    """`stmt` over the patients' windows joined to their follow-ups dated while managed."""
    on = and_(SR.resident_id == pts.c.resident_id, SR.service_date >= pts.c.managed_from,
              SR.service_date <= pts.c.managed_to, live(ws, pts.c.as_of))
    return stmt.select_from(pts).join(SRT, on)


def standard(w: AnyWindow, condition: str, kind: str) -> Select:
    """Patients with the counted follow-ups their time under management asks for.

    docs/indicators.md#htn_standard (and #dm_standard): one per quarter managed."""
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
    # Nobody is judged before a quarter's follow-up has fallen due (patients()).
    return (rows(pts, flag(n >= pts.c.required), reason)
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


def bp_control(w: AnyWindow, relaxed: bool = True) -> Select:
    """Hypertensives whose latest BP is below 140/90 / under management; with `relaxed`,
    below 150/90 at the relaxed age (docs/indicators.md#htn_control, #htn_control_140)."""
    ws = as_windows(w)
    pts = patients(ws, "hypertension")
    h = HypertensionFollowUp.__table__
    last = _latest(ws, pts, h, (h.c.sbp, h.c.dbp), "hypertension_followup")
    limit = (case((pts.c.birth_date <= pts.c.relaxed_born_by, 150), else_=140) if relaxed
             else literal(140))
    ok = and_(last.c.sbp < limit, last.c.dbp < 90)
    reason = case((last.c.sbp.is_(None), literal("no_reading")), (ok, None),
                  else_=literal("uncontrolled"))
    return rows(pts, flag(ok), reason).outerjoin(last, _with_latest(pts, last))


def glucose_control(w: AnyWindow) -> Select:
    """Diabetics whose latest fasting glucose is below 7.0 mmol/L / under management
    (docs/indicators.md#dm_control)."""
    ws = as_windows(w)
    pts = patients(ws, "diabetes")
    d = DiabetesFollowUp.__table__
    last = _latest(ws, pts, d, (d.c.fasting_glucose,), "diabetes_followup")
    ok = last.c.fasting_glucose < 7.0
    reason = case((last.c.fasting_glucose.is_(None), literal("no_reading")), (ok, None),
                  else_=literal("uncontrolled"))
    return rows(pts, flag(ok), reason).outerjoin(last, _with_latest(pts, last))


def elderly_mgmt(w: AnyWindow) -> Select:
    """65+ residents with this year's check, assessment and guidance / 65+ residents
    (docs/indicators.md#elderly_mgmt): checks dated while the resident was present."""
    ws = as_windows(w)
    pop, win = population(ws), ws.table
    e = ElderlyHealthCheck.__table__.c
    r = Resident.__table__.c
    # Checks read once each, kept while their resident was present (a primary-key
    # lookup of the resident's dates), and matched to the windows they fall in.
    checked = (select(win.c.wid, SR.resident_id,
                      func.max(flag(and_(e.health_assessment.is_not(None),
                                          ~ws.sql.json_is_empty(e.guidance)))).label("full"))
               .select_from(SRT).join(ElderlyHealthCheck.__table__, e.id == SR.id)
               .join(Resident.__table__, r.id == SR.resident_id)
               .join(win, and_(SR.service_date >= win.c.ystart, SR.service_date <= win.c.wend,
                               live(ws, win.c.as_of)))
               .where(SR.kind == "elderly_health_check", while_present(r, SR.service_date))
               .group_by(win.c.wid, SR.resident_id).subquery("checked"))
    full = func.coalesce(checked.c.full, 0)
    reason = case((full == 1, None), (checked.c.resident_id.is_(None),
                                      literal("never_checked")), else_=literal("incomplete"))
    return (rows(pop, full, reason)
            .outerjoin(checked, and_(checked.c.resident_id == pop.c.resident_id,
                                     checked.c.wid == pop.c.wid))
            .where(pop.c.birth_date <= pop.c.elderly_born_by))
