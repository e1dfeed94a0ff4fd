"""The immunization schedule in use: the national edition a township adopted at set-up
(migration 0010 ships it), changed here only where the province's differs. A changed dose
is marked `edition = "province"`, so the schedule page shows which doses are the
province's own (docs/adr/0063-township-setup.md)."""
from __future__ import annotations

import re
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import User, VaccineScheduleDose
from server.services import audit

PROVINCE = "province"
LIMITS = {"due_age_months": (0, 216), "timely_within_months": (0, 24)}  # up to age 18
_WHOLE = re.compile(r"[0-9]{1,3}")


def doses(session: Session) -> list[VaccineScheduleDose]:
    """The schedule in use, in the order a child receives it."""
    d = VaccineScheduleDose
    return session.scalars(select(d).order_by(d.due_age_months, d.vaccine, d.dose_no)).all()


def parse(form: Mapping, rows: list[VaccineScheduleDose]) -> tuple[dict, dict[str, str]]:
    """({dose id: {field: months}}, {form name: Chinese error}) from the schedule form,
    whose inputs are named `<field>.<dose id>`."""
    values: dict[int, dict[str, int]] = {}
    errors: dict[str, str] = {}
    for row in rows:
        for field, (lo, hi) in LIMITS.items():
            name = f"{field}.{row.id}"
            raw = (form.get(name) or "").strip()
            if not _WHOLE.fullmatch(raw) or not lo <= int(raw) <= hi:
                errors[name] = f"须为 {lo} 到 {hi} 的整数(月)"
            else:
                values.setdefault(row.id, {})[field] = int(raw)
    return values, errors


def save(session: Session, admin: User, rows: list[VaccineScheduleDose],
         values: dict[int, dict[str, int]]) -> list[str]:
    """Store the doses whose ages changed, each marked as the province's and audited;
    returns "vaccine dose" of each changed one."""
    changed = []
    for row in rows:
        wanted = {f: v for f, v in values.get(row.id, {}).items() if getattr(row, f) != v}
        if not wanted:
            continue
        before = {f: getattr(row, f) for f in wanted}
        for field, months in wanted.items():
            setattr(row, field, months)
        row.edition = PROVINCE
        audit.record_change(session, admin, f"schedule:{row.vaccine}:{row.dose_no}", "set",
                            before, wanted)
        changed.append(f"{row.name_zh} 第{row.dose_no}剂")
    session.flush()
    return changed
