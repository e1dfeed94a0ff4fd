"""The JSON card endpoints write the same audit rows as the township's cards pages."""
from __future__ import annotations

import pytest
from conftest import PASSWORD

from core.models import AdminChange
from server.extensions import db


@pytest.fixture
def staff(app, town):
    client = app.test_client()
    r = client.post("/api/auth/login", json={"username": "staff_a", "password": PASSWORD})
    assert r.status_code == 200
    return client


def logged(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [(c.subject, c.action) for c in db.session.scalars(
            db.select(AdminChange).order_by(AdminChange.id))]


def test_issue_reissue_revoke_and_blank_are_audited(app, town, staff):
    rid, vid = town["resident_1"], town["village_1"]
    first = staff.post(f"/api/residents/{rid}/card", json={})
    assert first.status_code == 201, first.get_json()
    second = staff.post(f"/api/residents/{rid}/card", json={"reason": "damaged"})
    assert second.status_code == 201
    revoked = staff.post(f"/api/cards/{second.get_json()['id']}/revoke", json={"reason": "lost"})
    assert revoked.status_code == 200, revoked.get_json()
    blank = staff.post("/api/cards/blank", json={"count": 3})
    assert blank.status_code == 201
    village = staff.post(f"/api/villages/{vid}/cards")
    assert village.status_code == 200
    subject = f"card:village:{vid}:resident:{rid}"
    assert logged(app) == [
        (subject, "issue"), (subject, "reissue"), (subject, "revoke"),
        (f"card:blank:{blank.get_json()['batch']}", "make_blank"),
        (f"card:village:{vid}:all", "issue_missing"),
    ]


def test_a_refused_revoke_logs_nothing(app, town, staff):
    assert staff.post("/api/cards/999999/revoke", json={"reason": "lost"}).status_code == 404
    assert logged(app) == []
