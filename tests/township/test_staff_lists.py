"""Lists staff act on (issue 19, part 3): every row reachable by paging and in the xlsx,
filters by village, doctor, record type and finding, phone numbers only for the admin, a
doctor's drill-down named after the doctor, and verification calls with no outcome chosen
(docs/adr/0064-staff-lists.md)."""
from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from openpyxl import load_workbook
from test_township_pages import page_login, year  # noqa: F401  (fixture)

from core.models import (
    HouseholdVisit,
    OverduePatient,
    QualityFlag,
    Resident,
    ResidentCondition,
    VerificationCall,
    VerificationSample,
)
from server.extensions import db

CROWD = 550  # more than every old cut (200, 300, 500)
STAMP = dt.datetime(2025, 1, 2, tzinfo=dt.UTC)


@pytest.fixture
def crowd(app, town):
    """550 hypertension patients in village 1 (phones 1390000xxxx), none followed up in
    2025, each overdue and each with a late-entry finding; two more in village 2."""
    with app.app_context():
        s = db.session
        people = []
        for i in range(CROWD + 2):
            village = town["village_1"] if i < CROWD else town["village_2"]
            r = Resident(id=uuid.uuid4(), village_id=village, name=f"居民{i:04d}", sex="male",
                         birth_date=dt.date(1950, 1, 1), phone=f"1390000{i:04d}",
                         record_created_on=dt.date(2020, 1, 1))
            r.conditions = [ResidentCondition(condition="hypertension",
                                              managed_since=dt.date(2020, 1, 1))]
            people.append(r)
        s.add_all(people)
        s.flush()
        for i, r in enumerate(people):
            doctor = town["doctor_a"] if i < CROWD else town["doctor_b"]
            s.add(OverduePatient(township_id=town["township_a"], village_id=r.village_id,
                                 resident_id=r.id, condition="hypertension",
                                 reason="never", computed_at=STAMP))
            s.add(QualityFlag(township_id=town["township_a"], check="late_entry",
                              village_id=r.village_id, doctor_id=doctor, resident_id=r.id,
                              service_date=dt.date(2025, 1, 1), detail="40 天",
                              found_at=STAMP))
        s.commit()
    return town


def names_on(html: str) -> list[str]:
    return re.findall(r">(居民\d{4})<", html)


def all_pages(client, url: str) -> list[str]:
    """Follow the pager's "next" link from the first page to the last."""
    seen, pages = [], 0
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += names_on(html)
        pages += 1
        nxt = re.search(r'<a href="([^"]+)" rel="next">', html)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        assert pages < 20
    return seen


def xlsx_rows(client, url: str) -> list[tuple]:
    r = client.get(url)
    assert r.status_code == 200, r.status_code
    assert r.content_type.startswith("application/vnd.openxmlformats")
    return list(load_workbook(io.BytesIO(r.data)).active.iter_rows(values_only=True))


def test_the_drill_down_pages_through_every_resident_and_downloads_them_all(client, crowd):
    page_login(client, "staff_a")
    url = f"/township/drill/htn_standard?period=2025&village={crowd['village_1']}"
    html = client.get(url).get_data(as_text=True)
    # The counts are over the whole list (550 and the town's 张三丰), not over what fitted.
    assert '未计入 <b class="bad">551</b>' in html
    assert "第 1–100 条，共 551 条" in html
    seen = all_pages(client, url)
    assert len(seen) == CROWD and len(set(seen)) == CROWD
    rows = xlsx_rows(client, url + "&format=xlsx")
    assert rows[0][:3] == ("姓名", "已计入", "原因") and len(rows) == CROWD + 2
    assert {r[0] for r in rows[1:]} == set(seen) | {"张三丰"}
    assert {r[1] for r in rows[1:]} == {"未计入"}


