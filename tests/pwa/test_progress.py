"""The doctor's own progress (issue 20, item 5), on the phone from local data: this month's
services, the villages' hypertension rates labelled as an estimate, and a patient's
blood-pressure trend on their page. The computations are tested by hand in
tests/pwa/js/progress.test.js; this drives the screens at 360 × 740."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.pwa.helpers import first_login, save

pytestmark = pytest.mark.browser

SCREEN = {"width": 360, "height": 740}
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def followup(page, sbp: str, dbp: str) -> None:
    """A hypertension follow-up at home with one reading."""
    page.click("text=+ 高血压随访")
    page.fill("input[name=sbp]", sbp)
    page.fill("input[name=dbp]", dbp)
    page.click("[data-field=classification] >> text=控制满意")
    save(page)


def test_progress_and_trend(app, town, live_server, phone):
    """Two follow-ups today: counted this month, a trend of two points, rates estimated."""
    with phone(viewport=SCREEN) as page:
        first_login(page, live_server, "doctor_a")
        page.context.set_offline(True)
        page.click("a[data-tab=search]")
        page.fill("#search-input", "张三丰")
        page.click("#search-results >> text=张三丰")
        assert page.locator("#trend").count() == 0  # no readings yet: no chart
        followup(page, "168", "96")
        followup(page, "142", "86")
        page.wait_for_selector("#trend svg.trend")
        assert page.locator("#trend .sbp circle").count() == 2
        assert page.text_content("#trend .sbp text") == "142"  # the latest reading labelled
        page.screenshot(path=str(SHOTS / "phone-resident-bp-trend.png"))

        page.click("a[data-tab=home]")
        page.click("#progress-link")
        month = page.inner_text("#progress-month")
        assert "高血压随访" in month and "2" in month
        htn = page.inner_text("#progress-htn")
        assert "规范管理率" in htn and "控制率" in htn
        # The same day's later reading, 142/86 at 76 (under 150/90): controlled.
        assert page.inner_text("#htn-control strong") == "100%"
        assert "估算" in page.inner_text("#progress-estimate")
        page.screenshot(path=str(SHOTS / "phone-my-progress.png"))
        assert page.errors == []
