"""Vaccination coverage per vaccine and dose: the table, the children behind a cell, and
its export. Figures come from the rollups (server/metrics/vaccines.py)."""
from __future__ import annotations

from flask import abort, g, render_template, request

from core.models import VaccineScheduleDose
from server.extensions import db
from server.metrics import read, vaccines
from server.services import worklists
from server.township import worklists as lists
from server.township.exports import send
from server.township.i18n import word
from server.township.web import bp, current_period


@bp.get("/vaccines")
def vaccines_page():
    """Vaccine × dose, the township and each village, coloured against the target."""
    period = current_period("year")
    table = vaccines.coverage_table(db.session, g.user.township_id, period)
    status = read.period_status(db.session, g.user.township_id, period)
    return render_template("township/vaccines.html", period=period, table=table,
                           status=status)


@bp.get("/vaccines/<vaccine>/<int:dose_no>")
def vaccine_drill(vaccine: str, dose_no: int):
    """The children one dose was due for: given when, or missing and why."""
    dose = db.session.scalar(db.select(VaccineScheduleDose).where(
        VaccineScheduleDose.vaccine == vaccine, VaccineScheduleDose.dose_no == dose_no))
    if dose is None:
        abort(404)
    names = lists.village_names()
    f = lists.filters(names, {})
    period = current_period("year")
    missing = request.args.get("missing") == "1"
    rows = worklists.dose_rows(db.session, g.user.township_id, period, vaccine, dose_no,
                               f["village"], missing)
    n_in, n_out = worklists.counted(rows)
    if request.args.get("format") == "xlsx":
        lists.phone_column(rows)
        return send(_dose_table(rows, names), f"{vaccine}-{dose_no}-{period}", "xlsx")
    page = worklists.page_of(rows, f["page"])
    lists.phone_column(page.rows)
    return render_template("township/vaccine_drill.html", period=period, dose=dose,
                           page=page, names=names, village_id=f["village"], missing=missing,
                           n_in=n_in, n_out=n_out)


def _dose_table(rows: list[dict], names: dict) -> list[list]:
    """The children behind a dose, for a download."""
    lang = g.lang
    table = [[word(k, lang) for k in ("name", "birth", "phone", "village", "status", "given_on",
                                      "missed_reason", "guardian_notified")]]
    for r in rows:
        table.append([r["name"], r["birth_date"], r.get("phone") or "",
                      names.get(r["village_id"], ""),
                      word("given" if r["num"] else "dose_missing", lang), r.get("given_on"),
                      r.get("missed_reason") or (word("no_check", lang)
                                                 if r.get("reason") == "no_check" else ""),
                      "" if r["num"] or r.get("reason") == "no_check"
                      else word("yes" if r.get("notified") else "no", lang)])
    return table


@bp.get("/export/vaccines.<fmt>")
def export_vaccines(fmt: str):
    """The period's per-dose coverage and timely rate, the township and each village (no
    personal data; docs/indicators.md#vacc_coverage, #vacc_timely)."""
    period = current_period("year")
    table = vaccines.coverage_table(db.session, g.user.township_id, period)
    zh = g.lang == "zh"
    rows = [["统计期", "范围", "疫苗", "剂次", "应种月龄", "已种", "应种", "接种率", "及时接种",
             "及时接种率", "目标", "达标"] if zh else
            ["Period", "Scope", "Vaccine", "Dose", "Due at (months)", "Given", "Due",
             "Coverage", "Timely", "Timely rate", "Target", "Met"]]
    scopes = ["全乡镇" if zh else "Township"] + [v["name"] for v in table["villages"]]
    for row in table["rows"]:
        d = row["dose"]
        for label, c in zip(scopes, row["cells"], strict=True):
            if c["den"] is None:
                continue
            rule = c["rule"]
            rows.append([period, label, d.name_zh if zh else d.vaccine, d.dose_no,
                         d.due_age_months, c["num"], c["den"],
                         None if c["value"] is None else round(c["value"], 4),
                         c["timely"] or 0,
                         None if c["timely_value"] is None else round(c["timely_value"], 4),
                         None if rule is None else rule.value,
                         {True: word("met", g.lang), False: word("missed", g.lang)}
                         .get(c["met"], "")])
    return send(rows, f"vaccines-{period}", fmt)
