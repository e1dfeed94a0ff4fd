"""Bodies no parser reads safely, on every JSON endpoint: a 4xx in the one error shape, never
a 500, nothing stored (issue 16.5; docs/adr/0046-no-500s-and-no-personal-data-in-logs.md).

Bodies are written out as bytes, so what travels is exactly what an attacker or a broken
phone sends: `\\ud800` as a JSON escape, raw bytes that are not UTF-8, 100,000 brackets.
The app runs as the start command runs it (not in testing mode, so an exception in an
error handler is a 500 here too, as it would be under gunicorn).
"""
from __future__ import annotations

import gzip
import json
import time

import pytest
from conftest import PASSWORD
from records_factory import valid_record
from sqlalchemy import func, select

from core.models import Device, Household, Resident, ServiceRecord
from server.auth.current import hash_token, new_token
from server.extensions import db

ERROR_KEYS = {"code", "status", "message", "errors"}
JSON = {"Content-Type": "application/json", "X-Requested-With": "cunyi"}


@pytest.fixture
def as_started(app, monkeypatch):
    """The app out of testing mode, as `scripts/start.sh` serves it."""
    monkeypatch.setitem(app.config, "TESTING", False)
    return app


def device_token(app, user_id: int) -> str:
    """A device token of `user_id`, enrolled directly (the enrolment API is not under test)."""
    token = new_token()
    with app.app_context():
        db.session.add(Device(user_id=user_id, label="test", token_hash=hash_token(token)))
        db.session.commit()
    return token


@pytest.fixture
def send(as_started, town):
    """send(method, path, body bytes, anonymous=False, gz=False) → response, as doctor_a's
    phone (bearer token) or anonymously."""
    token = device_token(as_started, town["doctor_a"])
    client = as_started.test_client()

    def call(method: str, path: str, body: bytes | None, anonymous: bool = False,
             gz: bool = False):
        headers = dict(JSON)
        if not anonymous:
            headers["Authorization"] = f"Bearer {token}"
        if gz:
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return client.open(path, method=method, data=body, headers=headers)
    return call


def assert_one_shape(r, lo: int = 400, hi: int = 499) -> dict:
    """A 4xx (by default) in the one error shape; returns the body."""
    assert lo <= r.status_code <= hi, (r.status_code, r.get_data()[:300])
    body = r.get_json()
    assert set(body) == ERROR_KEYS, body
    assert body["status"] == r.status_code
    assert body["message"]
    return body


def counts(app) -> tuple[int, int, int]:
    """How many residents, households and records are stored."""
    with app.app_context():
        return tuple(db.session.scalar(select(func.count()).select_from(m))
                     for m in (Resident, Household, ServiceRecord))


def endpoints(town) -> dict[str, tuple[str, str, dict, bool, bool]]:
    """Every endpoint that reads a JSON body: (method, path, a valid body, anonymous, gzip)."""
    resident = {"village_id": town["village_1"], "household_id": str(town["household_1"]),
                "name": "赵六", "sex": "male", "birth_date": "1960-01-01"}
    household = {"village_id": town["village_1"], "address": "龙泉村1组9号", "head_name": "赵六"}
    sync = {"protocol": 1, "cursor": 0, "pull_limit": 0, "push": []}
    return {
        "login": ("POST", "/api/auth/login", {"username": "doctor_a", "password": PASSWORD},
                  True, False),
        "sync": ("POST", "/api/sync", sync, False, False),
        "sync-gzip": ("POST", "/api/sync", sync, False, True),
        "resident-create": ("POST", "/api/residents", resident, False, False),
        "household-create": ("POST", "/api/households", household, False, False),
        "record-create": ("POST", "/api/records", valid_record("household_visit", town),
                          False, False),
        "resident-patch": ("PATCH", f"/api/residents/{town['resident_1']}",
                           {"version": 1, "name": "张三丰"}, False, False),
        "search": ("POST", "/api/residents/search", {"q": "张"}, False, False),
        "card-lookup": ("POST", "/api/cards/lookup", {"code": "ABC123"}, False, False),
    }


ENDPOINTS = ["login", "sync", "sync-gzip", "resident-create", "household-create",
             "record-create", "resident-patch", "search", "card-lookup"]

DEEP = {
    "lists": b"[" * 100_000,
    "objects": b'{"a":' * 100_000,
    "inside-a-field": b'{"q":' + b"[" * 100_000,
    "just-past-orjson": b"[" * 1_100 + b"]" * 1_100,
}


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("deep", list(DEEP))
def test_deeply_nested_json_is_a_quick_400(app, town, send, name, deep):
    method, path, _, anonymous, gz = endpoints(town)[name]
    before = counts(app)
    started = time.perf_counter()
    r = send(method, path, DEEP[deep], anonymous=anonymous, gz=gz)
    elapsed = time.perf_counter() - started
    body = assert_one_shape(r, 400, 422)
    if deep != "just-past-orjson":  # not even JSON's end: unreadable
        assert r.status_code == 400, body
    assert elapsed < 1.0, elapsed
    assert counts(app) == before


# Bodies wrong in some other way: (label, body). None of them may be a 500.
MALFORMED = {
    "top-level-array": b"[]",
    "top-level-string": b'"x"',
    "top-level-number": b"1",
    "top-level-null": b"null",
    "top-level-true": b"true",
    "empty": b"",
    "not-utf8": b'{"q": "\xff\xfe"}',
    "latin1-name": '{"name": "Zoë"}'.encode("latin-1"),
    "nul-escape": b'{"q": "a\\u0000b", "name": "a\\u0000b", "code": "\\u0000"}',
    "huge-integer": b'{"q": 1' + b"0" * 400 + b', "village_id": 1' + b"0" * 400 + b"}",
    "too-many-digits": b'{"cursor": 1' + b"0" * 5_000 + b"}",
    "huge-float": b'{"q": 1e400, "village_id": -1e400, "cursor": 1e400}',
    "nan": b'{"q": NaN, "village_id": Infinity, "cursor": -Infinity}',
    "lone-surrogate-key": b'{"\\ud800": 1}',
    "trailing-garbage": b'{"q": "a"} x',
}


