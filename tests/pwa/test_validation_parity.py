"""The phone validates forms as the server does: the same cases go through the server's
marshmallow schemas and through pwa/js/validate.js, and the errors (fields, codes and the
Chinese messages) must be the same."""
from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
from marshmallow import ValidationError

from server.problems import field_errors
from server.schemas.people import HouseholdSchema, ResidentSchema
from server.schemas.records import load_record

PWA = Path(__file__).resolve().parents[2] / "pwa"
RID = str(uuid.UUID(int=1))
HID = str(uuid.UUID(int=2))
FUTURE = "2999-01-01"


def rec(kind: str, **fields) -> dict:
    """A record of `kind` with a valid envelope, overridden by `fields`."""
    base = {"id": str(uuid.UUID(int=3)), "kind": kind, "resident_id": RID,
            "service_date": "2026-01-05", "mode": "home"}
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


HT = "hypertension_followup"
DM = "diabetes_followup"
CASES = [
    ("record", rec(HT, sbp=130, dbp=80)),
    ("record", rec(HT)),
    ("record", rec(HT, mode="phone")),
    ("record", rec(DM, mode="clinic", sbp=150, dbp=150)),
    ("record", rec(HT, sbp=None, dbp="x")),
    ("record", rec(HT, sbp=120, dbp=130, next_visit_date="2025-01-01")),
    ("record", rec(HT, sbp=120.5, dbp=80, medications=[{"drug": ""}, 3], symptoms=["a" * 60])),
    ("record", rec(HT, sbp=20, dbp=250, weight_kg=True, mode="x" * 50, service_date="2026-1-5")),
    ("record", rec(HT, sbp=185, dbp=112, heart_rate=300, salt_intake="none", foo=1)),
    ("record", rec(HT, sbp=140, dbp=90, resident_id=None)),
    ("record", rec(HT, sbp=140, dbp=90, service_date=FUTURE)),
    ("record", rec(HT, sbp=140, dbp=90, service_date="1899-12-31")),
    ("record", rec(HT, sbp=140, dbp=90, service_date="2026-02-30")),
    ("record", rec(DM, fasting_glucose=40, hba1c=2, dorsal_foot_pulse="weak")),
    ("record", rec(DM, fasting_glucose="7", sbp=130, dbp=85)),
    ("record", rec(DM, fasting_glucose=16.7, staple_food_g=3000, hypoglycaemia="often")),
    ("record", rec("elderly_health_check", sbp_left=150, dbp_left=160, sbp_right=140,
                   dbp_right=85, temperature_c=45, self_care_score=31,
                   lifestyle={"smoking": "x" * 600})),
    ("record", rec("elderly_health_check", tests={"ecg": "normal"}, guidance=["diet"] * 21)),
    ("record", rec("vaccination_check", card_sighted="yes",
                   doses_given=[{"vaccine": "HepB", "dose_no": 0, "date": FUTURE}],
                   missed_doses=[{"dose_no": 1}], notified_via="wechat")),
    ("record", rec("education_activity", resident_id=..., village_id=1, mode="group",
                   activity_type="lecture", place="", topic="高血压", audience_count=-1)),
    ("record", rec("education_activity", resident_id=..., mode="group", activity_type="talk",
                   place="村委会", topic="x" * 201, materials=[{"kind": "折页", "quantity": 1.5}])),
    ("record", rec("household_visit", resident_id=..., household_id=HID,
                   members_seen=["not-a-uuid"], next_visit_date="2026/01/01")),
    ("record", rec("household_visit", resident_id=...)),
    ("record", rec("nonsense")),
    ("record", {"kind": HT}),
    ("resident", {"name": "", "sex": "m", "village_id": 0, "birth_date": FUTURE}),
    ("resident", {"name": "张3", "sex": "male", "village_id": 1, "birth_date": "1950-03-08",
                  "national_id": "511921195003070018"}),
    ("resident", {"name": "张三丰", "sex": "male", "village_id": 1, "birth_date": "1950-03-08",
                  "national_id": "511921195003070018"}),
    ("resident", {"name": "张三", "sex": "female", "village_id": 1, "birth_date": "1950-03-07",
                  "national_id": "511921195003070018"}),
    ("resident", {"name": "张三", "sex": "male", "village_id": 1, "birth_date": "1950-03-07",
                  "national_id": "51192119500307001X", "phone": "123"}),
    ("resident", {"name": "阿依古丽·买买提", "sex": "female", "village_id": 1,
                  "birth_date": "1990-02-28", "national_id": "5119211990022", "status": "deceased",
                  "contact_phone": "0838-1234567"}),
    ("resident", {"name": "李四", "sex": "female", "village_id": 1, "birth_date": "1980-05-01",
                  "died_on": "1970-01-01", "status": "deceased", "blood_type": "C",
                  "conditions": [{"condition": "hypertension"}, {"condition": "flu",
                                                                  "managed_since": FUTURE}]}),
    ("resident", {"name": "王五", "sex": "male", "village_id": 1, "birth_date": "1970-01-01",
                  "national_id": "511921197013010011", "permanent": "yes", "pregnant": None}),
    ("resident", {"name": "😀", "sex": "male", "village_id": "1", "birth_date": "1970-01-01"}),
    ("resident", {"name": "赵六", "sex": "male", "village_id": 1, "birth_date": "1970-01-01",
                  "card_code": "C1ABC", "allergies": "青霉素\u0000"}),
    ("resident", {"name": "赵六", "sex": "male", "village_id": 1, "birth_date": "1970-01-01",
                  "card_code": "C10123456789ABCDEFGHJK"}),
    # What the resident edit form can change (pwa/js/forms.js resident_edit).
    ("resident", {"name": "李四", "sex": "unknown", "village_id": 1, "birth_date": "1980-05-01",
                  "status": "moved_out", "moved_out_on": "1979-01-01", "blood_type": "B",
                  "household_id": None, "relationship_to_head": None}),
    ("resident", {"name": "李四", "sex": "female", "village_id": 1, "birth_date": "1980-05-01",
                  "status": "gone", "died_on": FUTURE, "permanent": False, "ethnicity": "汉" * 21,
                  "conditions": [{"condition": "diabetes", "managed_since": "2025-06-01",
                                  "ended_on": FUTURE, "diagnosed_on": None}]}),
    ("resident", {"name": "李四", "sex": "female", "village_id": 1, "birth_date": "1980-05-01",
                  "status": "deceased", "died_on": "2026-01-02", "allergies": "青霉素",
                  "conditions": [{"condition": "hypertension", "managed_since": "2020-01-01",
                                  "ended_on": "2026-01-02"},
                                 {"condition": "diabetes", "managed_since": "1899-01-01"}]}),
    ("record", rec(DM, fasting_glucose=6.1, dorsal_foot_pulse="palpable",
                   self_rated_health="unsure")),
    ("household", {"village_id": 1, "head_name": "王建国", "phone": "13912345678"}),
    ("household", {"head_name": "<b>", "phone": "12345", "low_income": 1, "group_no": "1" * 21}),
    ("household", {"village_id": None, "address": "x" * 201, "responsible_doctor_id": 0}),
]


