"""A phone's clock is not evidence (issue 17.6, docs/adr/0050-entry-time.md).

The same real behaviour, synced through `POST /api/sync` by a phone whose clock is right,
2 days ahead, at 2099, 3 days behind, or absent, gives the same quality flags; the phone's
own claim stays stored as it said. Expected flags are worked out by hand in each test.
"""
from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from device_push import enrol
from records_factory import record_body
from sqlalchemy import select

from core.clock import now_utc
from core.models import QualityFlag, RecordEntry, ServiceRecord
from server.metrics import quality
from sync.entry_times import OFFLINE_HORIZON, entry_time

CST = dt.timezone(dt.timedelta(hours=8))
MIN = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)
# Phone clock minus true time; None: a phone that sends no time at all.
CLOCKS = {
    "right": dt.timedelta(0),
    "2_days_ahead": 2 * DAY,
    "at_2099": dt.datetime(2099, 1, 1, tzinfo=dt.UTC) - now_utc(),
    "3_days_behind": -3 * DAY,
    "no_clock": None,
}
_serial = itertools.count(1)


def _id() -> str:
    """Ids ascending in the order the test makes them, so records entered at the same
    moment are ranked the same way whatever their entry times are."""
    return str(uuid.UUID(int=(0x1234 << 96) + next(_serial)))


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat().replace("+00:00", "Z") if t is not None else None


def _phone(t: dt.datetime, clock: dt.timedelta | None) -> dt.datetime | None:
    """What a phone with `clock` shows at true time `t`."""
    return None if clock is None else t + clock


