"""Writes a cross-site page could make with the victim's session cookie are refused
(server/auth/csrf.py, docs/adr/0048): a form, a `text/plain` body, a request without the
X-Requested-With header. Device-token requests and our own clients' requests still work."""
from __future__ import annotations

import json
import uuid

import pytest
from conftest import PASSWORD, login
from flask.testing import FlaskClient

from core.models import Device, Household
from server.auth.current import hash_token, new_token
from server.extensions import db


def cross_site(app) -> FlaskClient:
    """A browser client as another site's page drives it: cookies, but no custom header."""
    return FlaskClient(app, app.response_class, use_cookies=True)


def household_push(town) -> dict:
    """A sync body that creates one household in village 1."""
    return {"protocol": 1, "cursor": 0, "pull_limit": 0, "push": [{
        "op_id": str(uuid.uuid4()), "device_counter": 1, "entity": "household",
        "action": "create", "id": str(uuid.uuid4()), "base_version": 0, "device_time": None,
        "data": {"village_id": town["village_1"], "address": "龙泉村9组9号",
                 "head_name": "跨站"}}]}


def households(app) -> int:
    with app.app_context():
        n = db.session.scalar(db.select(db.func.count(Household.id)))
        db.session.remove()
    return n


def logged_in_cross_site(app, username: str) -> FlaskClient:
    """The victim logged in (through our own app), then visiting another site."""
    browser = app.test_client()
    login(browser, username)
    del browser.environ_base["HTTP_X_REQUESTED_WITH"]  # what another site's page can't send
    return browser


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
def test_sync_with_a_cookie_and_a_form_content_type_is_refused(app, town, content_type):
    victim = logged_in_cross_site(app, "doctor_a")
    before = households(app)
    for headers in ({}, {"X-Requested-With": "cunyi"}):
        r = victim.post("/api/sync", data=json.dumps(household_push(town)),
                        headers={"Content-Type": content_type, **headers})
        assert r.status_code == 415, r.get_data(as_text=True)[:300]
        assert r.get_json()["code"] == "unsupported_media_type"
    assert households(app) == before


def test_sync_with_a_cookie_needs_the_custom_header(app, town):
    victim = logged_in_cross_site(app, "doctor_a")
    before = households(app)
    r = victim.post("/api/sync", json=household_push(town))
    assert r.status_code == 403
    assert r.get_json()["code"] == "csrf_header_missing"
    assert households(app) == before
    # Our own client (the header sent) is unaffected.
    r = victim.post("/api/sync", json=household_push(town), headers={"X-Requested-With": "x"})
    assert r.status_code == 200
    assert households(app) == before + 1


@pytest.fixture
def device_id(app, town) -> str:
    """A phone of doctor_a, enrolled directly in the database."""
    with app.app_context():
        device = Device(user_id=town["doctor_a"], label="红米", token_hash=hash_token(new_token()))
        db.session.add(device)
        db.session.commit()
        out = str(device.id)
        db.session.remove()
    return out


def revoked(app, device_id: str) -> bool:
    with app.app_context():
        row = db.session.get(Device, uuid.UUID(device_id))
        out = row.revoked_at is not None
        db.session.remove()
    return out


@pytest.mark.parametrize("kind", ["form", "empty_form", "text", "no_body"])
def test_revoking_a_device_by_a_cross_site_post_is_refused(app, town, device_id, kind):
    admin = logged_in_cross_site(app, "admin_a")
    url = f"/api/devices/{device_id}/revoke"
    if kind == "form":
        r = admin.post(url, data={"confirm": "1"})
    elif kind == "empty_form":
        r = admin.post(url, data={})
    elif kind == "text":
        r = admin.post(url, data="{}", content_type="text/plain")
    else:  # fetch(url, {method: "POST", mode: "no-cors", credentials: "include"})
        r = admin.post(url)
    assert r.status_code in (403, 415), r.get_data(as_text=True)[:300]
    assert not revoked(app, device_id)
    # The admin's own page (JSON and the header) still revokes.
    r = admin.post(url, json={}, headers={"X-Requested-With": "cunyi"})
    assert r.status_code == 200
    assert revoked(app, device_id)


def test_login_by_a_cross_site_form_is_refused(app, town):
    attacker_form = cross_site(app)
    r = attacker_form.post("/api/auth/login",
                           data={"username": "doctor_a", "password": PASSWORD})
    assert r.status_code == 415
    r = attacker_form.post("/api/auth/login", data=json.dumps(
        {"username": "doctor_a", "password": PASSWORD}), content_type="text/plain")
    assert r.status_code == 415
    r = attacker_form.post("/api/auth/login", json={"username": "doctor_a", "password": PASSWORD})
    assert r.status_code == 403
    assert "Set-Cookie" not in r.headers
    assert attacker_form.get("/api/me").status_code == 401


def test_device_token_requests_need_no_header(app, town):
    token = new_token()
    with app.app_context():
        db.session.add(Device(user_id=town["doctor_a"], label="p", token_hash=hash_token(token)))
        db.session.commit()
        db.session.remove()
    phone = cross_site(app)  # no X-Requested-With: a bearer token is never sent by itself
    before = households(app)
    r = phone.post("/api/sync", json=household_push(town),
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert households(app) == before + 1


def test_reads_need_no_header(app, town):
    victim = logged_in_cross_site(app, "doctor_a")
    assert victim.get("/api/me").status_code == 200
