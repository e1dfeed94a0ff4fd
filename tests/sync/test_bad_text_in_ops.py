"""A lone surrogate inside one op of a push: that op is `rejected` with a field error and the
rest of the batch is applied (issue 16.5; docs/sync-protocol.md, "Op"; ADR 0046).

Before, orjson refused the whole body, the standard library read it, nothing refused the
string, and the database driver failed to encode it: a 500 for the whole batch, which the
phone then resent for ever.
"""
from __future__ import annotations

import gzip
import json
import uuid

import pytest
from records_factory import record_body
from sqlalchemy import func, select

from core.models import Device, Household, Resident, ServiceRecord
from server.auth.current import hash_token, new_token
from server.extensions import db

BAD = "\ud800"


@pytest.fixture
def push(app, town, monkeypatch):
    """push(ops, raw=False, gz=False) → the response of one push-only request by doctor_a's
    phone, the body written out as bytes (escaped, or `raw` surrogates as ED A0 80)."""
    monkeypatch.setitem(app.config, "TESTING", False)  # as the start command serves it
    token = new_token()
    with app.app_context():
        db.session.add(Device(user_id=town["doctor_a"], label="t", token_hash=hash_token(token)))
        db.session.commit()
    client = app.test_client()

    def send(ops: list[dict], raw: bool = False, gz: bool = False):
        body = {"protocol": 1, "cursor": 0, "pull_limit": 0, "push": ops}
        data = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass") if raw \
            else json.dumps(body, ensure_ascii=True).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        if gz:
            data, headers["Content-Encoding"] = gzip.compress(data), "gzip"
        return client.post("/api/sync", data=data, headers=headers)
    return send


def _op(entity: str, action: str, data: dict, counter: int, entity_id=None, base: int = 0):
    return {"op_id": str(uuid.uuid4()), "device_counter": counter, "entity": entity,
            "action": action, "id": str(entity_id or uuid.uuid4()), "base_version": base,
            "device_time": "2026-10-15T08:00:00Z", "data": data}


def _batch(town) -> tuple[list[dict], list[tuple[str, str] | None]]:
    """Ops, and for each the (field, code) it must be rejected with, or None if accepted."""
    resident = {"household_id": str(town["household_1"]), "village_id": town["village_1"],
                "name": "王" + BAD, "sex": "male", "birth_date": "1960-01-01"}
    plan = [
        (("record", "create", record_body(town)), None),
        (("record", "create", record_body(town, notes="血压" + BAD)), ("notes", "invalid_char")),
        (("record", "create", record_body(town, symptoms=["头痛" + BAD])),
         ("symptoms", "invalid_char")),
        (("record", "create", {**record_body(town), "x" + BAD: 1}), ("x\ufffd", "unknown_field")),
        (("record", "create", record_body(town, kind="elderly_health_check",
                                          tests={"ecg": BAD})), ("tests", "invalid_char")),
        (("resident", "create", resident), ("name", "invalid_char")),
        (("household", "create", {"village_id": town["village_1"], "address": BAD}),
         ("address", "invalid_char")),
        (("household", "update", {"address": "新址" + BAD}, town["household_1"], 1),
         ("address", "invalid_char")),
        (("resident", "update", {"past_history": BAD}, town["resident_1"], 1),
         ("past_history", "invalid_char")),
        (("record", "create", record_body(town, kind="household_visit")), None),
    ]
    ops = [_op(*args[:3], i + 1, *args[3:]) for i, (args, _) in enumerate(plan)]
    return ops, [want for _, want in plan]


def _leaf_codes(errors) -> set[str]:
    if isinstance(errors, dict):
        return set().union(*(_leaf_codes(v) for v in errors.values())) if errors else set()
    return {e["code"] for e in errors}


@pytest.mark.parametrize(("raw", "gz"), [(False, False), (False, True), (True, False)],
                         ids=["escaped", "escaped-gzip", "raw-bytes"])
def test_lone_surrogate_rejects_only_its_op(app, town, push, raw, gz):
    ops, wanted = _batch(town)
    r = push(ops, raw=raw, gz=gz)
    assert r.status_code == 200, r.get_data()[:500]
    results = r.get_json()["results"]
    assert len(results) == len(ops)
    for op, result, want in zip(ops, results, wanted, strict=True):
        assert result["op_id"] == op["op_id"]
        if want is None:
            assert result["status"] == "accepted", result
        else:
            field, code = want
            assert result["status"] == "rejected", result
            assert code in _leaf_codes(result["errors"][field]), result
    with app.app_context():
        assert db.session.scalar(select(func.count(ServiceRecord.id))) == 2
        assert db.session.scalar(select(func.count(Resident.id))) == 3
        assert db.session.scalar(select(func.count(Household.id))) == 3
        household = db.session.get(Household, town["household_1"])
        assert (household.address, household.version) == ("龙泉村1组1号", 1)


def test_resent_batch_gets_the_same_answers(app, town, push):
    # A phone resends a batch whose answer it lost: the same answers, nothing doubled, and
    # no 500 to resend for ever.
    ops, _ = _batch(town)
    first = push(ops).get_json()["results"]
    again = push(ops).get_json()["results"]
    assert [r["status"] for r in again] == [r["status"] for r in first]
    assert [r.get("errors") for r in again] == [r.get("errors") for r in first]
    with app.app_context():
        assert db.session.scalar(select(func.count(ServiceRecord.id))) == 2
