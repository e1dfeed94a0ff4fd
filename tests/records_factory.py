"""Valid record bodies of every kind, for tests to break one field at a time."""
from __future__ import annotations

import uuid

KINDS = ("household_visit", "hypertension_followup", "diabetes_followup", "vaccination_check",
         "education_activity", "elderly_health_check")


def valid_record(kind: str, town: dict, service_date: str = "2026-10-15") -> dict:
    """A complete, valid body of `kind` for doctor_a's village in the `town` fixture."""
    base = {"id": str(uuid.uuid4()), "kind": kind, "service_date": service_date, "mode": "home"}
    resident = str(town["resident_1"])
    extra = {
        "household_visit": {"household_id": str(town["household_1"]),
                            "members_seen": [resident], "services_done": ["测血压"],
                            "problems_found": "无", "next_visit_date": "2026-12-15"},
        "hypertension_followup": {"resident_id": resident, "sbp": 150, "dbp": 95,
                                  "heart_rate": 76, "weight_kg": 66.5, "bmi": 24.1,
                                  "symptoms": ["头痛头晕"], "salt_intake": "moderate",
                                  "medication_adherence": "regular",
                                  "classification": "uncontrolled",
                                  "medications": [{"drug": "硝苯地平缓释片", "dose": "20mg",
                                                   "frequency": "bid"}],
                                  "next_visit_date": "2026-10-29"},
        "diabetes_followup": {"resident_id": resident, "fasting_glucose": 7.8, "sbp": 132,
                              "dbp": 80, "hba1c": 7.2, "dorsal_foot_pulse": "palpable",
                              "staple_food_g": 300, "hypoglycaemia": "none"},
        "vaccination_check": {"resident_id": resident, "card_sighted": True,
                              "doses_due": [{"vaccine": "MMR", "dose_no": 2}],
                              "doses_given": [], "guardian_notified": True,
                              "notified_via": "phone", "notified_on": "2026-10-15"},
        "education_activity": {"village_id": town["village_1"], "mode": "group",
                               "activity_type": "lecture", "place": "村委会",
                               "topic": "高血压防治", "audience_count": 35,
                               "materials": [{"kind": "折页", "quantity": 40}]},
        "elderly_health_check": {"resident_id": resident, "temperature_c": 36.5, "pulse": 72,
                                 "sbp_left": 138, "dbp_left": 82, "height_cm": 165,
                                 "weight_kg": 60, "bmi": 22.0, "self_care_score": 0,
                                 "fasting_glucose": 5.6, "health_assessment": "normal",
                                 "tests": {"ecg": "正常"}, "guidance": ["定期随访"]},
    }[kind]
    if kind == "education_activity":
        base["mode"] = "group"
    return {**base, **extra}


def record_body(town: dict, kind: str = "hypertension_followup", **change) -> dict:
    """A valid record of `kind` as a phone queues it: without its id, with `change` applied."""
    body = valid_record(kind, town)
    body.pop("id")
    body.update(change)
    return body
