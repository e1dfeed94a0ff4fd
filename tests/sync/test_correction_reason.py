"""A record's correction or voiding carries the author's reason (issue 20.3, ADR 0066):
the op's `reason` is kept with the version it makes, shown in the audit trail and sent to
the author's other phones with the record; it is refused where it means nothing."""
from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from conftest import login
from device_push import enrol, op, push
from records_factory import record_body

from sync.protocol import REASON_MAX


def _with_reason(o: dict, reason) -> dict:
    return {**o, "reason": reason}


def _history(app, record_id: str) -> list[dict]:
    admin = app.test_client()
    login(admin, "admin_a")
    r = admin.get(f"/api/audit/{record_id}")
    assert r.status_code == 200, r.get_json()
    return r.get_json()["changes"]


def test_a_correction_and_a_voiding_keep_their_reasons(app, town):
    """A mistyped systolic 185 corrected to 158 (version 2, reason kept), then voided
    (version 3, its own reason): the audit trail gives each change its reason, and the
    reason is not listed as a changed field of the record."""
    phone = enrol(app, "doctor_a")
    rid, body = str(uuid.uuid4()), record_body(town, "hypertension_followup", sbp=185)
    push(app, phone, [op("record", "create", rid, body)])
    fix = _with_reason(op("record", "update", rid, {**body, "sbp": 158}, base_version=1),
                       "  收缩压录入错误  ")
    [fixed] = push(app, phone, [fix])[0]["results"]
    assert (fixed["status"], fixed["version"]) == ("accepted", 2), fixed
    void = _with_reason(op("record", "delete", rid, {}, base_version=2), "重复录入")
    [voided] = push(app, phone, [void])[0]["results"]
    assert (voided["status"], voided["version"]) == ("accepted", 3), voided
    created, corrected, deleted = _history(app, rid)
    assert created["reason"] is None
    assert corrected["reason"] == "收缩压录入错误"
    assert corrected["changed"] == {"sbp": {"from": 185, "to": 158}}
    assert (deleted["op"], deleted["reason"]) == ("delete", "重复录入")


def test_the_authors_other_phone_receives_the_reason_with_the_record(app, town):
    """The second phone's pull carries the corrected record with its `change_reason`."""
    a, b = enrol(app, "doctor_a", "a"), enrol(app, "doctor_a", "b")
    rid, body = str(uuid.uuid4()), record_body(town, "hypertension_followup", sbp=185)
    push(app, a, [op("record", "create", rid, body)])
    push(app, a, [_with_reason(op("record", "update", rid, {**body, "sbp": 158}), "录错")])
    r = app.test_client().post("/api/sync", json={"protocol": 1, "cursor": 0, "push": []},
                               headers={"Authorization": f"Bearer {b}"})
    [change] = [c for c in r.get_json()["changes"] if c["id"] == rid]
    assert (change["version"], change["data"]["sbp"]) == (2, 158)
    assert change["data"]["change_reason"] == "录错"


@pytest.mark.parametrize("entity, action, reason, code", [
    ("record", "create", "新建", "reason_not_allowed"),
    ("resident", "update", "改电话", "reason_not_allowed"),
    ("record", "update", "长" * 201, "length"),
    ("record", "delete", 5, "type"),
])
def test_a_reason_where_it_does_not_belong_is_refused(app, town, entity, action, reason, code):
    """Only a record's correction or voiding has a reason, of at most 200 characters."""
    phone = enrol(app, "doctor_a")
    rid, body = str(uuid.uuid4()), record_body(town, "hypertension_followup")
    if action != "create":
        push(app, phone, [op("record", "create", rid, body)])
    data = {"phone": "13800000000"} if entity == "resident" else body
    sent = _with_reason(op(entity, action, rid, data if action != "delete" else {}), reason)
    [result] = push(app, phone, [sent])[0]["results"]
    assert result["status"] == "rejected", result
    assert [e["code"] for e in result["errors"]["reason"]] == [code], result


def test_the_phone_asks_for_no_longer_a_reason_than_the_server_keeps():
    """Validation parity for the one field outside the record schemas: the phone's limit
    (pwa/js/screens/form-draft.js) is the protocol's."""
    source = (Path(__file__).parents[2] / "pwa/js/screens/form-draft.js").read_text()
    assert int(re.search(r"REASON_MAX = (\d+);", source).group(1)) == REASON_MAX == 200
