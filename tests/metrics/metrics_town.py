"""A small township with a hand-made 2025, for indicators whose values are computed by hand.

Built on conftest's `town` (township A: village 1 with doctor_a, village 2 with doctor_b).
Counted follow-up modes are the national default (clinic, home); 4 follow-ups a year.

Residents (permanent unless said; record opened 2020 with a 17-digit number unless said):
  v1  r1   张三丰 b.1950 HTN: clinic 03-10 150/95, home 06-10 148/92, phone 09-10,
           clinic 10-15 160/95, home 12-31 146/88 (4 counted, the 4th on 31 December);
           elderly check 05-01 complete; contract 2025-03-01; lecture attendee
  v1  rP   b.1960-08-01 (turns 65 mid-year) HTN: clinic 02-01 135/85, phone 05-01 130/80,
           home 08-01 138/86, clinic 11-01 142/88 (3 counted: the phone call does not);
           contract 2024-06-01 (lapsed); lecture attendee
  v1  rG   b.1975 DM: clinic 03-05 8.1, clinic 06-05 7.5, home 07-07 40.0 (implausible),
           home 09-05 6.8, home 12-05 no reading
  v1  rK   b.2024-01-15 child, no record number; vaccination checks 03-01 and 10-01
  v1  rDup 张三丰 b.1950 again, no ID number (provisional), opened 2025-11-01, no service
  v1  rX   b.1945 not permanent (never counted); lecture attendee
  v2  r2   李四 (conftest) no record opened
  v2  rM   b.1970 HTN, moved out 2025-06-30: clinic 03-01 150/95, home 05-20 145/92
  v2  rD   b.1940 HTN, died 2025-04-15 (4 months: 1 follow-up asked): home 02-10 135/80;
           home 05-10 (after death, not counted)
  v2  rE   b.1955 HTN: clinic 03-01, 06-01, 09-01 all 150/95; clinic 12-20 150/95 stored
           2026-02-01 (late, after 2025 closed on 2026-01-11); elderly check 07-01 without
           guidance; contract 2025-12-31; consultation attendee
  v2  rN   b.1958 moved in 2025-09-01, opened 2025-09-05; elderly check 10-01 complete;
           consultation attendee
Households: hh1 (v1) visited 2025-12-31; hh2 (v2) not visited.
"""
from __future__ import annotations

import datetime as dt
import uuid

from core.models import (
    DiabetesFollowUp,
    EducationActivity,
    ElderlyHealthCheck,
    HouseholdVisit,
    HypertensionFollowUp,
    Resident,
    ResidentCondition,
    VaccinationCheck,
    VaccineScheduleDose,
)
from server.extensions import db

UTC = dt.UTC
LATE_STORED = dt.datetime(2026, 2, 1, 3, 0, tzinfo=UTC)
D = dt.date

# The fixture's two moments: after 2025's periods closed, and after the late record.
AFTER_CLOSE = dt.datetime(2026, 1, 20, tzinfo=dt.UTC)
AFTER_LATE = dt.datetime(2026, 2, 2, tzinfo=dt.UTC)


def _resident(town, key, village, name, birth, **kw) -> Resident:
    serial = kw.pop("serial", None)
    r = Resident(village_id=town[village], name=name, sex=kw.pop("sex", "male"),
                 birth_date=birth, record_created_on=kw.pop("opened", D(2020, 1, 1)),
                 record_no=None if serial is None else f"51192110100{serial:06d}"[:17],
                 **kw)
    db.session.add(r)
    return r


def _condition(r: Resident, condition: str, since: D, ended: D | None = None) -> None:
    r.conditions.append(ResidentCondition(condition=condition, managed_since=since,
                                          ended_on=ended))