def test_the_overdue_list_pages_filters_and_downloads(client, crowd):
    page_login(client, "admin_a")
    seen = all_pages(client, "/township/overdue")
    assert len(set(seen)) == CROWD + 2
    rows = xlsx_rows(client, "/township/export/overdue.xlsx")
    assert len(rows) == CROWD + 3 and rows[0][:3] == ("姓名", "村", "电话")
    # Filters: a village, a doctor (the villages they serve), a condition, a reason.
    v2 = all_pages(client, f"/township/overdue?village={crowd['village_2']}")
    assert sorted(v2) == ["居民0550", "居民0551"]
    assert sorted(all_pages(client, f"/township/overdue?doctor={crowd['doctor_b']}")) == v2
    assert all_pages(client, "/township/overdue?kind=diabetes") == []
    assert all_pages(client, "/township/overdue?finding=uncontrolled") == []
    rows = xlsx_rows(client, f"/township/export/overdue.xlsx?village={crowd['village_2']}")
    assert [r[0] for r in rows[1:]] == ["居民0550", "居民0551"]
    # Another township's village or doctor is not a filter that empties the list: a 404.
    assert client.get(f"/township/overdue?village={crowd['village_3']}").status_code == 404
    assert client.get(f"/township/overdue?doctor={crowd['doctor_c']}").status_code == 404


def test_quality_findings_page_filter_and_download(client, crowd):
    page_login(client, "staff_a")
    url = "/township/quality?check=late_entry"
    seen = all_pages(client, url)
    assert len(set(seen)) == CROWD + 2
    rows = xlsx_rows(client, "/township/export/quality.xlsx?check=late_entry")
    assert len(rows) == CROWD + 3 and rows[0][:2] == ("问题类型", "姓名")
    assert all(r[0] == "补录过晚" or r[0] for r in rows[1:])
    by_doctor = all_pages(client, f"{url}&doctor={crowd['doctor_b']}")
    assert sorted(by_doctor) == ["居民0550", "居民0551"]
    by_village = xlsx_rows(client, f"/township/export/quality.xlsx?check=late_entry"
                                   f"&village={crowd['village_2']}")
    assert sorted(r[1] for r in by_village[1:]) == ["居民0550", "居民0551"]
    # Record type: these findings are about residents, not a household visit.
    assert all_pages(client, f"{url}&kind=household_visit") == []
    assert client.get(f"{url}&kind=nonsense").status_code == 404


def test_phone_numbers_only_for_the_admin(client, crowd):
    url = f"/township/drill/htn_standard?period=2025&village={crowd['village_2']}"
    page_login(client, "admin_a")
    assert "13900000550" in client.get(url).get_data(as_text=True)
    assert "13900000550" in {r[5] for r in xlsx_rows(client, url + "&format=xlsx")}
    assert "13900000551" in {r[2] for r in xlsx_rows(client, "/township/export/overdue.xlsx")}
    client.post("/township/logout", data={"csrf_token": _token(client)})
    page_login(client, "staff_a")
    html = client.get(url).get_data(as_text=True) + \
        client.get("/township/overdue").get_data(as_text=True)
    assert "13900000550" not in html and "139****0550" in html
    cells = [c for r in xlsx_rows(client, url + "&format=xlsx") for c in r] + \
        [c for r in xlsx_rows(client, "/township/export/overdue.xlsx") for c in r]
    assert "13900000550" not in cells and "139****0550" in cells


def _token(client) -> str:
    html = client.get("/township/quality").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_a_doctor_s_drill_down_is_titled_with_the_doctor_s_name(client, crowd, app):
    with app.app_context():
        from core.models import User

        db.session.get(User, crowd["doctor_b"]).full_name = "刘医生"
        db.session.commit()
    page_login(client, "staff_a")
    html = client.get(f"/township/drill/htn_standard?period=2025&doctor={crowd['doctor_b']}"
                      ).get_data(as_text=True)
    assert re.search(r"<title>[^<]*刘医生", html)
    assert re.search(r"<h2>[^<]*刘医生[^<]*</h2>", html)
    # Township → village → doctor: the township's list links each village's and doctor's.
    html = client.get("/township/drill/htn_standard?period=2025&page=6").get_data(as_text=True)
    assert "居民0551" in html
    assert f"village={crowd['village_2']}&amp;doctor={crowd['doctor_b']}" in html