def server_errors(schema: str, data: dict) -> dict:
    """The server's errors for `data`, in the API's shape ({} when it is accepted)."""
    try:
        if schema == "record":
            load_record(data)
        elif schema == "resident":
            ResidentSchema().load(data)
        else:
            HouseholdSchema().load(data)
    except ValidationError as e:
        return json.loads(json.dumps(field_errors(e.messages), ensure_ascii=False))
    return {}


def test_phone_and_server_agree_on_every_case():
    """Same fields, same codes, same Chinese messages, for every case."""
    node = shutil.which("node")
    assert node, "node is needed for the phone app's tests"
    payload = json.dumps([{"schema": s, "data": d} for s, d in CASES], ensure_ascii=False)
    proc = subprocess.run([node, str(PWA / "tools" / "validate-cli.mjs")], input=payload,
                          capture_output=True, text=True, timeout=60, cwd=PWA)
    assert proc.returncode == 0, proc.stderr
    phone = json.loads(proc.stdout)
    mismatches = []
    for (schema, data), js in zip(CASES, phone, strict=True):
        py = server_errors(schema, data)
        if py != js:
            mismatches.append({"case": data, "server": py, "phone": js})
    assert not mismatches, json.dumps(mismatches, ensure_ascii=False, indent=1)
    assert sum(1 for (s, d) in CASES if server_errors(s, d) == {}) >= 2  # valid ones pass too


@pytest.mark.parametrize("value,flags", [
    ({"sbp": 179, "dbp": 109}, []), ({"sbp": 180}, ["sbp_high"]), ({"dbp": 110}, ["dbp_high"]),
    ({"fasting_glucose": 16.7}, ["glucose_high"]), ({"fasting_glucose": 3.9}, ["glucose_low"]),
    ({"fasting_glucose": 4.0}, []), ({"sbp_right": 200, "dbp_left": 120}, ["sbp_high", "dbp_high"]),
])
def test_urgent_referral_thresholds(value, flags):
    """SBP ≥ 180 or DBP ≥ 110, glucose ≥ 16.7 or ≤ 3.9 mmol/L are flagged (DOMAIN.md)."""
    script = ("import('./js/validate.js').then(m => process.stdout.write(JSON.stringify("
              f"m.urgentFlags({json.dumps(value)}).map(f => f.code))))")
    proc = subprocess.run(["node", "-e", script], capture_output=True, text=True, cwd=PWA,
                          timeout=30)
    assert json.loads(proc.stdout) == flags
