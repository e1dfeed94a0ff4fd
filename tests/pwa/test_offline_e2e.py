"""The phone, end to end, in the machine's real Chromium: first login online, then days
without signal (the browser closed and reopened on the same profile, as a phone switched
off), records made offline, and the sync that puts them on the server under the right
doctor and village; and a record the server rejects, corrected on the phone and re-sent."""
from __future__ import annotations

import pytest

from core.models import Household, Resident, ServiceRecord
from server.extensions import db
from tests.pwa.helpers import first_login, save, unlock, unsynced, wait_all_synced

pytestmark = pytest.mark.browser

NEW_HEAD_ID = "511921198506120017"  # 1985-06-12, male, valid check digit
TAKEN_ID = "511921195003070018"  # 张三丰's, already on the server
FREE_ID = "511921195003070034"  # 1950-03-07, male, valid check digit


def register_household_and_resident(page) -> None:
    """New household with its head as the first resident, under hypertension management."""
    page.click("a[data-tab=new]")
    page.click("#new-household")
    page.fill("input[name=head_name]", "王建国")
    page.fill("input[name=group_no]", "3")
    page.fill("input[name=house_no]", "12")
    page.fill("input[name=address]", "龙泉村3组12号")
    save(page)
    assert page.input_value("input[name=name]") == "王建国"  # the head is the first member
    page.fill("input[name=national_id]", NEW_HEAD_ID)
    assert page.input_value("input[name=birth_date]") == "1985-06-12"  # read from the ID
    page.fill("input[name=phone]", "13912345678")
    page.click("[data-field=conditions] >> text=高血压")
    save(page)
    page.wait_for_selector("text=王建国")


def record_hypertension_followup(page) -> None:
    """A routine follow-up with an urgent SBP flagged as it is typed."""
    page.click("text=+ 高血压随访")
    page.fill("input[name=sbp]", "185")
    assert page.is_visible(".urgent")  # flagged while typing, before saving
    assert "收缩压 ≥ 180" in page.inner_text(".urgent")
    page.fill("input[name=dbp]", "95")
    page.click("[data-field=medication_adherence] >> text=规律")
    page.click("[data-field=classification] >> text=控制不满意")
    save(page)
    page.wait_for_selector(".history >> text=高血压随访")


def record_education_activity(page) -> None:
    """A lecture in the village."""
    page.click("a[data-tab=new]")
    page.click("#new-education")
    page.click("[data-field=activity_type] >> text=讲座")
    page.fill("input[name=topic]", "高血压的自我管理")
    page.fill("input[name=place]", "村委会")
    page.fill("input[name=audience_count]", "23")
    save(page)


def test_offline_days_then_sync(app, town, live_server, phone):
    """Login online → offline cold starts → records → reopen → online → on the server."""
    with phone() as page:
        first_login(page, live_server, "doctor_a")
        assert page.errors == []

    with phone(offline=True) as page:  # cold start, no network
        unlock(page, live_server)
        assert page.inner_text(".net") == "无网络"
        register_household_and_resident(page)
        record_hypertension_followup(page)
        record_education_activity(page)
        page.wait_for_selector("body[data-ready=home]")
        assert unsynced(page) == 4
        assert page.errors == []

    with phone(offline=True) as page:  # switched off and on again, still no signal
        unlock(page, live_server)
        assert unsynced(page) == 4
        page.click("a[data-tab=search]")
        page.fill("#search-input", "wjg")  # pinyin initials of 王建国
        page.click("#search-results >> text=王建国")
        page.wait_for_selector(".history >> text=高血压随访")
        page.context.set_offline(False)  # signal again: the online event starts a sync
        wait_all_synced(page)
        assert page.errors == []

    with app.app_context():
        doctor, village = town["doctor_a"], town["village_1"]
        household = db.session.scalar(db.select(Household).where(Household.head_name == "王建国"))
        assert household is not None and household.village_id == village
        resident = db.session.scalar(db.select(Resident).where(Resident.national_id == NEW_HEAD_ID))
        assert resident.household_id == household.id and resident.village_id == village
        assert [c.condition for c in resident.conditions] == ["hypertension"]
        assert resident.record_no  # numbered by the server
        records = db.session.scalars(db.select(ServiceRecord).where(
            ServiceRecord.doctor_id == doctor)).all()
        kinds = sorted(r.kind for r in records)
        assert kinds == ["education_activity", "hypertension_followup"]
        assert all(r.village_id == village and r.device_id is not None for r in records)
        followup = next(r for r in records if r.kind == "hypertension_followup")
        assert followup.resident_id == resident.id and (followup.sbp, followup.dbp) == (185, 95)


def test_rejected_record_is_corrected_and_resent(app, town, live_server, phone):
    """The server refuses a duplicate ID number; the doctor sees why, fixes it, re-sends."""
    with phone() as page:
        first_login(page, live_server, "doctor_a")
        page.context.set_offline(True)
        page.click("a[data-tab=new]")
        page.click("#new-household")
        page.fill("input[name=head_name]", "张三峰")
        save(page)
        page.fill("input[name=national_id]", TAKEN_ID)
        save(page)
        assert unsynced(page) == 2
        page.context.set_offline(False)
        page.click("#sync-button")
        page.wait_for_selector("#unsynced.bad")  # the household went, the resident came back
        assert unsynced(page) == 1
        page.click("#unsynced")
        rejected = page.inner_text(".op.rejected")
        assert "该身份证号已有档案" in rejected
        page.click(".op.rejected .fix")
        assert "该身份证号已有档案" in page.inner_text("[data-field=national_id] .err")
        page.fill("input[name=national_id]", FREE_ID)
        save(page)
        page.click("#sync-button")
        wait_all_synced(page)
        assert page.errors == []

    with app.app_context():
        resident = db.session.scalar(db.select(Resident).where(Resident.national_id == FREE_ID))
        assert resident is not None and resident.name == "张三峰"
        assert resident.village_id == town["village_1"]
