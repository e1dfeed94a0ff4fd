"""The township pages through HTTP: login form, CSRF, who may see what, figures, exports."""
from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from conftest import PASSWORD

from core.models import HypertensionFollowUp, MetricPeriod, Resident, VerificationSample
from server.extensions import db
from server.metrics import quality
from server.metrics.rollups import recompute_period

NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)


def token(client, path="/township/login") -> str:
    """The CSRF token a page's form carries."""
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_login(client, username: str):
    """Log in through the form, as a person would."""
    r = client.post("/township/login", data={"username": username, "password": PASSWORD,
                                              "csrf_token": token(client)})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]


@pytest.fixture
def year(app, town):
    """r1 (hypertension, village 1) followed up 4 times in 2025, 3 at home and 1 by phone;
    2025 computed and frozen. Standard management: 3 counted of 4 asked -> 0 / 1."""
    with app.app_context():
        for month, mode, sbp in ((3, "clinic", 150), (6, "home", 138), (9, "phone", None),
                                 (12, "home", 136)):
            stamp = dt.datetime(2025, month, 2, tzinfo=dt.UTC)
            db.session.add(HypertensionFollowUp(
                id=uuid.uuid4(), resident_id=town["resident_1"], village_id=town["village_1"],
                doctor_id=town["doctor_a"], service_date=dt.date(2025, month, 1), mode=mode,
                sbp=sbp, dbp=80 if sbp else None, created_at=stamp, updated_at=stamp))
        db.session.get(Resident, town["resident_1"]).record_created_on = dt.date(2020, 1, 1)
        db.session.commit()
        quality.refresh_flags(db.session, town["township_a"], now=NOW)
        recompute_period(db.session, town["township_a"], "2025", now=NOW)
        db.session.commit()
    return town


def test_anonymous_goes_to_the_login_form(client, town):
    r = client.get("/township/villages?period=2025")
    assert r.status_code == 302
    assert r.location.startswith("/township/login?next=")


def test_login_needs_the_csrf_token(client, town):
    r = client.post("/township/login", data={"username": "staff_a", "password": PASSWORD})
    assert r.status_code == 400
    r = client.post("/township/login", data={"username": "staff_a", "password": "wrong",
                                             "csrf_token": token(client)})
    assert r.status_code == 401
    assert "用户名或密码错误" in r.get_data(as_text=True)


def test_doctors_get_403(client, town):
    page_login(client, "doctor_a")
    assert client.get("/township/").status_code == 403


def test_login_never_redirects_off_site(client, town):
    r = client.post("/township/login?next=https://evil.example/x",
                    data={"username": "staff_a", "password": PASSWORD,
                          "csrf_token": token(client)})
    assert r.location == "/township/"


def test_overview_shows_the_frozen_year(client, year):
    page_login(client, "staff_a")
    html = client.get("/township/?period=2025").get_data(as_text=True)
    assert "已结账" in html
    assert "高血压患者规范管理率" in html
    assert "0 / 1" in html  # htn_standard: the phone call does not count
    assert "100.0%" in html  # BP control: last reading 136/80
    en = client.get("/township/?period=2025&lang=en").get_data(as_text=True)
    assert "Hypertension standard management" in en
    # The language sticks in a cookie.
    assert "Hypertension standard management" in client.get("/township/?period=2025").text


def test_drill_down_lists_residents_with_masked_ids(client, year):
    page_login(client, "staff_a")
    html = client.get(f"/township/drill/htn_standard?period=2025&village={year['village_1']}"
                      ).get_data(as_text=True)
    assert "张三丰" in html
    assert "随访次数不足" in html  # too few counted follow-ups
    assert "511921********0018" in html and "511921195003070018" not in html
    # The name leads to the resident's register page, where staff can act on it.
    link = f'href="/township/residents/{year["resident_1"]}">张三丰</a>'
    assert link in html
    assert "转到本镇另一个村" in client.get(f"/township/residents/{year['resident_1']}"
                                       ).get_data(as_text=True)