def _rec(cls, town, doctor, day: D, mode: str, resident=None, stored=None, **fields):
    """A record stored a few hours after its service date unless `stored` says otherwise."""
    stamp = stored or dt.datetime.combine(day, dt.time(6, 0), UTC)
    village = fields.pop("village", None)
    rec = cls(id=uuid.uuid4(), doctor_id=town[doctor], service_date=day, mode=mode,
              resident_id=resident.id if resident is not None else None,
              village_id=village if village is not None else resident.village_id,
              created_at=stamp, updated_at=stamp, **fields)
    db.session.add(rec)
    return rec


def build(town: dict) -> dict:
    """Add the 2025 residents and records to `town`; return their ids by name."""
    s = db.session
    r1 = s.get(Resident, town["resident_1"])
    r1.record_created_on, r1.record_no = D(2020, 1, 1), "51192110100100001"
    r1.contract_signed_on = D(2025, 3, 1)
    rP = _resident(town, "rP", "village_1", "王平", D(1960, 8, 1), serial=2)
    rP.contract_signed_on = D(2024, 6, 1)
    _condition(rP, "hypertension", D(2018, 1, 1))
    rG = _resident(town, "rG", "village_1", "赵刚", D(1975, 5, 5), serial=3)
    _condition(rG, "diabetes", D(2021, 1, 1))
    rK = _resident(town, "rK", "village_1", "小明", D(2024, 1, 15), opened=D(2024, 2, 1))
    rDup = _resident(town, "rDup", "village_1", "张三丰", D(1950, 3, 7), serial=5,
                     opened=D(2025, 11, 1))
    rX = _resident(town, "rX", "village_1", "过客", D(1945, 1, 1), serial=6, permanent=False)
    rM = _resident(town, "rM", "village_2", "孙迁", D(1970, 2, 2), serial=7,
                   moved_out_on=D(2025, 6, 30), status="moved_out")
    _condition(rM, "hypertension", D(2019, 1, 1))
    rD = _resident(town, "rD", "village_2", "钱故", D(1940, 2, 2), serial=8,
                   died_on=D(2025, 4, 15), status="deceased")
    _condition(rD, "hypertension", D(2015, 1, 1), ended=D(2025, 4, 15))
    rE = _resident(town, "rE", "village_2", "周同", D(1955, 6, 6), serial=9,
                   contract_signed_on=D(2025, 12, 31))
    _condition(rE, "hypertension", D(2010, 1, 1))
    rN = _resident(town, "rN", "village_2", "吴新", D(1958, 3, 1), serial=10,
                   moved_in_on=D(2025, 9, 1), opened=D(2025, 9, 5))
    s.flush()

    H, DM = HypertensionFollowUp, DiabetesFollowUp
    for day, mode, bp in ((D(2025, 3, 10), "clinic", (150, 95)), (D(2025, 6, 10), "home",
                          (148, 92)), (D(2025, 9, 10), "phone", (None, None)),
                          (D(2025, 10, 15), "clinic", (160, 95)),
                          (D(2025, 12, 31), "home", (146, 88))):
        _rec(H, town, "doctor_a", day, mode, r1, sbp=bp[0], dbp=bp[1])
    for day, mode, bp in ((D(2025, 2, 1), "clinic", (135, 85)), (D(2025, 5, 1), "phone",
                          (130, 80)), (D(2025, 8, 1), "home", (138, 86)),
                          (D(2025, 11, 1), "clinic", (142, 88))):
        _rec(H, town, "doctor_a", day, mode, rP, sbp=bp[0], dbp=bp[1])
    for day, mode, glu in ((D(2025, 3, 5), "clinic", 8.1), (D(2025, 6, 5), "clinic", 7.5),
                           (D(2025, 7, 7), "home", 40.0), (D(2025, 9, 5), "home", 6.8),
                           (D(2025, 12, 5), "home", None)):
        _rec(DM, town, "doctor_a", day, mode, rG, fasting_glucose=glu)
    _rec(H, town, "doctor_b", D(2025, 3, 1), "clinic", rM, sbp=150, dbp=95)
    _rec(H, town, "doctor_b", D(2025, 5, 20), "home", rM, sbp=145, dbp=92)
    _rec(H, town, "doctor_b", D(2025, 2, 10), "home", rD, sbp=135, dbp=80)
    _rec(H, town, "doctor_b", D(2025, 5, 10), "home", rD, sbp=130, dbp=80)
    for day in (D(2025, 3, 1), D(2025, 6, 1), D(2025, 9, 1)):
        _rec(H, town, "doctor_b", day, "clinic", rE, sbp=150, dbp=95)

    _rec(ElderlyHealthCheck, town, "doctor_a", D(2025, 5, 1), "clinic", r1,
         health_assessment="normal", guidance=["定期随访"])
    _rec(ElderlyHealthCheck, town, "doctor_b", D(2025, 7, 1), "clinic", rE,
         health_assessment="abnormal")
    _rec(ElderlyHealthCheck, town, "doctor_b", D(2025, 10, 1), "clinic", rN,
         health_assessment="normal", guidance=["戒烟"])

    s.add_all([VaccineScheduleDose(vaccine=v, name_zh=v, dose_no=n, due_age_months=m,
                                   timely_within_months=t)
               for v, n, m, t in (("HepB", 1, 0, 1), ("HepB", 2, 1, 1), ("MMR", 1, 8, 1),
                                  ("DTaP", 4, 18, 3), ("MMR", 2, 18, 6), ("JE", 2, 24, 1))])
    _rec(VaccinationCheck, town, "doctor_a", D(2025, 3, 1), "clinic", rK,
         certificate_present=True, card_sighted=True,
         doses_given=[{"vaccine": "HepB", "dose_no": 1, "date": "2024-01-15"},
                      {"vaccine": "HepB", "dose_no": 2, "date": "2024-03-20"},
                      {"vaccine": "MMR", "dose_no": 1, "date": "2024-11-20"}])
    _rec(VaccinationCheck, town, "doctor_a", D(2025, 10, 1), "home", rK,
         doses_given=[{"vaccine": "HepB", "dose_no": 1, "date": "2024-01-15"},
                      {"vaccine": "MMR", "dose_no": 2, "date": "2025-08-01"}])

    v1, v2 = town["village_1"], town["village_2"]
    _rec(EducationActivity, town, "doctor_a", D(2025, 2, 10), "group", village=v1,
         activity_type="lecture", place="村委会", topic="高血压",
         attendee_ids=[str(r1.id), str(rP.id), str(rX.id)])
    _rec(EducationActivity, town, "doctor_a", D(2025, 6, 10), "group", village=v1,
         activity_type="lecture", place="村委会", topic="糖尿病")
    _rec(EducationActivity, town, "doctor_a", D(2025, 3, 1), "group", village=v1,
         activity_type="bulletin_board", place="村委会", topic="春季传染病")
    _rec(EducationActivity, town, "doctor_b", D(2025, 9, 9), "group", village=v2,
         activity_type="consultation", place="集市", topic="老年健康",
         attendee_ids=[str(rE.id), str(rN.id)])
    _rec(HouseholdVisit, town, "doctor_a", D(2025, 12, 31), "home", village=v1,
         household_id=town["household_1"])
    s.commit()
    ids = {"r1": r1.id, "rP": rP.id, "rG": rG.id, "rK": rK.id, "rDup": rDup.id, "rX": rX.id,
           "rM": rM.id, "rD": rD.id, "rE": rE.id, "rN": rN.id, "r2": town["resident_2"]}
    return ids


def add_late_record(town: dict, ids: dict) -> None:
    """rE's 20 December follow-up, stored on 1 February 2026 (after 2025 closed); the
    fourth 150/95 in a row, which the identical-readings check flags."""
    rE = db.session.get(Resident, ids["rE"])
    _rec(HypertensionFollowUp, town, "doctor_b", D(2025, 12, 20), "clinic", rE,
         stored=LATE_STORED, sbp=150, dbp=95)
    db.session.commit()
