"""Fuzzing every JSON endpoint with hostile values: one field of a valid body (or of a sync
op's data) replaced by odd text (lone surrogates, NUL, controls, bidi marks), huge or
special numbers, wrong types, deep nesting; sent escaped or as raw bytes. Never a 500, and
every 4xx in the one error shape (issue 16.5; ADR 0046).

tests/server/api/test_api_fuzz.py drives schemathesis from the OpenAPI description; this one
aims at what that description cannot express: the bytes of the body itself.
"""
from __future__ import annotations

import json
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from records_factory import record_body
from test_bad_json import (  # noqa: F401 (fixtures)
    ENDPOINTS,
    ERROR_KEYS,
    as_started,
    endpoints,
    send,
)

ODD_CHARS = ["\ud800", "\udbff", "\udc00", "\udfff", "\x00", "\x1f", "\u202e", "\ufeff",
             "\uffff", "\U0010ffff", "\u0301", "'", '"', "\\", "<", "%", "\n"]
TEXT = st.text(st.one_of(st.characters(), st.sampled_from(ODD_CHARS)), max_size=30)
NUMBERS = st.one_of(st.integers(-2**70, 2**70), st.just(10**400), st.just(-(10**400)),
                    st.floats(allow_nan=True, allow_infinity=True), st.booleans())


def _deep(depth: int) -> list:
    value: list = []
    for _ in range(depth):
        value = [value]
    return value


VALUES = st.one_of(
    TEXT, NUMBERS, st.none(),
    st.recursive(st.one_of(TEXT, NUMBERS, st.none()),
                 lambda inner: st.lists(inner, max_size=3)
                 | st.dictionaries(TEXT, inner, max_size=3), max_leaves=8),
    st.integers(900, 1100).map(_deep),
)


def _encode(body: dict, raw: bool) -> bytes:
    """JSON as a careless client writes it: NaN as is, surrogates escaped or as raw bytes."""
    if raw:
        return json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
    return json.dumps(body, ensure_ascii=True).encode()


def _check(r) -> None:
    assert r.status_code < 500, r.get_data()[:300]
    if r.status_code >= 400:
        body = r.get_json()
        assert set(body) == ERROR_KEYS, body
        assert body["status"] == r.status_code


@pytest.mark.parametrize("name", ENDPOINTS)
def test_hostile_field_values_never_give_a_500(app, town, send, name):  # noqa: F811
    method, path, valid, anonymous, gz = endpoints(town)[name]
    if name.startswith("sync"):
        # The hostile value goes into a record op's data, the ops' usual payload.
        op = {"op_id": None, "device_counter": 1, "entity": "record", "action": "create",
              "id": None, "base_version": 0, "device_time": "2026-10-15T08:00:00Z",
              "data": record_body(town)}
        valid = {**valid, "push": [op]}
    keys = sorted(valid if not name.startswith("sync") else valid["push"][0]["data"])

    @given(key=st.sampled_from([*keys, "extra"]) | TEXT, value=VALUES, raw=st.booleans())
    @settings(max_examples=40, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(key, value, raw):
        if name.startswith("sync"):
            op = {**valid["push"][0], "op_id": str(uuid.uuid4()), "id": str(uuid.uuid4())}
            op["data"] = {**op["data"], key: value}
            body = {**valid, "push": [op]}
        else:
            body = {**valid, key: value}
        r = send(method, path, _encode(body, raw), anonymous=anonymous, gz=gz)
        _check(r)
        if name.startswith("sync"):
            assert r.status_code == 200, r.get_json()  # a bad op is that op's answer
            assert r.get_json()["results"][0]["status"] in ("accepted", "rejected")

    check()


@pytest.mark.parametrize("name", ENDPOINTS)
def test_hostile_bytes_never_give_a_500(app, town, send, name):  # noqa: F811
    method, path, valid, anonymous, gz = endpoints(town)[name]
    text = json.dumps(valid).encode()

    @given(at=st.integers(0, len(text)), junk=st.binary(max_size=8)
           | st.sampled_from([b"\xed\xa0\x80", b"\\ud800", b"\xff", b"\x00", b"[" * 2000]))
    @settings(max_examples=30, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(at, junk):
        _check(send(method, path, text[:at] + junk + text[at:], anonymous=anonymous, gz=gz))

    check()


ID_FIELDS = ["household_id", "resident_id", "village_id", "doctor_id", "attendee_ids",
             "members_seen"]


def test_hostile_op_envelopes_ids_and_elements_are_that_ops_answer(app, town, send):  # noqa: F811
    """A hostile value in an op's envelope (its op_id or id included), in an id its data
    names (random UUIDs, another village's), or as the whole push element: a 200 whose
    answer for that element is its own, with the good op beside it applied (issue 16.5
    re-attack: M2, M3, L2)."""
    method, path, valid, anonymous, gz = endpoints(town)["sync"]
    ids = st.one_of(st.uuids().map(str), st.sampled_from(
        [str(town["household_2"]), str(town["resident_2"]), town["village_2"],
         town["doctor_b"]]))

    def ops_with(where: str, key: str, value) -> list:
        op = {"op_id": str(uuid.uuid4()), "device_counter": 1, "entity": "record",
              "action": "create", "id": str(uuid.uuid4()), "base_version": 0,
              "device_time": None, "data": record_body(town)}
        if where == "envelope":
            op[key] = value
        elif where == "data":
            op["data"] = {**op["data"], key: [value] if key in ID_FIELDS[4:] else value}
        else:
            op = value
        good = {"op_id": str(uuid.uuid4()), "device_counter": 2, "entity": "record",
                "action": "create", "id": str(uuid.uuid4()), "base_version": 0,
                "device_time": None, "data": record_body(town)}
        return [op, good]

    @given(where=st.sampled_from(["envelope", "data", "element"]),
           key=st.sampled_from(["op_id", "id", "entity", "action", "base_version",
                                "device_counter", "data", *ID_FIELDS]),
           value=st.one_of(VALUES, ids), raw=st.booleans())
    @settings(max_examples=60, deadline=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    def check(where, key, value, raw):
        body = {**valid, "push": ops_with(where, key, value)}
        r = send(method, path, _encode(body, raw), anonymous=anonymous, gz=gz)
        _check(r)
        assert r.status_code == 200, r.get_data()[:300]
        r.get_data().decode("utf-8")  # strict: no surrogate got into the answer
        results = r.get_json()["results"]
        assert len(results) == 2 and results[1]["status"] == "accepted", results

    check()
