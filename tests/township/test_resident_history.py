"""Verifying a record (issue 19, part 2): the resident's page shows every service with its
values, who recorded it on which phone, when it was synced and entered, and each
correction and void; findings and verification calls link to the record; late-entry
findings on household visits and education activities say what they are about."""
from __future__ import annotations

import datetime as dt
import itertools
import re
import uuid

import pytest
from conftest import PASSWORD, login
from records_factory import record_body
from test_township_pages import page_login

from core.clock import today_local
from core.models import QualityFlag
from server.extensions import db

_counter = itertools.count(1)
STAMP = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)


def enrol(app, username: str, label: str) -> str:
    """A device token for `username`, its phone named `label`."""
    browser = app.test_client()
    login(browser, username)
    r = browser.post("/api/devices", json={"label": label, "password": PASSWORD})
    assert r.status_code in (200, 201), r.get_json()
    return r.get_json()["token"]


def push(app, token: str, action: str, rid: str, data: dict, base: int) -> None:
    """One record op through /api/sync, which must be accepted."""
    body = {"protocol": 1, "cursor": 0, "pull_limit": 0, "push": [{
        "op_id": str(uuid.uuid4()), "device_counter": next(_counter), "entity": "record",
        "action": action, "id": rid, "base_version": base, "device_time": None,
        "data": data}]}
    r = app.test_client().post("/api/sync", json=body,
                               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.get_json()["results"][0]["status"] == "accepted", r.get_json()


@pytest.fixture
def history(app, town):
    """doctor_a's phone 红米-1: a follow-up of 张三丰 corrected (SBP 150 → 140), another
    voided, a household visit and an education activity."""
    token = enrol(app, "doctor_a", "红米-1")
    ids = {k: str(uuid.uuid4()) for k in ("fixed", "voided", "visit", "lecture")}
    body = record_body(town)
    push(app, token, "create", ids["fixed"], body, 0)
    push(app, token, "update", ids["fixed"], {**body, "sbp": 140}, 1)
    push(app, token, "create", ids["voided"], record_body(town, sbp=188), 0)
    push(app, token, "delete", ids["voided"], {}, 1)
    push(app, token, "create", ids["visit"], record_body(town, "household_visit"), 0)
    push(app, token, "create", ids["lecture"], record_body(town, "education_activity"), 0)
    return {**town, **ids}


def _block(html: str, rid: str) -> str:
    """The part of a page about one record."""
    start = html.index(f'id="rec-{rid}"')
    end = html.find('<div class="card record', start + 10)
    return html[start:end if end > 0 else None]


def test_the_resident_page_shows_corrections_and_voids_with_who_when_and_phone(client, history):
    page_login(client, "staff_a")
    html = client.get(f"/township/residents/{history['resident_1']}").get_data(as_text=True)
    assert "服务记录" in html
    fixed = _block(html, history["fixed"])
    assert "已更正" in fixed and "140/95" in fixed  # its values now
    assert re.search(r"150\s*→\s*<b>140</b>", fixed)  # and the correction, from the log
    assert "记录人: doctor_a" in fixed and "手机: 红米-1" in fixed
    assert "同步到服务器" in fixed and "录入（服务器时钟）" in fixed
    assert fixed.count("修改人: doctor_a") == 2 and fixed.count("设备: 红米-1") == 2
    voided = _block(html, history["voided"])
    assert "已作废" in voided and "188/95" in voided and "设备: 红米-1" in voided
    assert "控制不满意" in fixed  # a coded value in words
    assert "入户随访" in _block(html, history["visit"])  # the visits to their household


def test_a_record_page_is_the_township_s_own(client, history):
    page_login(client, "staff_a")
    html = client.get(f"/township/records/{history['lecture']}").get_data(as_text=True)
    assert "高血压防治" in html and "红米-1" in html
    client.post("/township/logout", data={"csrf_token": re.search(
        r'name="csrf_token" value="([^"]+)"', html).group(1)})
    page_login(client, "staff_b")
    assert client.get(f"/township/records/{history['lecture']}").status_code == 404
    assert client.get(f"/township/records/{uuid.uuid4()}").status_code == 404


def test_late_entry_findings_on_visits_and_activities_say_what_they_are_about(
        client, app, history):
    with app.app_context():
        for key in ("visit", "lecture"):
            db.session.add(QualityFlag(
                township_id=history["township_a"], check="late_entry",
                village_id=history["village_1"], doctor_id=history["doctor_a"],
                record_id=uuid.UUID(history[key]), service_date=dt.date(2026, 10, 15),
                detail="40 天", found_at=STAMP))
        db.session.commit()
    page_login(client, "staff_a")
    html = client.get("/township/quality?check=late_entry").get_data(as_text=True)
    rows = re.findall(r'<tr class="flag"><td>(.*?)</td>', html, re.S)
    assert len(rows) == 2 and not any(r.startswith("—") for r in rows)
    assert any("龙泉村1组1号" in r for r in rows) and any("高血压防治" in r for r in rows)
    for key in ("visit", "lecture"):
        assert f'href="/township/records/{history[key]}"' in html
    # The record type filter finds the household visit's finding only.
    html = client.get("/township/quality?check=late_entry&kind=household_visit").text
    assert "龙泉村1组1号" in html and "高血压防治" not in html


def test_the_doctors_page_opens_on_the_last_complete_month(client, town):
    today = today_local()
    last = f"{today.year}-{today.month - 1:02d}" if today.month > 1 else f"{today.year - 1}-12"
    page_login(client, "staff_a")
    html = client.get("/township/doctors").get_data(as_text=True)
    assert re.search(rf'<option value="{last}" selected>', html)
    html = client.get(f"/township/doctors?period={today.year}").get_data(as_text=True)
    assert re.search(rf'<option value="{today.year}" selected>', html)