def test_the_overview_opens_the_township_s_list(client, year):  # noqa: F811
    """Township → village → doctor → resident starts on the overview's card."""
    page_login(client, "staff_a")
    html = client.get("/township/?period=2025").get_data(as_text=True)
    assert 'href="/township/drill/htn_standard?period=2025"' in html


def test_a_verification_call_starts_with_no_outcome_chosen(client, app, crowd):
    with app.app_context():
        rid = db.session.scalar(db.select(Resident.id).where(Resident.name == "居民0550"))
        visit = HouseholdVisit(id=uuid.uuid4(), resident_id=rid, village_id=crowd["village_2"],
                               doctor_id=crowd["doctor_b"], service_date=dt.date(2025, 1, 1),
                               mode="home", created_at=STAMP, updated_at=STAMP)
        sample = VerificationSample(township_id=crowd["township_a"], period="2025-Q1",
                                    drawn_by_id=crowd["staff_a"], drawn_at=STAMP)
        db.session.add_all([visit, sample])
        db.session.flush()
        db.session.add(VerificationCall(sample_id=sample.id, resident_id=rid,
                                        record_id=visit.id, village_id=crowd["village_2"],
                                        doctor_id=crowd["doctor_b"]))
        db.session.commit()
        visit_id = visit.id
    page_login(client, "staff_a")
    html = client.get("/township/quality").get_data(as_text=True)
    select = re.search(r'<select name="outcome"[^>]*>(.*?)</select>', html, re.S)
    assert select and "required" in select.group(0)
    options = re.findall(r"<option[^>]*>", select.group(1))
    assert [o for o in options if "selected" in o] == [o for o in options if 'value=""' in o]
    assert len([o for o in options if 'value=""' in o]) == 1
    # The call links to the record it is about.
    assert f'href="/township/records/{visit_id}"' in html


def test_the_children_missing_a_dose_page_and_download_whole(client, app, town):
    """520 children of village 1 born in 2025, never checked: all miss HepB 1 (was cut at
    500)."""
    from core.models import VaccineScheduleDose

    with app.app_context():
        db.session.add(VaccineScheduleDose(vaccine="HepB", name_zh="乙肝疫苗", dose_no=1,
                                           due_age_months=0))
        db.session.add_all([Resident(id=uuid.uuid4(), village_id=town["village_1"],
                                     name=f"居民{i:04d}", sex="female",
                                     birth_date=dt.date(2025, 1, 1) + dt.timedelta(days=i % 300))
                            for i in range(520)])
        db.session.commit()
    page_login(client, "staff_a")
    url = "/township/vaccines/HepB/1?period=2025&missing=1"
    html = client.get(url).get_data(as_text=True)
    assert "第 1–100 条，共 520 条" in html and '未接种 <b class="bad">520</b>' in html
    seen = all_pages(client, url)
    assert len(set(seen)) == 520
    rows = xlsx_rows(client, url + "&format=xlsx")
    assert len(rows) == 521 and {r[0] for r in rows[1:]} == set(seen)
    assert all_pages(client, f"{url}&village={town['village_2']}") == []


@pytest.mark.parametrize("query, status", [
    ("page=" + "9" * 5000, 200), ("page=-1", 200), ("page=abc", 200),
    ("village=" + "9" * 5000, 404), ("doctor=" + "9" * 5000, 404), ("kind=nonsense", 404)])
def test_odd_list_arguments_are_never_a_500(client, town, query, status):
    page_login(client, "staff_a")
    for path in ("/township/overdue?", "/township/quality?check=late_entry&",
                 "/township/drill/htn_standard?period=2025&"):
        assert client.get(path + query).status_code == status, path + query[:20]
