"""The fast loader answers exactly what marshmallow answers, or steps aside."""
from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from records_factory import KINDS, valid_record

from server.schemas.fast import FastLoader
from server.schemas.people import HouseholdSchema
from server.schemas.records import SCHEMAS
from sync.protocol import OpEnvelope

TOWN = {"resident_1": uuid.uuid4(), "household_1": uuid.uuid4(), "village_1": 3}
U = str(uuid.uuid4())
TRICKY = [None, True, False, 0, -1, 1, 59, 60, 61, 299, 300, 301, 2**64, 1.5, 35.0, 35.01,
          float("nan"), float("inf"), "", " ", "x" * 2001, "120", "１２０", "2026-02-30",
          "2026-1-05", "20261120", "2026-11-20", "2099-01-01", "1899-12-31", "2026-11-20T10:00",
          U, U.upper(), U.replace("-", ""), "{" + U + "}", "not-a-uuid", "张三", "a\x00b",
          "home", "phone", "clinic", "lecture", "palpable", [], [1], ["x"], [U], [{}],
          [{"drug": "x"}], [{"drug": ""}], [{"vaccine": "MMR", "dose_no": 1}], {}, {"a": 1},
          {"a": "x" * 600}, "2026-11-20T10:00:00+08:00", "2026-11-20T10:00:00.123456Z",
          "2026-11-20 10:00:00Z", "2026-11-20T25:00:00Z", "2026-11-20T10:00:00-00:00",
          "2026-W47-5T10:00Z", "2026-11-20T10:00:00.5+0530"]


def _mutations():
    return st.lists(st.tuples(st.sampled_from(sorted(
        {f for s in SCHEMAS.values() for f in s().fields} | {"surprise"})),
        st.sampled_from(range(len(TRICKY))) | st.just(-1)), max_size=4)


@settings(max_examples=2000, deadline=None)
@given(kind=st.sampled_from(KINDS), changes=_mutations())
def test_fast_loader_agrees_with_marshmallow_on_records(kind, changes):
    schema = SCHEMAS[kind]()
    body = valid_record(kind, TOWN)
    for field, i in changes:
        if i == -1:
            body.pop(field, None)
        else:
            body[field] = TRICKY[i]
    fast = FastLoader(schema).load(body)
    if fast is None:
        return
    try:
        slow = schema.load(body)
    except ValidationError as e:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"fast path accepted what marshmallow refuses: {body} {e.messages}")
    assert fast == slow


@pytest.mark.parametrize("kind", KINDS)
def test_valid_records_take_the_fast_path(kind):
    schema = SCHEMAS[kind]()
    body = valid_record(kind, TOWN)
    assert FastLoader(schema).load(body) == schema.load(body)


@settings(max_examples=500, deadline=None)
@given(changes=st.lists(st.tuples(st.sampled_from(
    ["op_id", "device_counter", "entity", "action", "id", "base_version", "device_time",
     "data", "extra"]), st.sampled_from(range(len(TRICKY)))), max_size=3))
def test_fast_loader_agrees_on_sync_envelopes(changes):
    schema = OpEnvelope()
    body = {"op_id": U, "device_counter": 3, "entity": "record", "action": "create",
            "id": str(uuid.uuid4()), "base_version": 0, "device_time": "2026-11-20T10:00:00Z",
            "data": {"kind": "x"}}
    for field, i in changes:
        body[field] = TRICKY[i]
    fast = FastLoader(schema).load(body)
    if fast is not None:
        assert fast == schema.load(body)


def test_valid_envelopes_take_the_fast_path():
    body = {"op_id": U, "device_counter": 3, "entity": "record", "action": "create",
            "id": str(uuid.uuid4()), "base_version": 0,
            "device_time": "2026-11-20T10:00:00.123+08:00", "data": {"kind": "x"}}
    fast = FastLoader(OpEnvelope()).load(body)
    assert fast is not None and fast == OpEnvelope().load(body)
    assert fast["data"] is not body["data"]  # a copy, as marshmallow's Dict makes


def test_schemas_with_field_hooks_are_left_to_marshmallow():
    from server.schemas.people import ResidentSchema

    assert FastLoader(ResidentSchema()).usable is False  # @validates("national_id")
    assert FastLoader(HouseholdSchema()).usable is True
