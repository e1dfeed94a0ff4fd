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
from conftest import login, new_id
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


def phone_errors(cases: list[dict]) -> list[dict]:
    """The phone's errors (pwa/js/validate.js) for each {schema, data, resident?}."""
    node = shutil.which("node")
    assert node, "node is needed for the phone app's tests"
    proc = subprocess.run([node, str(PWA / "tools" / "validate-cli.mjs")],
                          input=json.dumps(cases, ensure_ascii=False), capture_output=True,
                          text=True, timeout=60, cwd=PWA)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_phone_and_server_agree_on_every_case():
    """Same fields, same codes, same Chinese messages, for every case."""
    phone = phone_errors([{"schema": s, "data": d} for s, d in CASES])
    mismatches = []
    for (schema, data), js in zip(CASES, phone, strict=True):
        py = server_errors(schema, data)
        if py != js:
            mismatches.append({"case": data, "server": py, "phone": js})
    assert not mismatches, json.dumps(mismatches, ensure_ascii=False, indent=1)
    assert sum(1 for (s, d) in CASES if server_errors(s, d) == {}) >= 2  # valid ones pass too


BORN = "1950-03-07"  # resident_1 of the town fixture (tests/conftest.py)
AGAINST_RESIDENT = [
    rec(HT, sbp=140, dbp=90, service_date="1950-03-06"),  # the day before birth
    rec(HT, sbp=140, dbp=90, service_date=BORN),  # the day of birth is fine
    rec(DM, mode="phone", service_date="1949-01-01"),
    rec("vaccination_check", service_date="1950-03-01"),
    rec("elderly_health_check", service_date="1950-01-01", sbp_left=150),
    # The schema's errors first; the resident is looked at only once the record is valid.
    rec(HT, sbp=140, dbp=150, service_date="1950-01-01"),
    rec(HT, sbp=140, dbp=90, service_date="1899-12-31"),
    rec(HT, service_date="1950-01-01"),
]


def test_phone_and_server_agree_on_a_record_against_its_resident(app, client, town):
    """No service before the resident was born: the phone, given the resident, words it as
    the server's API does after the schema (server/services/records.py), the same codes and
    messages, on the same cases; and accepts what the API stores."""
    login(client, "doctor_a")
    resident = str(town["resident_1"])
    bodies = [{**case, "id": new_id(), "resident_id": resident} for case in AGAINST_RESIDENT]
    phone = phone_errors([{"schema": "record", "data": body, "resident": {"birth_date": BORN}}
                          for body in bodies])
    mismatches = []
    for body, js in zip(bodies, phone, strict=True):
        r = client.post("/api/records", json=body)
        assert r.status_code in (201, 422), r.get_json()
        server = {} if r.status_code == 201 else r.get_json()["errors"]
        if server != js:
            mismatches.append({"case": body, "server": server, "phone": js})
    assert not mismatches, json.dumps(mismatches, ensure_ascii=False, indent=1)
    refused = [js for js in phone if js.get("service_date", [{}])[0].get("code") == "before_birth"]
    assert len(refused) == 4


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
