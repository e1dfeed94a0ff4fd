"""The township sees why a record was put right (issue 20.3, ADR 0066): a correction and a
voiding made on the phone with a reason show it on the record's page and in the
resident's history, as the version's reason, never as a field of the record."""
from __future__ import annotations

import uuid

import pytest
from records_factory import record_body
from test_resident_history import enrol
from test_township_pages import page_login

from tests.sync.device_push import op, push


@pytest.fixture
def changed(app, town):
    """doctor_a's phone: a follow-up with SBP 185 corrected to 158 ("收缩压录入错误"),
    and another voided ("重复录入")."""
    token = enrol(app, "doctor_a", "红米-1")
    fixed, voided = str(uuid.uuid4()), str(uuid.uuid4())
    body = record_body(town, sbp=185)
    push(app, token, [op("record", "create", fixed, body), op("record", "create", voided, body)])
    [a, b] = push(app, token, [
        {**op("record", "update", fixed, {**body, "sbp": 158}, 1), "reason": "收缩压录入错误"},
        {**op("record", "delete", voided, {}, 1), "reason": "重复录入"},
    ])[0]["results"]
    assert (a["status"], b["status"]) == ("accepted", "accepted"), (a, b)
    return {**town, "fixed": fixed, "voided": voided}


def test_the_record_pages_say_why_it_was_corrected_or_voided(client, changed):
    page_login(client, "staff_a")
    fixed = client.get(f"/township/records/{changed['fixed']}").get_data(as_text=True)
    assert "已更正" in fixed and "158/95" in fixed
    assert "原因: 收缩压录入错误" in fixed
    assert "change_reason" not in fixed  # not shown as a field of the record
    voided = client.get(f"/township/records/{changed['voided']}").get_data(as_text=True)
    assert "已作废" in voided and "原因: 重复录入" in voided
    resident = client.get(f"/township/residents/{changed['resident_1']}").get_data(as_text=True)
    assert "原因: 收缩压录入错误" in resident and "原因: 重复录入" in resident