def sync_entries(app, town, token: str, entries: list[tuple[str, dt.datetime]],
                 clock: dt.timedelta | None) -> None:
    """One push of hypertension follow-ups for resident_1, each entered (truly) at its
    time, by a phone whose clock is off by `clock`; sent now."""
    ops = []
    for n, (rid, entered) in enumerate(entries):
        day = entered.astimezone(CST).date()
        data = record_body(town, service_date=day.isoformat(), sbp=130 + n, dbp=80,
                           next_visit_date=(day + 14 * DAY).isoformat(),
                           device_created_at=_iso(_phone(entered, clock)))
        ops.append({"op_id": str(uuid.uuid4()), "device_counter": n + 1, "entity": "record",
                    "action": "create", "id": rid, "base_version": 0,
                    "device_time": _iso(_phone(entered, clock)), "data": data})
    body = {"protocol": 1, "cursor": 0, "pull_limit": 0, "push": ops,
            "device_time": _iso(_phone(now_utc(), clock))}
    r = app.test_client().post("/api/sync", json=body,
                               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    assert [x["status"] for x in r.get_json()["results"]] == ["accepted"] * len(ops)


def flags(ctx, town) -> set[tuple[str, str]]:
    """The township's flags after a run of the checks now: (check, record or resident)."""
    quality.refresh_flags(ctx, town["township_a"], now=now_utc())
    return {(f.check, str(f.record_id or f.resident_id)) for f in ctx.scalars(select(QualityFlag))}


@pytest.mark.parametrize("clock", CLOCKS.values(), ids=CLOCKS.keys())
def test_a_burst_split_over_two_phones_is_found_whatever_the_clock(app, ctx, town, clock):
    """doctor_a enters ten follow-ups in 18 minutes, alternating between phone A (right
    clock) and phone B (the clock under test), from 25 to 7 minutes ago; both sync now.
    True entry order: A0 B0 A1 B1 ... A4 B4, four minutes apart in each phone, so the
    tenth, B4, completes ten within 18 <= 30 minutes: one burst flag, on B4.
    (With no clock, B's five entered when they arrived, now: A's five and then B's, B4
    still tenth, and all ten within 25 minutes.)"""
    now = now_utc()
    a = [(_id(), now - 25 * MIN + 4 * i * MIN) for i in range(5)]
    b = [(_id(), now - 23 * MIN + 4 * i * MIN) for i in range(5)]
    sync_entries(app, town, enrol(app, "doctor_a", "A"), a, dt.timedelta(0))
    sync_entries(app, town, enrol(app, "doctor_a", "B"), b, clock)

    assert flags(ctx, town) == {("burst", b[4][0])}
    # What the phone said is kept as it said it; the entry time is the true one.
    for rid, entered in b:
        record = ctx.get(ServiceRecord, uuid.UUID(rid))
        assert record.device_created_at == _phone(entered, clock)
        entry = ctx.get(RecordEntry, uuid.UUID(rid))
        if clock is None:
            assert entry.basis == "receipt" and entry.clock_skew_s is None
            assert abs(entry.entered_at - now) < 10 * MIN
        else:
            assert entry.basis == "phone"
            assert abs(entry.clock_skew_s - clock.total_seconds()) <= 2
            assert abs(entry.entered_at - entered) <= dt.timedelta(seconds=2)


@pytest.mark.parametrize("clock", CLOCKS.values(), ids=CLOCKS.keys())
def test_no_false_burst_from_a_skewed_clock(app, ctx, town, clock):
    """Phone B (clock under test) holds five follow-ups entered three days ago, two minutes
    apart, and syncs now. Phone A (right clock) holds five entered a day ago and five six
    days ago, each group two minutes apart, shifted a minute from B's. No ten fall within
    30 minutes of entry: no burst, whatever B's clock. (Two days ahead, B's claims fall
    among A's of a day ago; three days behind, among those of six days ago: ten within
    ten minutes if the claims were read as true.)"""
    now = now_utc()
    entered_b = now - 3 * DAY
    a = [(_id(), entered_b + shift + (2 * i + 1) * MIN) for shift in (2 * DAY, -3 * DAY)
         for i in range(5)]
    b = [(_id(), entered_b + 2 * i * MIN) for i in range(5)]
    sync_entries(app, town, enrol(app, "doctor_a", "A"), a, dt.timedelta(0))
    sync_entries(app, town, enrol(app, "doctor_a", "B"), b, clock)

    assert flags(ctx, town) == set()


def test_records_through_the_rest_api_are_entered_when_stored(app, client, ctx, town):
    """`POST /api/records` has no request clock to correct a claim by: ten follow-ups
    stored through it a moment apart are entered at the server's time, a burst, even when
    their `device_created_at` claims days between them."""
    from conftest import login

    login(client, "doctor_a")
    today = now_utc().astimezone(CST).date()
    ids = []
    for n in range(10):
        body = record_body(town, service_date=today.isoformat(), sbp=130 + n, dbp=80,
                           next_visit_date=(today + 14 * DAY).isoformat(),
                           device_created_at=_iso(now_utc() - (10 - n) * DAY))
        body["id"] = _id()
        ids.append(body["id"])
        r = client.post("/api/records", json=body)
        assert r.status_code == 201, r.get_json()
    assert flags(ctx, town) == {("burst", ids[-1])}


# -- the estimate itself, by hand ---------------------------------------------------------

RECEIVED = dt.datetime(2026, 12, 3, 4, 0, tzinfo=dt.UTC)  # 12:00 China time
TODAY = dt.date(2026, 12, 3)  # starts 2026-12-02 16:00 UTC


@pytest.mark.parametrize("claimed, skew, service_date, expected", [
    # Two days ahead: entered 02:00 UTC today by the server's clock.
    (dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.UTC), 2 * 86400, TODAY,
     (dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC), "phone")),
    # Three days behind, entered an hour before it arrived.
    (dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC), -3 * 86400, TODAY,
     (dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC), "phone")),
    # The clock was put right after entry at 2099: the estimate is after arrival.
    (dt.datetime(2099, 1, 1, tzinfo=dt.UTC), 0, TODAY, (RECEIVED, "receipt")),
    # The clock was put forward after entry: the estimate is before the service day.
    (dt.datetime(2026, 12, 2, 15, 59, tzinfo=dt.UTC), 0, TODAY, (RECEIVED, "receipt")),
    # The start of the service day (16:00 UTC the day before) is still sensible.
    (dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC), 0, TODAY,
     (dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC), "phone")),
    # An old service entered from paper: more than the offline horizon before arrival.
    (RECEIVED - OFFLINE_HORIZON - MIN, 0, dt.date(2025, 1, 1), (RECEIVED, "receipt")),
    (RECEIVED - OFFLINE_HORIZON, 0, dt.date(2025, 1, 1), (RECEIVED - OFFLINE_HORIZON, "phone")),
    # Nothing to go on, or a clock so far off the arithmetic overflows.
    (None, 0, TODAY, (RECEIVED, "receipt")),
    (dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC), None, TODAY, (RECEIVED, "receipt")),
    (dt.datetime(1, 1, 1, tzinfo=dt.UTC), 10**11, TODAY, (RECEIVED, "receipt")),
])
def test_entry_time_by_hand(claimed, skew, service_date, expected):
    assert entry_time(claimed, skew, RECEIVED, service_date) == expected


def test_staff_see_the_entry_time_and_what_the_phone_said(app, client, ctx, town):
    """The burst list shows, beside the storage time, the entry time the check used and
    the phone's own clock when it disagrees: here a phone at 2099."""
    from conftest import login

    now = now_utc()
    clock = CLOCKS["at_2099"]
    entries = [(_id(), now - 30 * MIN + 2 * i * MIN) for i in range(10)]
    sync_entries(app, town, enrol(app, "doctor_a", "B"), entries, clock)
    assert flags(ctx, town) == {("burst", entries[9][0])}

    login(client, "staff_a")
    html = client.get("/township/quality?check=burst").get_data(as_text=True)
    entered = entries[9][1].astimezone(CST)
    said = (entries[9][1] + clock).astimezone(CST)
    # The estimate is within two seconds of the truth: either minute may show.
    two_s = dt.timedelta(seconds=2)
    shown = {(entered + s).strftime("%Y-%m-%d %H:%M") for s in (-two_s, two_s)}
    assert any(f"按服务器时钟录入 {m}" in html for m in shown), html
    assert f"手机时钟显示 {said.strftime('%Y-%m-%d %H:%M')}" in html  # exactly as sent
