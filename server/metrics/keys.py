"""Indicator keys: the names rollups, targets, pages and exports know each figure by.

Kept here, once, so that a typo is an import error rather than a figure that silently
reads nothing. Each key is also the anchor of its section in docs/indicators.md.
"""
from __future__ import annotations

RECORD_COVERAGE = "record_coverage"
E_RECORD_COVERAGE = "e_record_coverage"
RECORD_USE = "record_use"
HTN_STANDARD = "htn_standard"
HTN_CONTROL = "htn_control"  # < 140/90, < 150/90 at the relaxed age
HTN_CONTROL_140 = "htn_control_140"  # < 140/90 at every age
DM_STANDARD = "dm_standard"
DM_CONTROL = "dm_control"
ELDERLY_MGMT = "elderly_mgmt"
VACC_COVERAGE = "vacc_coverage"
VACC_TIMELY = "vacc_timely"
VACC_CERTIFICATE = "vacc_certificate"
EDU_LECTURES = "edu_lectures"
EDU_BOARDS = "edu_boards"
EDU_CONSULTATIONS = "edu_consultations"
EDU_AV = "edu_av"
EDU_PRINTED = "edu_printed"
EDU_REACH = "edu_reach"
CONTRACT_RATE = "contract_rate"
HOUSEHOLD_VISITS = "household_visits"
FIRST_VISIT_BP = "first_visit_bp"
SMD_STANDARD = "smd_standard"
REPORT_TIMELINESS = "report_timeliness"

# Education activity types (server/schemas/records.py EDUCATION_TYPES) whose attendance
# is totalled, each under EDU_ATTENDANCE_PREFIX + type.
EDU_ATTENDANCE_PREFIX = "edu_att_"
EDU_ATTENDANCE_TYPES = ("lecture", "consultation", "bulletin_board", "audio_visual",
                        "printed_materials", "individual")

# Per-dose rollups: "vacc:HepB:2" (coverage) and "vacc_timely:HepB:2" (timely).
VACC_DOSE_PREFIX = "vacc:"
VACC_TIMELY_DOSE_PREFIX = "vacc_timely:"


def attendance(activity_type: str) -> str:
    """The key of one activity type's attendance total, e.g. "edu_att_lecture"."""
    return EDU_ATTENDANCE_PREFIX + activity_type


def definition_anchor(key: str) -> str:
    """The docs/indicators.md section a key is defined in (attendance keys share one)."""
    return "edu_attendance" if key.startswith(EDU_ATTENDANCE_PREFIX) else key