@pytest.mark.parametrize("name", ENDPOINTS)
@pytest.mark.parametrize("bad", list(MALFORMED))
def test_malformed_body_is_a_4xx_in_the_one_shape(app, town, send, name, bad):
    method, path, _, anonymous, gz = endpoints(town)[name]
    before = counts(app)
    r = send(method, path, MALFORMED[bad], anonymous=anonymous, gz=gz)
    assert_one_shape(r)
    assert counts(app) == before


def _with(body: dict, raw: bool = False, **change) -> bytes:
    """`body` with `change` applied, as JSON with every non-ASCII character escaped (so a
    lone surrogate travels as the six characters `\\ud800`), or with `raw` written out as
    UTF-8 with each surrogate as its own three bytes (`ED A0 80`: not UTF-8, but what a
    careless encoder writes)."""
    if raw:
        return json.dumps({**body, **change}, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps({**body, **change}, ensure_ascii=True).encode()


LONE = ["\ud800", "\udfff", "名\udc00字", "\ude00\ud83d"]  # lone, lone, inside text, reversed


@pytest.mark.parametrize("text", LONE, ids=["high", "low", "inside", "reversed-pair"])
@pytest.mark.parametrize(("name", "field"), [
    ("login", "username"), ("login", "password"), ("resident-create", "name"),
    ("resident-create", "past_history"), ("household-create", "address"),
    ("record-create", "problems_found"), ("record-create", "notes"),
    ("resident-patch", "name"), ("resident-patch", "allergies"), ("search", "q"),
    ("card-lookup", "code"),
])
@pytest.mark.parametrize("raw", [False, True], ids=["escaped", "raw-bytes"])
def test_lone_surrogate_in_a_field_is_that_fields_error(app, town, send, name, field, text,
                                                        raw):
    method, path, body, anonymous, gz = endpoints(town)[name]
    before = counts(app)
    r = send(method, path, _with(body, raw, **{field: text}), anonymous=anonymous, gz=gz)
    out = assert_one_shape(r, 422, 422)
    assert any(e["code"] == "invalid_char" for e in out["errors"][field]), out
    assert any("\u4e00" <= ch <= "\u9fff" for ch in out["errors"][field][0]["message"])
    assert counts(app) == before
    if name == "resident-patch":
        with app.app_context():
            resident = db.session.get(Resident, town["resident_1"])
            assert (resident.name, resident.version) == ("张三丰", 1)


def test_surrogate_pairs_are_text_like_any_other(app, town, send):
    # A correctly escaped pair is one character (an emoji), not an error.
    r = send("POST", "/api/records", _with(valid_record("household_visit", town),
                                           problems_found="笑\ud83d\ude00"))
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["problems_found"] == "笑😀"


def test_a_lone_surrogate_in_a_field_name_is_echoed_safely(app, town, send):
    _, path, body, _, _ = endpoints(town)["resident-create"]
    r = send("POST", path, _with(body, **{"x\ud800": 1}))
    out = assert_one_shape(r, 422, 422)
    assert out["errors"]["x\ufffd"][0]["code"] == "unknown_field"


@pytest.mark.parametrize("query", ["limit=%ED%A0%80", "limit=%FF", "offset=1" + "0" * 400,
                                   "limit=%00"])
def test_bad_query_strings_on_search_are_4xx(app, town, send, query):
    r = send("POST", f"/api/residents/search?{query}", b'{"q": "\\u5f20"}')
    assert_one_shape(r)


@pytest.mark.parametrize("query", ["kind=%ED%A0%80", "resident_id=%ED%A0%80",
                                   "village_id=%ED%A0%80", "kind=%00"])
def test_bad_query_strings_on_lists_are_not_500s(app, town, send, query):
    r = send("GET", f"/api/records?{query}", None)
    assert r.status_code < 500, r.get_data()[:300]


@pytest.mark.parametrize("value", ["1" + "0" * 400, "-1" + "0" * 400, "1e400"])
def test_a_number_beyond_a_float_is_that_fields_error(app, town, send, value):
    # An integer past a float's range overflowed in the schemas' fast path: a 500.
    body = json.dumps(valid_record("hypertension_followup", town))
    body = body.replace('"weight_kg": 66.5', f'"weight_kg": {value}').encode()
    r = send("POST", "/api/records", body)
    out = assert_one_shape(r, 422, 422)
    assert {e["code"] for e in out["errors"]["weight_kg"]} & {"range", "type"}, out
    op = {"op_id": "0192f4a0-0000-7000-8000-000000000001", "device_counter": 1,
          "entity": "record", "action": "create", "id": "0192f4a0-0000-7000-8000-000000000002",
          "base_version": 0, "data": json.loads(body)}
    op["data"].pop("id")
    sync = {"protocol": 1, "cursor": 0, "pull_limit": 0, "push": [op]}
    text = json.dumps(sync).replace('"weight_kg": 66.5', f'"weight_kg": {value}')
    r = send("POST", "/api/sync", text.encode())
    assert r.status_code == 200, r.get_data()[:300]
    [result] = r.get_json()["results"]
    assert result["status"] == "rejected" and "weight_kg" in result["errors"], result
