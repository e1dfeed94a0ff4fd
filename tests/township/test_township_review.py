"""The township's conflict review and audit pages, through the browser-facing forms."""
from __future__ import annotations

import re

from conftest import PASSWORD, login


def _token(client, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _page_login(client, username: str) -> None:
    r = client.post("/township/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": _token(client, "/township/login")})
    assert r.status_code == 302


def _conflict(app, town, phone) -> str:
    rid = str(town["resident_1"])
    a = phone()
    a.update("resident", rid, {"phone": "13900000001"})
    staff = app.test_client()
    login(staff, "staff_a")
    staff.patch(f"/api/residents/{rid}", json={"version": 1, "phone": "13711112222"})
    a.sync()
    return rid


def test_staff_review_a_conflict_on_the_page(app, town, phone):
    rid = _conflict(app, town, phone)
    client = app.test_client()
    _page_login(client, "staff_a")
    html = client.get("/township/conflicts").get_data(as_text=True)
    assert "13711112222" in html and "13900000001" in html and "电话" in html
    conflict_id = re.search(r'/township/conflicts/(\d+)', html).group(1)
    r = client.post(f"/township/conflicts/{conflict_id}", data={"take": "device"})
    assert r.status_code == 400  # no CSRF token: refused
    csrf = _token(client, "/township/conflicts")
    r = client.post(f"/township/conflicts/{conflict_id}",
                    data={"take": "device", "csrf_token": csrf})
    assert r.status_code == 302
    assert "13900000001" not in client.get("/township/conflicts").get_data(as_text=True)
    api = app.test_client()
    login(api, "staff_a")
    assert api.get(f"/api/residents/{rid}").get_json()["phone"] == "13900000001"


def test_admin_reads_the_audit_trail_page(app, town, phone):
    rid = _conflict(app, town, phone)
    client = app.test_client()
    _page_login(client, "staff_a")
    assert client.get(f"/township/audit/{rid}").status_code == 403
    admin = app.test_client()
    _page_login(admin, "admin_a")
    html = admin.get(f"/township/audit/{rid}").get_data(as_text=True)
    assert "张三丰" in html and "13800138000" in html and "13711112222" in html
    assert "staff_a" in html
    other = app.test_client()
    _page_login(other, "staff_b")
    assert other.get("/township/conflicts").get_data(as_text=True).count("13900000001") == 0
