"""建档率 over the household roll: a resident may have no health record (issue 18.1).

Worked by hand (docs/indicators.md, 建档率). Township A, the year so far:
  village 1: 张三丰 (conftest, no record), A (record 2025-03-01, over the API),
             B (on the roll, no record date sent), C (not permanent: never counted)
  village 2: 李四 (conftest, no record), D (record 2025-06-01, from doctor_b's phone),
             E (on the roll, no record date, from the phone)
  → permanent residents 6, with a record 2: township 2/6, village 1 1/3, village 2 1/3.
Opening B's record over the API makes village 1 2/3 and the township 3/6. The statistics
office's 常住人口 for village 1 (10) is a second figure beside the register's, never in
place of it: record_coverage:stat is then 2/10 for village 1 and for the township (village 2
has no official figure, so it is on neither side of the township's second figure).
"""
from __future__ import annotations

import uuid

from conftest import login, new_id
from sqlalchemy import select

from core.clock import now_utc
from core.models import MetricRollup, Resident, Setting
from server.metrics.rollups import recompute_period


def _person(town, village: str, name: str, birth: str, **change) -> dict:
    body = {"id": new_id(), "village_id": town[village], "name": name, "sex": "female",
            "birth_date": birth}
    body.update(change)
    return body


def _figures(ctx, town, indicator: str) -> dict:
    period = str(now_utc().year)
    recompute_period(ctx, town["township_a"], period, now=now_utc())
    rows = ctx.scalars(select(MetricRollup).where(
        MetricRollup.township_id == town["township_a"], MetricRollup.period == period,
        MetricRollup.indicator == indicator, MetricRollup.scope != "doctor"))
    return {(r.scope, r.scope_id): (r.numerator, r.denominator) for r in rows}


def test_health_record_rate_counts_the_roll_without_records(app, client, town, phone, ctx):
    login(client, "doctor_a")
    made = {}
    for key, body in {
        "A": _person(town, "village_1", "甲", "1960-01-01", record_created_on="2025-03-01"),
        "B": _person(town, "village_1", "乙", "1961-01-01"),
        "C": _person(town, "village_1", "丙", "1962-01-01", permanent=False,
                     record_created_on=None),
    }.items():
        r = client.post("/api/residents", json=body)
        assert r.status_code == 201, r.get_json()
        made[key] = r.get_json()
    assert made["B"]["record_created_on"] is None and made["C"]["record_created_on"] is None

    device = phone("doctor_b")
    device.create("resident", _person(town, "village_2", "丁", "1963-01-01",
                                      record_created_on="2025-06-01"))
    e_id = device.create("resident", _person(town, "village_2", "戊", "1964-01-01"))
    device.sync()
    assert all(p["status"] != "rejected" for p in device.pending())
    assert ctx.get(Resident, uuid.UUID(e_id)).record_created_on is None

    t, v1, v2 = ("township", town["township_a"]), ("village", town["village_1"]), \
        ("village", town["village_2"])
    got = _figures(ctx, town, "record_coverage")
    assert (got[t], got[v1], got[v2]) == ((2, 6), (1, 3), (1, 3))

    r = client.patch(f"/api/residents/{made['B']['id']}",
                     json={"version": made["B"]["version"], "record_created_on": "2025-09-09"})
    assert r.status_code == 200, r.get_json()
    got = _figures(ctx, town, "record_coverage")
    assert (got[t], got[v1], got[v2]) == ((3, 6), (2, 3), (1, 3))

    ctx.add(Setting(township_id=town["township_a"], key="permanent_population",
                    value={str(town["village_1"]): 10}))
    ctx.commit()
    got = _figures(ctx, town, "record_coverage")
    assert (got[t], got[v1], got[v2]) == ((3, 6), (2, 3), (1, 3))
    stat = _figures(ctx, town, "record_coverage:stat")
    assert stat == {t: (2, 10), v1: (2, 10)}
