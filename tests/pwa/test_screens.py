"""Every screen of the phone app at 360×640 in Chromium, with realistic local data: each
must render without a script error and show what it is for. The screenshots go to a
temporary folder, or to PWA_SCREENSHOTS_DIR (docs/screenshots for the README):

    PWA_SCREENSHOTS_DIR=docs/screenshots .venv/bin/python -m pytest tests/pwa/test_screens.py
"""
from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest

from core.changelog import backfill
from core.clock import now_utc, today_local
from core.models import RECORD_CLASSES, Resident, ResidentCondition
from server.extensions import db
from tests.pwa.helpers import unlock

pytestmark = pytest.mark.browser


def add_people(app, town) -> None:
    """A child due vaccines and a diabetic with an urgent, overdue follow-up, in village 1."""
    today = today_local()
    with app.app_context():
        s = db.session
        v1, hh1, doctor = town["village_1"], town["household_1"], town["doctor_a"]
        child = Resident(household_id=hh1, village_id=v1, name="张小宝", sex="male",
                         birth_date=today - dt.timedelta(days=250), relationship_to_head="孙子")
        diabetic = Resident(household_id=hh1, village_id=v1, name="李秀英", sex="female",
                            birth_date=dt.date(1958, 8, 2), phone="13700137000",
                            relationship_to_head="配偶")
        diabetic.conditions = [ResidentCondition(condition="diabetes",
                                                 managed_since=dt.date(2019, 5, 1))]
        s.add_all([child, diabetic])
        s.flush()
        now = now_utc()

        def record(kind, resident, days_ago, **fields):
            s.add(RECORD_CLASSES[kind](
                id=uuid.uuid4(), resident_id=resident, village_id=v1, doctor_id=doctor,
                service_date=today - dt.timedelta(days=days_ago), mode="home",
                created_at=now, updated_at=now, version=1, **fields))

        record("diabetes_followup", diabetic.id, 40, fasting_glucose=17.2, sbp=150, dbp=92,
               classification="uncontrolled", next_visit_date=today - dt.timedelta(days=26))
        record("hypertension_followup", town["resident_1"], 85, sbp=146, dbp=88,
               classification="uncontrolled", weight_kg=68.5, medication_adherence="regular",
               medications=[{"drug": "硝苯地平缓释片", "dose": "20mg", "frequency": "每日2次"}])
        record("vaccination_check", child.id, 200, card_sighted=True,
               doses_given=[{"vaccine": "HepB", "dose_no": 1}, {"vaccine": "BCG", "dose_no": 1}])
        backfill(s)
        s.commit()


def test_every_screen(app, town, live_server, phone, tmp_path):
    """Walk through every screen, screenshot each, and check its content."""
    add_people(app, town)
    out = Path(os.environ.get("PWA_SCREENSHOTS_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)

    def shot(page, name: str) -> None:
        page.wait_for_timeout(150)  # let a toast or focus ring settle
        page.screenshot(path=str(out / f"{name}.png"))

    with phone() as page:
        page.goto(live_server + "/app/")
        page.wait_for_selector("#login")
        shot(page, "01-login")
        page.fill("#username", "doctor_a")
        page.fill("#password", "pw-12345678")
        page.click("#login")
        page.wait_for_selector("#pin1")
        shot(page, "02-set-pin")
        page.fill("#pin1", "246810")
        page.fill("#pin2", "246810")
        page.click("#set-pin")
        page.wait_for_selector("body[data-ready=home]")
        assert "李秀英" in page.inner_text("#followups")  # overdue diabetes follow-up
        assert "张小宝" in page.inner_text("#vaccines")
        assert "张三丰" in page.inner_text("#elderly")
        assert "李秀英" in page.inner_text("#urgent")  # glucose 17.2 with no visit since
        shot(page, "03-home")

        page.click("a[data-tab=search]")
        page.fill("#search-input", "zsf")
        page.wait_for_selector("#search-results >> text=张三丰")
        shot(page, "04-search-pinyin")

        page.click("#search-results >> text=张三丰")
        page.wait_for_selector(".history")
        assert "高血压" in page.inner_text(".profile")
        shot(page, "05-resident")

        page.click("text=+ 高血压随访")
        page.wait_for_selector("input[name=sbp]")
        assert page.input_value("input[name=weight_kg]") == "68.5"  # copied from last visit
        page.fill("input[name=sbp]", "186")
        page.fill("input[name=dbp]", "112")
        assert page.is_visible(".urgent")
        shot(page, "06-form-hypertension-urgent")
        page.fill("input[name=dbp]", "200")
        page.click("#save")
        assert "舒张压应低于收缩压" in page.inner_text("[data-field=dbp] .err")
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "07-form-error")

        page.goto(live_server + "/app/#/resident/" + str(town["resident_1"]))
        page.click("text=+ 老年人健康体检")
        page.wait_for_selector("input[name=sbp_left]")
        shot(page, "08-form-elderly-check")

        page.click("a[data-tab=search]")
        page.fill("#search-input", "李秀英")
        page.click("#search-results >> text=李秀英")
        page.click("text=+ 糖尿病随访")
        page.fill("input[name=fasting_glucose]", "3.6")
        assert "空腹血糖 ≤ 3.9" in page.inner_text(".urgent")
        shot(page, "09-form-diabetes")

        page.click("a[data-tab=search]")
        page.fill("#search-input", "zxb")
        page.click("#search-results >> text=张小宝")
        page.click("text=+ 预防接种核查")
        page.wait_for_selector(".dose")
        shot(page, "10-form-vaccination-check")

        page.goto(live_server + "/app/#/household/" + str(town["household_1"]))
        page.wait_for_selector("text=+ 入户随访")
        shot(page, "11-household")
        page.click("text=+ 入户随访")
        page.wait_for_selector("[data-field=members_seen]")
        shot(page, "12-form-household-visit")

        page.click("a[data-tab=new]")
        shot(page, "13-new")
        page.click("#new-education")
        page.wait_for_selector("input[name=topic]")
        shot(page, "14-form-education")
        page.click("a[data-tab=new]")
        page.click("#new-household")
        page.fill("input[name=head_name]", "张三峰")
        shot(page, "15-new-household")
        page.click("#save")
        page.wait_for_selector("input[name=national_id]")
        page.fill("input[name=national_id]", "511921195003070018")  # 张三丰's: the server refuses
        shot(page, "16-new-resident")
        page.click("#save")
        page.wait_for_selector(".profile")
        page.wait_for_selector("#unsynced.bad")  # the sync after saving: the resident came back
        page.click("#unsynced")
        page.wait_for_selector(".op.rejected")
        shot(page, "17-sync-rejected")
        page.click(".op.rejected .fix")
        page.wait_for_selector("#rejection")
        shot(page, "18-fix-rejected")

        page.click("a[data-tab=me]")
        page.wait_for_selector("#logout")
        page.wait_for_selector("#storage:not(:empty)")
        shot(page, "19-me")
        page.context.set_offline(True)
        page.click("#logout")
        page.wait_for_selector("#logout-confirm")
        assert "1 条记录没有同步" in page.inner_text("#logout-confirm")
        shot(page, "20-logout-unsynced")
        page.context.set_offline(False)

        page.click("a[data-tab=me]")
        page.click("#lang-en")  # reloads the app in English: unlock again
        unlock(page, live_server)
        assert "Today's work" in page.inner_text("main")
        shot(page, "21-home-english")
        page.click("a[data-tab=me]")
        page.click("#lang-zh")
        page.wait_for_selector("#unlock-pin")
        shot(page, "22-unlock")
        assert page.errors == []
