"""Bad input for every record kind: a 4xx in the one error shape, keyed by field, nothing stored."""
from __future__ import annotations

import pytest
from conftest import login
from records_factory import KINDS, valid_record
from sqlalchemy import func, select

from core.models import ServiceRecord
from server.extensions import db

ERROR_KEYS = {"code", "status", "message", "errors"}


def _count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(ServiceRecord.id)))


def _assert_error(r, status: int, field: str, code: str | None = None) -> None:
    assert r.status_code == status, r.get_json()
    body = r.get_json()
    assert set(body) == ERROR_KEYS
    assert body["status"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["message"]), "message is in Chinese"
    assert field in body["errors"], body["errors"]
    entries = list(_leaves(body["errors"][field]))
    assert entries
    if code is not None:
        assert any(e["code"] == code for e in entries), entries
    assert all(e["message"] for e in entries)


def _leaves(errors):
    """Every {code, message} entry, however deep (lists are keyed by index)."""
    if isinstance(errors, dict):
        for value in errors.values():
            yield from _leaves(value)
    else:
        yield from errors


# (kind or None for every kind, change, field, code)
CASES = [
    ("hypertension_followup", {"sbp": 59}, "sbp", "range"),
    ("hypertension_followup", {"sbp": 301}, "sbp", "range"),
    ("hypertension_followup", {"dbp": 29}, "dbp", "range"),
    ("hypertension_followup", {"dbp": 201}, "dbp", "range"),
    ("hypertension_followup", {"sbp": 120, "dbp": 120}, "dbp", "dbp_not_below_sbp"),
    ("hypertension_followup", {"sbp": 110, "dbp": 130}, "dbp", "dbp_not_below_sbp"),
    ("hypertension_followup", {"sbp": "150"}, "sbp", "type"),
    ("hypertension_followup", {"sbp": 150.5}, "sbp", "type"),
    ("hypertension_followup", {"sbp": None}, "sbp", "required"),
    ("hypertension_followup", {"dbp": ...}, "dbp", "required"),
    ("diabetes_followup", {"fasting_glucose": ..., "mode": "clinic"}, "fasting_glucose",
     "required"),
    ("diabetes_followup", {"fasting_glucose": 0.9}, "fasting_glucose", "range"),
    ("diabetes_followup", {"fasting_glucose": 35.1}, "fasting_glucose", "range"),
    ("diabetes_followup", {"fasting_glucose": True}, "fasting_glucose", "type"),
    ("diabetes_followup", {"sbp": 100, "dbp": 100}, "dbp", "dbp_not_below_sbp"),
    ("elderly_health_check", {"sbp_left": 100, "dbp_left": 105}, "dbp_left", "dbp_not_below_sbp"),
    ("elderly_health_check", {"fasting_glucose": 40}, "fasting_glucose", "range"),
    ("elderly_health_check", {"bmi": 9}, "bmi", "range"),
    ("elderly_health_check", {"tests": {"ecg": "x" * 600}}, "tests", "type"),
    ("vaccination_check", {"card_sighted": "yes"}, "card_sighted", "type"),
    ("vaccination_check", {"doses_due": [{"vaccine": "MMR", "dose_no": 0}]}, "doses_due", None),
    ("education_activity", {"activity_type": "party"}, "activity_type", "choice"),
    ("education_activity", {"topic": ""}, "topic", "length"),
    ("education_activity", {"audience_count": -1}, "audience_count", "range"),
    ("household_visit", {"members_seen": ["not-a-uuid"]}, "members_seen", None),
]
for _kind in KINDS:
    CASES += [
        (_kind, {"service_date": "2099-01-01"}, "service_date", "date_in_future"),
        (_kind, {"service_date": "1899-12-31"}, "service_date", "date_too_early"),
        (_kind, {"service_date": "2026-02-30"}, "service_date", "type"),
        (_kind, {"service_date": 20261015}, "service_date", "type"),
        (_kind, {"mode": "telepathy"}, "mode", "choice"),
        (_kind, {"id": "1234"}, "id", "type"),
        (_kind, {"surprise": 1}, "surprise", "unknown_field"),
        (_kind, {"notes": "长" * 100_000}, "notes", "length"),
        (_kind, {"notes": "血压\x00正常"}, "notes", "invalid_char"),
        (_kind, {"kind": "mystery"}, "kind", "choice"),
        (_kind, {"service_date": None}, "service_date", "null"),
    ]
    for _missing in ("id", "service_date", "mode"):
        CASES.append((_kind, {_missing: ...}, _missing, "required"))


