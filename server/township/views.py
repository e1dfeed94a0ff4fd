"""The township's pages: load the period, read the rollups, render. Nothing recomputes here."""
from __future__ import annotations

from flask import abort, g, render_template, request

from core.models import User, VerificationSample, Village
from server.extensions import db
from server.metrics import assessment, read
from server.metrics.definitions import BY_KEY, SUPPORTED, parse_period, settings_for
from server.metrics.keys import HTN_STANDARD
from server.metrics.quality import CHECKS
from server.numbers import form_id, whole
from server.township.web import bp, current_period


def _village_names() -> dict[int, str]:
    rows = db.session.execute(db.select(Village.id, Village.name)
                              .where(Village.township_id == g.user.township_id))
    return dict(rows.all())


def _id_arg(name: str) -> int | None:
    """?name= as a row id: None when absent, 404 when it is not one."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    value = form_id(raw)
    if value is None:
        abort(404)
    return value


@bp.get("/")
def overview():
    """Every indicator for the township against its target, for one period."""
    period = current_period("year")
    cards = read.scorecard(db.session, g.user.township_id, period)
    status = read.period_status(db.session, g.user.township_id, period)
    return render_template("township/overview.html", period=period, cards=cards,
                           status=status, p=parse_period(period))


@bp.get("/trends")
def trends():
    """Month by month, this year against last, for one indicator."""
    key = request.args.get("indicator", HTN_STANDARD)
    if key not in BY_KEY or not BY_KEY[key].supported:
        abort(404)
    year = whole(request.args.get("year"))
    if year is None or not 2000 <= year <= 2100:
        year = parse_period(current_period("year")).year
    data = read.trend(db.session, g.user.township_id, year, key)
    return render_template("township/trends.html", data=data, year=year, key=key,
                           indicators=SUPPORTED)


@bp.get("/villages")
def villages():
    """The villages side by side, one indicator row each, with a chart for one of them."""
    period = current_period("year")
    key = request.args.get("indicator", HTN_STANDARD)
    if key not in BY_KEY or not BY_KEY[key].supported:
        abort(404)
    table = read.villages_side_by_side(db.session, g.user.township_id, period)
    return render_template("township/villages.html", period=period, table=table, key=key)


@bp.get("/doctors")
def doctors():
    """Each village doctor's workload for the period."""
    period = current_period("month")
    rows = read.doctors_workload(db.session, g.user.township_id, period)
    return render_template("township/doctors.html", period=period, rows=rows)


@bp.get("/drill/<indicator>")
def drill(indicator: str):
    """The residents behind one figure (a village's or a doctor's), counted or missing."""
    if indicator not in BY_KEY or not BY_KEY[indicator].supported:
        abort(404)
    period = current_period("year")
    village_id, doctor_id = _id_arg("village"), _id_arg("doctor")
    names = _village_names()
    if village_id is not None and village_id not in names:
        abort(404)
    if doctor_id is not None:
        doctor = db.session.get(User, doctor_id)
        if doctor is None or doctor.township_id != g.user.township_id:
            abort(404)
    missing = request.args.get("missing") == "1"
    rows = read.drill(db.session, g.user.township_id, period, indicator, village_id,
                      doctor_id, missing_only=missing)
    return render_template("township/drill.html", period=period, ind=BY_KEY[indicator],
                           rows=rows, names=names, village_id=village_id,
                           doctor_id=doctor_id, missing=missing)


@bp.get("/quality")
def quality():
    """The quality panel: counts per check, one check's list, overdue and verification."""
    tid = g.user.township_id
    check = request.args.get("check")
    if check is not None and check not in CHECKS:
        abort(404)
    dismissed = request.args.get("dismissed") == "1"
    summary = read.quality_summary(db.session, tid)
    flags = read.quality_list(db.session, tid, check, dismissed) if check else []
    samples = db.session.scalars(db.select(VerificationSample)
                                 .where(VerificationSample.township_id == tid)
                                 .order_by(VerificationSample.id.desc()).limit(3)).all()
    calls = read.verification_calls(db.session, [s.id for s in samples])
    return render_template("township/quality.html", summary=summary, check=check,
                           flags=flags, dismissed=dismissed, checks=CHECKS,
                           names=_village_names(), samples=samples, calls=calls,
                           overdue=read.overdue_list(db.session, tid, limit=200),
                           overdue_total=read.overdue_count(db.session, tid),
                           period=current_period("quarter"), doctors=_doctor_names(),
                           sample_size=settings_for(db.session, tid)["verification"]
                           ["sample_size"])


def _doctor_names() -> dict[int, str]:
    rows = db.session.execute(db.select(User.id, User.full_name)
                              .where(User.township_id == g.user.township_id))
    return dict(rows.all())


@bp.get("/assessment")
def assessment_page():
    """The quarter's assessment per village doctor, and the township's points."""
    period = current_period("quarter")
    scores = assessment.assess(db.session, g.user.township_id, period)
    rules = assessment.rules_for(db.session, g.user.township_id)
    status = read.period_status(db.session, g.user.township_id, period)
    return render_template("township/assessment.html", period=period, scores=scores,
                           rules=rules, status=status)


@bp.get("/periods")
def periods():
    """Every computed period: when, as of when, frozen or open, late records."""
    from core.models import MetricPeriod

    rows = db.session.scalars(db.select(MetricPeriod)
                              .where(MetricPeriod.township_id == g.user.township_id)
                              .order_by(MetricPeriod.period.desc())).all()
    return render_template("township/periods.html", rows=rows)
