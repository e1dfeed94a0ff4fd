"""The township login's `?next=`: a CR/LF, another control character or a backslash in it
sends the person to the overview instead of giving a 500; a plain page path is kept."""
from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, login


def login_with_next(client, next_param: str):
    """Log in through the form with `next` as a raw (already percent-encoded) query."""
    html = client.get("/township/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    return client.post(f"/township/login?next={next_param}",
                       data={"username": "staff_a", "password": PASSWORD, "csrf_token": csrf})


@pytest.mark.parametrize("next_param", [
    "/township/%0D%0ASet-Cookie:%20stolen=1",
    "/township/villages%0A",
    "/township/%0Dx",
    "/township/%09x",
    "/township/%00",
    "/township%5C%5Cevil.example",
])
def test_a_control_character_in_next_goes_to_the_overview(client, town, next_param):
    r = login_with_next(client, next_param)
    assert r.status_code == 302
    assert r.location == "/township/"
    assert "stolen" not in r.headers.get("Set-Cookie", "")


def test_a_plain_next_is_kept(client, town):
    r = login_with_next(client, "/township/villages%3Fperiod%3D2025")
    assert r.status_code == 302
    assert r.location == "/township/villages?period=2025"


@pytest.mark.parametrize("path", ["/township/drill/htn_standard?indicator=x",
                                  "/township/cards/villages/{v}?village_id=2"])
def test_a_query_parameter_named_like_a_path_parameter_is_no_500(app, town, path):
    """Found by the re-attack (L1): the language link passed it twice."""
    staff = app.test_client()
    login(staff, "staff_a")
    r = staff.get(path.format(v=town["village_1"]))
    assert r.status_code in (200, 404)
