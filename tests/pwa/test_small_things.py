"""The smaller things a doctor notices (issue 20, item 7), in the machine's Chromium at
360 × 740: the 65+ check's BMI from height and weight; an error that goes once the field
is put right; glucose 45 (a slip for 4.5) refused without the urgent banner; a household's
page listing its visits, and its address said once; outbox lines that name the household
and the activity; an infant's age in months; and the status bar's count, the sync button
and the household link at least 44 × 44 CSS px (WCAG 2.5.5)."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.pwa.helpers import first_login, save, unsynced

pytestmark = pytest.mark.browser

SCREEN = {"width": 360, "height": 740}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
TAP = 44  # CSS px
HOUSEHOLD_LINK = ".profile a[href^='#/household/']"


def china_today() -> dt.date:
    """Today in China, the phone's day (the tests' browser runs in Asia/Shanghai)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(hours=8)).date()


def box(page, selector: str) -> dict:
    """The element's bounding box in CSS px."""
    found = page.locator(selector).first.bounding_box()
    assert found is not None, f"{selector} not on screen"
    return found


def assert_tappable(page, selector: str) -> None:
    """At least 44 × 44 CSS px."""
    b = box(page, selector)
    assert b["width"] >= TAP and b["height"] >= TAP, f"{selector}: {b['width']:.0f} × {b['height']:.0f}"


def new_household_with_infant(page, born: dt.date) -> None:
    """A household at 4组6号 with its head, then a baby born on `born` as a member."""
    page.click("a[data-tab=new]")
    page.click("#new-household")
    page.fill("input[name=head_name]", "王建国")
    page.fill("input[name=group_no]", "4")
    page.fill("input[name=house_no]", "6")
    page.fill("input[name=address]", "龙泉村4组6号")
    save(page)
    page.click("[data-field=sex] >> text=男")
    page.fill("input[name=birth_date]", "1985-06-12")
    save(page)
    page.click(HOUSEHOLD_LINK)
    page.click("text=+ 新增家庭成员")
    page.fill("input[name=name]", "王小宝")
    page.fill("input[name=relationship_to_head]", "子")
    page.click("[data-field=sex] >> text=男")
    page.fill("input[name=birth_date]", born.isoformat())
    save(page)


def test_household_page_age_outbox_and_tap_targets(app, town, live_server, phone):
    """Address once, visits listed, months for a baby, subjects in the outbox, 44 px targets."""
    today = china_today()
    born = today - dt.timedelta(days=75)  # two months old (and some days)
    with phone(viewport=SCREEN) as page:
        first_login(page, live_server, "doctor_a")
        page.context.set_offline(True)  # nothing leaves the outbox while we look at it
        new_household_with_infant(page, born)
        assert "2个月" in page.inner_text(".profile h2")  # not "0岁"
        assert_tappable(page, HOUSEHOLD_LINK)
        page.click(HOUSEHOLD_LINK)
        assert page.inner_text(".view section.card >> nth=0 >> p.muted") == "龙泉村4组6号"  # once, not "… 4组 6"
        assert "2个月" in page.inner_text(".list >> text=王小宝 >> xpath=..")
        assert "暂无记录" in page.inner_text("#household-visits")
        page.click("text=+ 入户随访")
        page.click("[data-field=members_seen] >> text=王小宝")
        page.click("[data-field=services_done] >> text=健康指导")
        save(page)
        visits = page.inner_text("#household-visits")
        assert today.isoformat()[2:] in visits and "王小宝" in visits and "健康指导" in visits
        page.screenshot(path=str(SHOTS / "phone-household-visits.png"))

        page.click("a[data-tab=new]")
        page.click("#new-education")
        page.click("[data-field=activity_type] >> text=讲座")
        page.fill("input[name=topic]", "冬季防跌倒")
        page.fill("input[name=place]", "村委会")
        page.fill("input[name=audience_count]", "15")
        save(page)
        page.click("#unsynced")
        lines = page.locator("#outbox .op").all_inner_texts()
        assert any("入户随访 王建国" in x for x in lines), lines
        assert any("健康教育活动 冬季防跌倒" in x for x in lines), lines
        assert unsynced(page) == 5
        assert_tappable(page, "#unsynced")
        assert_tappable(page, "#sync-button")
        page.screenshot(path=str(SHOTS / "phone-outbox-subjects.png"))
        assert page.errors == []


def test_elderly_check_bmi_glucose_and_fixed_errors(app, town, live_server, phone):
    """BMI filled in; 45 refused without the urgent banner; the error goes once fixed."""
    with phone(viewport=SCREEN) as page:
        first_login(page, live_server, "doctor_a")
        page.click("a[data-tab=search]")
        page.fill("#search-input", "张三丰")
        page.click("#search-results >> text=张三丰")
        page.click("text=+ 老年人健康体检")
        page.fill("input[name=height_cm]", "165")
        page.fill("input[name=weight_kg]", "70")
        assert page.input_value("input[name=bmi]") == "25.7"  # 70 / 1.65²
        page.fill("input[name=weight_kg]", "64")
        assert page.input_value("input[name=bmi]") == "23.5"  # follows the weight

        page.fill("input[name=fasting_glucose]", "45")
        assert not page.is_visible(".urgent")  # out of range: a slip, not a referral
        page.click("#save")
        err = page.inner_text("[data-field=fasting_glucose] .err")
        assert err  # the range error, under the field
        assert not page.is_visible(".urgent")
        page.screenshot(path=str(SHOTS / "phone-form-glucose-range.png"))
        page.fill("input[name=fasting_glucose]", "4.5")  # put right: the error goes at once
        assert page.inner_text("[data-field=fasting_glucose] .err") == ""
        assert "invalid" not in page.get_attribute("[data-field=fasting_glucose]", "class")
        assert page.inner_text(".form-status") == ""
        page.fill("input[name=fasting_glucose]", "3.2")  # in range and low: urgent
        assert page.is_visible(".urgent") and "3.9" in page.inner_text(".urgent")

        page.fill("input[name=bmi]", "24")  # the doctor's own BMI is kept
        page.fill("input[name=weight_kg]", "66")
        assert page.input_value("input[name=bmi]") == "24"
        page.screenshot(path=str(SHOTS / "phone-form-elderly-bmi.png"))
        save(page)
        assert page.errors == []
