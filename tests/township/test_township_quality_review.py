"""The quality panel: staff dismiss a finding with a reason, see it apart, withdraw it."""
from __future__ import annotations

import datetime as dt
import uuid

import pytest
from test_township_pages import page_login, token

from core.models import AdminChange, HypertensionFollowUp, QualityFlag
from server.extensions import db
from server.metrics import quality

NOW = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)


@pytest.fixture
def late(app, town):
    """One follow-up stored 60 days after its service date: a late-entry finding."""
    with app.app_context():
        stored = dt.datetime(2025, 12, 1, tzinfo=dt.UTC)
        db.session.add(HypertensionFollowUp(
            id=uuid.uuid4(), resident_id=town["resident_1"], village_id=town["village_1"],
            doctor_id=town["doctor_a"], service_date=dt.date(2025, 10, 2), mode="home",
            sbp=130, dbp=80, created_at=stored, updated_at=stored))
        db.session.commit()
        quality.refresh_flags(db.session, town["township_a"], now=NOW)
        town["flag_id"] = db.session.scalar(db.select(QualityFlag.id))
    return town


def test_staff_dismiss_a_finding_and_it_is_listed_apart(client, late):
    page_login(client, "staff_a")
    html = client.get("/township/quality?check=late_entry").get_data(as_text=True)
    assert "张三丰" in html and "标记为已核实" in html
    assert f'href="/township/residents/{late["resident_1"]}">张三丰</a>' in html
    csrf = token(client, "/township/quality?check=late_entry")
    r = client.post(f"/township/quality/flags/{late['flag_id']}/dismiss",
                    data={"csrf_token": csrf, "reason": "  ", "check": "late_entry"})
    assert r.status_code == 302
    html = client.get(r.location).get_data(as_text=True)
    assert "请填写核实说明" in html  # the error, and nothing stored
    with client.application.app_context():
        assert db.session.scalar(db.select(QualityFlag.dismissal_id)) is None
    client.post(f"/township/quality/flags/{late['flag_id']}/dismiss",
                data={"csrf_token": csrf, "reason": "补录属实(已核实)", "check": "late_entry"})
    html = client.get("/township/quality?check=late_entry").get_data(as_text=True)
    assert "张三丰" not in html  # hidden from the open list
    assert "已核实排除 1" in html  # counted apart on the card
    html = client.get("/township/quality?check=late_entry&dismissed=1").get_data(as_text=True)
    assert "张三丰" in html and "补录属实(已核实)" in html and "撤销" in html
    with client.application.app_context():
        change = db.session.scalar(db.select(AdminChange))
        assert change.action == "dismiss" and change.user_id == late["staff_a"]
        dismissal_id = db.session.scalar(db.select(QualityFlag.dismissal_id))
    client.post(f"/township/quality/dismissals/{dismissal_id}/withdraw",
                data={"csrf_token": csrf})
    assert "张三丰" in client.get("/township/quality?check=late_entry").get_data(as_text=True)


def test_dismissing_needs_the_csrf_token_and_the_township(client, late):
    page_login(client, "staff_a")
    r = client.post(f"/township/quality/flags/{late['flag_id']}/dismiss",
                    data={"reason": "x"})
    assert r.status_code == 400
    client.post("/township/logout", data={"csrf_token": token(client, "/township/quality")})
    page_login(client, "staff_b")
    r = client.post(f"/township/quality/flags/{late['flag_id']}/dismiss",
                    data={"reason": "x", "csrf_token": token(client, "/township/quality")})
    assert r.status_code == 404
    assert client.get("/township/quality?check=bogus").status_code == 404


def test_a_flag_rewritten_since_the_page_loaded(client, late):
    """The nightly job replaced the flag rows after the page was loaded: a row id that is
    gone, or reused by another finding, is refused with a message, never dismissed."""
    page_login(client, "staff_a")
    csrf = token(client, "/township/quality?check=late_entry")
    other = f"late_entry:{uuid.uuid4()}"  # the finding the page showed under this id
    for flag_id, subject in ((late["flag_id"] + 1000, None), (late["flag_id"], other)):
        r = client.post(f"/township/quality/flags/{flag_id}/dismiss",
                        data={"csrf_token": csrf, "reason": "补录属实", "check": "late_entry",
                              **({"subject": subject} if subject else {})})
        assert r.status_code == 302
        assert "质量核查已重新运行" in client.get(r.location).get_data(as_text=True)
    with client.application.app_context():
        assert db.session.scalar(db.select(QualityFlag.dismissal_id)) is None