@pytest.mark.parametrize(("kind", "change", "field", "code"), CASES,
                         ids=[f"{c[0]}-{c[2]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_bad_record_is_refused_and_nothing_stored(app, client, town, kind, change, field, code):
    login(client, "doctor_a")
    body = valid_record(kind, town)
    for key, value in change.items():
        if value is ...:
            body.pop(key)
        else:
            body[key] = value
    before = _count(app)
    r = client.post("/api/records", json=body)
    _assert_error(r, 422, field, code)
    assert _count(app) == before


@pytest.mark.parametrize("kind", KINDS)
def test_valid_record_of_every_kind_is_stored(app, client, town, kind):
    login(client, "doctor_a")
    body = valid_record(kind, town)
    r = client.post("/api/records", json=body)
    assert r.status_code == 201, r.get_json()
    got = client.get(f"/api/records/{body['id']}").get_json()
    assert got["kind"] == kind
    assert got["doctor_id"] == town["doctor_a"]
    assert got["village_id"] == town["village_1"]
    assert got["service_date"] == body["service_date"]


@pytest.mark.parametrize("kind", [k for k in KINDS if k not in ("education_activity",
                                                                  "household_visit")])
def test_service_before_birth_is_refused(app, client, town, kind):
    login(client, "doctor_a")
    body = valid_record(kind, town, service_date="1949-01-01")  # resident_1 born 1950
    r = client.post("/api/records", json=body)
    _assert_error(r, 422, "service_date", "before_birth")
    assert _count(app) == 0


def test_subject_is_required_per_kind(app, client, town):
    login(client, "doctor_a")
    body = valid_record("hypertension_followup", town)
    del body["resident_id"]
    _assert_error(client.post("/api/records", json=body), 422, "resident_id", "required")
    body = valid_record("household_visit", town)
    del body["household_id"]
    _assert_error(client.post("/api/records", json=body), 422, "household_id", "required")


@pytest.mark.parametrize("raw", [b"{not json", b"", b"null", b"[1, 2]", b'"text"', b"42"])
def test_body_that_is_not_a_json_object(app, client, town, raw):
    login(client, "doctor_a")
    r = client.post("/api/records", data=raw, content_type="application/json")
    assert r.status_code in (400, 422)
    assert set(r.get_json()) == ERROR_KEYS
    assert _count(app) == 0


def test_same_uuid_twice_is_a_conflict_not_a_second_record(app, client, town):
    login(client, "doctor_a")
    body = valid_record("hypertension_followup", town)
    assert client.post("/api/records", json=body).status_code == 201
    _assert_error(client.post("/api/records", json=body), 409, "id", "already_exists")
    assert _count(app) == 1


def test_html_and_sql_like_text_is_stored_as_text(app, client, town):
    login(client, "doctor_a")
    nasty = "<script>alert(1)</script>'); DROP TABLE residents; -- 😀"
    body = valid_record("hypertension_followup", town)
    body["notes"] = nasty
    body["referral_to"] = "<b>县医院</b>"
    assert client.post("/api/records", json=body).status_code == 201
    got = client.get(f"/api/records/{body['id']}")
    assert got.mimetype == "application/json"
    assert got.get_json()["notes"] == nasty
    assert got.get_json()["referral_to"] == "<b>县医院</b>"
    # The residents table is still there and answers.
    assert client.get("/api/residents").status_code == 200


def test_a_phone_follow_up_may_lack_measurements(app, client, town):
    login(client, "doctor_a")
    for kind, drop in (("hypertension_followup", ("sbp", "dbp")),
                       ("diabetes_followup", ("fasting_glucose", "sbp", "dbp"))):
        body = valid_record(kind, town)
        body["mode"] = "phone"
        for key in drop:
            body.pop(key, None)
        assert client.post("/api/records", json=body).status_code == 201
