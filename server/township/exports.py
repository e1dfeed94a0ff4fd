"""Monthly and quarterly reports and the assessment, as Excel (xlsx) and CSV downloads.

ID and phone numbers never appear in these files: reports carry counts and names of
villages and doctors only.
"""
from __future__ import annotations

import csv
import io

from flask import Response, abort, g

from core.models import ROLE_DOCTOR, User, Village
from server.extensions import db
from server.metrics import assessment, read
from server.metrics.definitions import SUPPORTED
from server.township.i18n import indicator_name, word
from server.township.web import bp, current_period

MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
# A cell text starting with one of these is a formula to Excel, LibreOffice and WPS (OWASP
# "CSV injection"): a doctor named "=HYPERLINK(...)" would become a link in the file.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: object) -> bool:
    """A text a spreadsheet would evaluate; numbers (negative ones too) are not texts."""
    return isinstance(value, str) and value.startswith(FORMULA_START)


def csv_cell(value: object) -> object:
    """A CSV field: a formula-like text gets a leading apostrophe, which spreadsheets show
    as plain text; everything else as it is."""
    return "'" + value if is_formula_like(value) else value


def report_rows(township_id: int, period: str, lang: str) -> list[list]:
    """The township, each village and each village doctor, every supported indicator:
    numerator, denominator, value, target and whether it was met.

    Once the period is computed a count is never blank: nothing counted is 0, and a rate
    nobody is in is 0 / 0 with no value (docs/indicators.md#common)."""
    zh = lang == "zh"
    header = (["统计期", "范围", "指标", "分子", "分母", "数值", "目标", "达标"] if zh else
              ["Period", "Scope", "Indicator", "Numerator", "Denominator", "Value", "Target",
               "Met"])
    rows = [header]
    villages = db.session.execute(db.select(Village.id, Village.name)
                                  .where(Village.township_id == township_id)
                                  .order_by(Village.code)).all()
    doctors = db.session.execute(db.select(User.id, User.full_name)
                                 .where(User.township_id == township_id,
                                        User.role == ROLE_DOCTOR).order_by(User.id)).all()
    scopes = [("township", township_id, "全乡镇" if zh else "Township")] + \
        [("village", v.id, v.name) for v in villages] + \
        [("doctor", d.id, d.full_name) for d in doctors]
    computed = read.period_status(db.session, township_id, period) is not None
    supported = {i.key for i in SUPPORTED}
    for scope, scope_id, label in scopes:
        for card in read.scorecard(db.session, township_id, period, scope, scope_id):
            if card["key"] not in supported:
                continue
            value, num, den = card["value"], card["num"], card["den"]
            if computed and card["ind"].unit == "rate" and num is None:
                num, den = 0, 0
            elif computed and num is None:
                num, value = 0, 0.0
            shown = None if value is None else (round(value, 4) if card["ind"].unit == "rate"
                                                else value)
            met = {True: word("met", lang), False: word("missed", lang)}.get(card["met"], "")
            rows.append([period, label, indicator_name(card["ind"], lang), num, den, shown,
                         card["target"], met])
    return rows


def send(rows: list[list], name: str, fmt: str) -> Response:
    """The rows as a CSV (UTF-8 with BOM, so Excel reads the Chinese) or xlsx download."""
    if fmt == "csv":
        buf = io.StringIO()
        buf.write("\ufeff")
        csv.writer(buf).writerows([csv_cell(v) for v in row] for row in rows)
        body = buf.getvalue().encode("utf-8")
    elif fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = name[:31]
        for number, row in enumerate(rows, 1):
            ws.append(row)
            # By the values, not `ws[ws.max_row]`: max_row scans every cell written so far,
            # which made a 3,000-row list take 20 s to download.
            for column, value in enumerate(row, 1):
                if is_formula_like(value):
                    # openpyxl stores "=..." as a formula: keep it a string, and marked
                    # as typed text so editing the cell in Excel does not evaluate it.
                    cell = ws.cell(row=number, column=column)
                    cell.data_type, cell.quotePrefix = "s", True
        ws.freeze_panes = "A2"
        out = io.BytesIO()
        wb.save(out)
        body = out.getvalue()
    else:
        abort(404)
    # content_type, not mimetype: werkzeug adds "; charset=utf-8" to a text mimetype again.
    return Response(body, content_type=MIME[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.get("/export/report.<fmt>")
def export_report(fmt: str):
    """The period's report (?period=2026-10 monthly, 2026-Q3 quarterly, 2026 yearly)."""
    period = current_period("month")
    return send(report_rows(g.user.township_id, period, g.lang), f"report-{period}", fmt)


@bp.get("/export/assessment.<fmt>")
def export_assessment(fmt: str):
    """The quarter's assessment per doctor: the basis for allocating subsidies."""
    period = current_period("quarter")
    scores = assessment.assess(db.session, g.user.township_id, period)
    return send(assessment.table(scores, g.lang), f"assessment-{period}", fmt)