def test_the_overdue_list_leads_to_each_patient(client, app, year):
    """r1's last follow-up was in 2025: overdue now; the quality panel counts and links the
    whole list, whose names link to the register."""
    from server.metrics import overdue

    with app.app_context():
        assert overdue.refresh_overdue(db.session, year["township_a"]) >= 1
    page_login(client, "staff_a")
    assert 'href="/township/overdue"' in client.get("/township/quality").get_data(as_text=True)
    html = client.get("/township/overdue").get_data(as_text=True)
    assert f'href="/township/residents/{year["resident_1"]}">张三丰</a>' in html


def test_staff_see_only_their_township(client, year):
    page_login(client, "staff_b")
    r = client.get(f"/township/drill/htn_standard?period=2025&village={year['village_1']}")
    assert r.status_code == 404
    assert "张三丰" not in client.get("/township/?period=2025").get_data(as_text=True)


def test_report_exports(client, year):
    from openpyxl import load_workbook

    page_login(client, "staff_a")
    r = client.get("/township/export/report.xlsx?period=2025")
    assert r.status_code == 200
    rows = list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("统计期", "范围", "指标")
    htn = [row for row in rows if row[1] == "全乡镇" and row[2] == "高血压患者规范管理率"]
    assert htn == [("2025", "全乡镇", "高血压患者规范管理率", 0, 1, 0, 0.6, "未达标")]
    csv_text = client.get("/township/export/report.csv?period=2025").data.decode("utf-8-sig")
    assert "龙泉村,高血压患者规范管理率,0,1,0.0,0.6,未达标" in csv_text
    assessment = client.get("/township/export/assessment.csv?period=2025-Q1")
    assert "doctor_a" in assessment.data.decode("utf-8-sig")


def test_recompute_and_close_are_for_the_admin(client, year):
    page_login(client, "staff_a")
    csrf = token(client, "/township/periods")
    assert client.post("/township/recompute", data={"csrf_token": csrf}).status_code == 403
    client.post("/township/logout", data={"csrf_token": csrf})
    page_login(client, "admin_a")
    csrf = token(client, "/township/periods")
    assert client.post("/township/recompute", data={}).status_code == 400  # no token
    r = client.post("/township/recompute", data={"csrf_token": csrf})
    said = client.get(r.headers["Location"]).get_data(as_text=True)
    assert re.search(r"重新计算了 \d+ 个期间，质量问题 \d+ 条，逾期患者 \d+ 人，用时 [\d.]+ 秒",
                     said), said[:2000]
    assert client.post("/township/periods/2026-Q1/close",
                       data={"csrf_token": csrf}).status_code == 302
    with client.application.app_context():
        closed = db.session.scalar(db.select(MetricPeriod).where(MetricPeriod.period == "2026-Q1"))
        assert closed.frozen_at is not None and closed.frozen_by_id == year["admin_a"]


def test_verification_call_shows_the_phone_and_records_a_denial(client, year):
    page_login(client, "staff_a")
    csrf = token(client, "/township/quality")
    r = client.post("/township/verification/draw", data={"csrf_token": csrf,
                                                          "period": "2025", "size": "5"})
    assert r.status_code == 302
    html = client.get("/township/quality").get_data(as_text=True)
    assert "13800138000" in html  # staff must dial it
    with client.application.app_context():
        call = db.session.scalar(db.select(VerificationSample)).calls[0]
        call_id = call.id
    r = client.post(f"/township/verification/calls/{call_id}",
                    data={"csrf_token": csrf, "outcome": "denied", "note": "没随访过"})
    assert r.status_code == 302
    assert client.post(f"/township/verification/calls/{call_id}",
                       data={"csrf_token": csrf, "outcome": "maybe"}).status_code == 422


@pytest.mark.parametrize("url", ["/township/trends?indicator=htn_standard&year=2025",
                                 "/township/villages?period=2025&indicator=edu_reach",
                                 "/township/doctors?period=2025", "/township/quality",
                                 "/township/quality?check=late_entry",
                                 "/township/assessment?period=2025-Q4", "/township/periods"])
def test_every_page_renders(client, year, url):
    page_login(client, "admin_a")
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/township/?period=2025-13", "/township/trends?indicator=nope",
                                 "/township/drill/first_visit_bp?period=2025",
                                 "/township/export/report.pdf"])
def test_bad_input(client, year, url):
    page_login(client, "staff_a")
    r = client.get(url)
    # A bad period falls back to the current one; unknown indicators and formats are 404.
    assert r.status_code == (200 if "2025-13" in url else 404)
