"""Numbers typed into URLs and forms: anything that is not a plain whole number in range
is answered (404, a refusal, or the default), never a server error. Python's isdigit()
is true for "²" and "①", which int() refuses, and PostgreSQL refuses integers past 2**31
(this runs on both databases)."""
from __future__ import annotations

import pytest
from conftest import login
from test_township_pages import page_login, token

from server.metrics.editing import _int as whole_in_range

ODD = ["²", "①", "١٢", "99999999999999999999", "2147483648", "-1", " 1"]


@pytest.mark.parametrize("raw", ODD)
def test_query_numbers(client, town, raw):
    page_login(client, "staff_a")
    for path, expected in ((f"/township/drill/htn_standard?doctor={raw}", {404}),
                           (f"/township/drill/htn_standard?village={raw}", {404}),
                           (f"/township/vaccines/MMR/1?village={raw}", {404}),
                           (f"/township/trends?year={raw}", {200}),
                           (f"/township/targets?village={raw}", {404}),
                           (f"/township/targets?year={raw}", {200}),
                           (f"/township/cards/villages/{town['village_1']}?page={raw}",
                            {200})):
        r = client.get(path)
        assert r.status_code in expected, (path, r.status_code)


@pytest.mark.parametrize("number", ["99999999999999999999", "2147483648"])
def test_ids_in_paths_past_the_database_integer(client, town, number):
    page_login(client, "staff_a")
    assert client.get(f"/township/cards/villages/{number}").status_code == 404
    assert client.get(f"/township/vaccines/MMR/{number}").status_code == 404
    r = client.post(f"/township/quality/flags/{number}/dismiss",
                    data={"csrf_token": token(client, "/township/quality")})
    assert r.status_code == 404
    client.get("/township/logout")
    login(client, "staff_a")
    r = client.post(f"/api/sync/conflicts/{number}/resolve", json={"use_device_value": True})
    assert r.status_code == 404


@pytest.mark.parametrize("raw", ODD)
def test_form_numbers(client, town, raw):
    page_login(client, "admin_a")
    r = client.post("/township/cards/blank", data={"count": raw,
                                                   "csrf_token": token(client, "/township/cards")})
    assert r.status_code in (302, 303, 400, 422), r.status_code
    r = client.post("/township/verification/draw", data={
        "period": "2026-Q1", "size": raw, "csrf_token": token(client, "/township/quality")})
    assert r.status_code in (302, 303), r.status_code


@pytest.mark.parametrize("raw", ["²", "①", "1²", "--1", ""])
def test_target_numbers_refused_with_a_reason(raw):
    value, reason = whole_in_range(raw, 0, 100)
    assert value is None and reason


@pytest.mark.parametrize("raw", ["²", "99999999999999999999", "-3"])
def test_card_sheet_village_numbers(client, town, raw):
    login(client, "staff_a")
    assert client.get(f"/api/cards/sheet.pdf?village_id={raw}").status_code == 400
