"""The township's pages: load the period, read the rollups, render. Nothing recomputes here."""
from __future__ import annotations

from flask import abort, g, render_template, request

from core.clock import today_local
from core.models import RECORD_CLASSES, User, VerificationCall, VerificationSample
from core.serialize import mask_national_id
from server.extensions import db
from server.metrics import assessment, read
from server.metrics.definitions import BY_KEY, SUPPORTED, parse_period, settings_for
from server.metrics.keys import HTN_STANDARD
from server.metrics.quality import CHECKS
from server.numbers import whole
from server.services import worklists
from server.township import worklists as lists
from server.township.exports import send
from server.township.i18n import word
from server.township.web import bp, current_period


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
    period = current_period("month") if request.args.get("period") else \
        last_complete_month(today_local())
    rows = read.doctors_workload(db.session, g.user.township_id, period)
    return render_template("township/doctors.html", period=period, rows=rows)


@bp.get("/drill/<indicator>")
def drill(indicator: str):
    """The residents (or units) behind one figure: the township's, a village's or a
    doctor's, counted or missing, every one of them, paged (?page=) and filtered by why
    they were not counted (?finding=); ?format=xlsx downloads them all."""
    if indicator not in BY_KEY or not BY_KEY[indicator].supported:
        abort(404)
    period = current_period("year")
    names, doctors = lists.village_names(), lists.doctor_names()
    f = lists.filters(names, doctors)
    missing = request.args.get("missing") == "1"
    rows = worklists.drill_rows(db.session, g.user.township_id, period, indicator,
                                f["village"], f["doctor"], missing, f["finding"])
    n_in, n_out = worklists.counted(rows)
    ind = BY_KEY[indicator]
    if request.args.get("format") == "xlsx":
        lists.phone_column(rows)
        return send(_drill_table(rows, names, doctors), f"{indicator}-{period}", "xlsx")
    page = worklists.page_of(rows, f["page"])
    lists.phone_column(page.rows)
    reasons = sorted({r["reason"] for r in rows if r.get("reason")})
    return render_template("township/drill.html", period=period, ind=ind, page=page,
                           names=names, doctors=doctors, f=f, village_id=f["village"],
                           doctor_id=f["doctor"], missing=missing, n_in=n_in, n_out=n_out,
                           reasons=reasons)


def _drill_table(rows: list[dict], names: dict, doctors: dict) -> list[list]:
    """A drill-down's rows for a download (masked ID numbers, phones as the caller may)."""
    lang = g.lang
    table = [[word(k, lang) for k in ("name", "counted", "reason", "birth", "id_number",
                                      "phone", "village", "doctor")]]
    for r in rows:
        table.append([r.get("name") or r.get("unit") or "",
                      word("counted" if r["num"] else "missing", lang),
                      word(r["reason"], lang) if r.get("reason") else "", r.get("birth_date"),
                      mask_national_id(r.get("national_id")) or "", r.get("phone") or "",
                      names.get(r.get("village_id"), ""), doctors.get(r.get("doctor_id"), "")])
    return table


@bp.get("/quality")
def quality():
    """The quality panel: counts per check, one check's list, overdue and verification."""
    tid = g.user.township_id
    check = request.args.get("check")
    if check is not None and check not in CHECKS:
        abort(404)
    dismissed = request.args.get("dismissed") == "1"
    summary = read.quality_summary(db.session, tid)
    names, doctors = lists.village_names(), lists.doctor_names()
    f = lists.filters(names, doctors)
    flags = worklists.quality_page(db.session, tid, check, dismissed, f["village"],
                                   f["doctor"], f["kind"], f["page"]) if check else \
        worklists.page_of([], 1)
    samples = db.session.scalars(db.select(VerificationSample)
                                 .where(VerificationSample.township_id == tid)
                                 .order_by(VerificationSample.id.desc()).limit(3)).all()
    calls = read.verification_calls(db.session, [s.id for s in samples])
    _link_calls(calls)
    return render_template("township/quality.html", summary=summary, check=check,
                           flags=flags, dismissed=dismissed, checks=CHECKS, f=f,
                           names=names, samples=samples, calls=calls,
                           overdue_total=read.overdue_count(db.session, tid),
                           period=current_period("quarter"), doctors=_doctor_names(),
                           village_doctors=doctors, kinds=RECORD_CLASSES,
                           sample_size=settings_for(db.session, tid)["verification"]
                           ["sample_size"])


def _link_calls(calls: dict[int, list[dict]]) -> None:
    """Each verification call with the id of the record it asks about (its link)."""
    ids = [c["id"] for rows in calls.values() for c in rows]
    if not ids:
        return
    records = dict(db.session.execute(db.select(VerificationCall.id, VerificationCall.record_id)
                                      .where(VerificationCall.id.in_(ids))).all())
    for rows in calls.values():
        for c in rows:
            c["record_id"] = records.get(c["id"])


def last_complete_month(today) -> str:
    """The month before this one: this month's figures are still filling in (and empty
    on its first day), so a page that opens on workload opens on a finished month."""
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    return f"{year}-{month:02d}"


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
