"""After tombstones are purged, a phone is reset at most once and never stuck (issue 17.2).

A pull from cursor 0 is a fresh copy: it is never told to reset, and neither are the
pages that follow it, which carry the copy's `fresh_copy` back (docs/sync-protocol.md,
docs/adr/0049-reset-once.md). A phone whose cursor is older than the purge horizon is
reset once, then pages through to the end, purges running or not.
"""
from __future__ import annotations

import datetime as dt

import pytest
from conftest import PASSWORD, login
from records_factory import record_body
from tombstones import age_tombstones, author, live_records, logged_through, purge, recording

import sync.client

# -- a client written from the document, over raw HTTP ------------------------------------

def enrol_raw(app, username: str = "doctor_a") -> tuple:
    """A device enrolled through the API: (test client, bearer token)."""
    c = app.test_client()
    login(c, username)
    r = c.post("/api/devices", json={"label": "raw", "password": PASSWORD})
    assert r.status_code == 201, r.get_json()
    return c, r.get_json()["token"]


def pull_to_end(c, token: str, pull_limit: int | None = None, between=None,
                max_pages: int = 40) -> tuple[dict, int, int]:
    """Pull as docs/sync-protocol.md says, from cursor 0, until `more` is false: keep
    `cursor` and `fresh_copy` from each response and send them back; on `reset`, drop the
    copy and start from 0. `between(page)` runs after each stored page that has `more`.
    Returns ({(entity, id): version}, pages, resets)."""
    held: dict[tuple[str, str], int] = {}
    cursor, fresh, resets = 0, None, 0
    for page in range(1, max_pages + 1):
        body = {"protocol": 1, "cursor": cursor, "push": []}
        if fresh is not None:
            body["fresh_copy"] = fresh
        if pull_limit is not None:
            body["pull_limit"] = pull_limit
        r = c.post("/api/sync", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200, r.get_json()
        response = r.get_json()
        if response["reset"]:
            assert cursor != 0, "a pull from cursor 0 was told to reset"
            resets += 1
            held, cursor, fresh = {}, 0, None
            continue
        for change in response["changes"]:
            key = (change["entity"], change["id"])
            if change["op"] == "upsert":
                held[key] = change["version"]
            else:
                held.pop(key, None)
        cursor, fresh = response["cursor"], response.get("fresh_copy")
        if not response["more"]:
            assert fresh is None, "the copy is over: nothing to carry"
            return held, page, resets
        if between:
            between(page)
    raise AssertionError(f"still paging after {max_pages} pages ({resets} resets)")


def records_of(held: dict) -> set[str]:
    return {i for (entity, i) in held if entity == "record"}


def test_a_new_phone_after_a_purge_pages_through_at_the_default_page_size(app, town, phone):
    """The issue's case: more live rows than one default page (1,000), old tombstones
    purged; a new phone's second page was `reset`, and so on for ever."""
    a = phone()
    author(a, town, 1100, voids=3)
    age_tombstones(app)
    assert purge(app) > 0
    c, token = enrol_raw(app)
    held, pages, resets = pull_to_end(c, token)
    assert resets == 0
    assert pages == 2
    assert records_of(held) == live_records(app, town["village_1"])


def test_an_old_cursor_is_reset_once_then_the_phone_pages_to_the_end(app, town, phone,
                                                                     monkeypatch):
    monkeypatch.setattr(sync.client, "PULL_LIMIT", 7)
    a, old = phone(name="a"), phone(name="old")
    author(a, town, 40, voids=5)
    age_tombstones(app)
    assert purge(app) > old.cursor
    seen = recording(old)
    old.sync(max_rounds=40)
    assert [r["reset"] for r in seen].count(True) == 1
    assert sum(r["more"] for r in seen) >= 5  # it did page, after the reset
    assert set(old.all("record")) == live_records(app, town["village_1"])


def test_a_phone_reset_gets_back_the_records_it_pushed_itself(app, town, phone, monkeypatch):
    """A reset drops the phone's copy of its own acknowledged records too; the fresh copy
    must send them on every page, not only on the first."""
    monkeypatch.setattr(sync.client, "PULL_LIMIT", 5)
    a, b = phone(name="a"), phone(name="b")
    mine = author(a, town, 20)
    author(b, town, 12, voids=4)
    age_tombstones(app)
    assert purge(app) > a.cursor
    seen = recording(a)
    a.sync(max_rounds=40)
    assert [r["reset"] for r in seen].count(True) == 1
    assert set(mine) <= set(a.all("record"))
    assert set(a.all("record")) == live_records(app, town["village_1"])


def test_purges_between_pages_of_a_fresh_copy_neither_reset_it_nor_lose_a_deletion(
        app, town, phone, monkeypatch):
    """Purges keep running while a new phone pages through, each cutting more of the
    tombstones logged before the copy began; records are voided and made meanwhile. The
    old tombstones go, the new ones reach the phone, and it is never reset."""
    monkeypatch.setattr(sync.client, "PULL_LIMIT", 6)
    a = phone(name="a")
    kept = author(a, town, 36)
    batches = []  # the last seq of each of four rounds of voids made before the copy
    for round_ in range(4):
        for rec in kept[round_ * 2:round_ * 2 + 2]:
            a.void(rec)
        a.sync()
        batches.append(logged_through(app))
    kept = kept[8:]
    age_tombstones(app, through=batches.pop(0))
    assert purge(app) > 0
    n = phone(name="new", synced=False)
    seen = recording(n)
    voided, made = [], []
    while len(seen) < 40:
        response = n.exchange([])
        if not response["more"]:
            break
        # Between two pages: a record the new phone already holds is voided, one is
        # made, and the purge runs again over tombstones older than the copy.
        held = [r for r in kept if n.get("record", r) and r not in voided]
        if held:
            a.void(held[0])
            voided.append(held[0])
        made.append(a.create("record", record_body(town, sbp=170)))
        a.sync()
        if batches:
            age_tombstones(app, through=batches.pop(0))
        purge(app)
    assert not any(r["reset"] for r in seen)
    assert not batches and len(seen) >= 5 and voided
    records = set(n.all("record"))
    assert not records & set(voided)
    assert set(made) <= records
    assert records == live_records(app, town["village_1"])


def test_a_deletion_made_during_a_copy_and_purged_before_its_end_resets_it_once(
        app, town, phone, monkeypatch):
    """The one case a copy cannot finish without: a record it holds was voided after the
    copy began and that tombstone was purged before the copy reached it. The phone is
    reset once; purges running after that do not reset it again."""
    monkeypatch.setattr(sync.client, "PULL_LIMIT", 6)
    a = phone(name="a")
    kept = author(a, town, 30)
    n = phone(name="new", synced=False)
    seen = recording(n)
    n.exchange([])
    gone = next(r for r in kept if n.get("record", r))
    a.void(gone)
    a.sync()
    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    purge(app, now=far)  # a horizon shorter than the copy: the void's tombstone is gone
    for _ in range(40):
        response = n.exchange([])
        purge(app, now=far)
        if not response["more"] and not response["reset"]:
            break
    assert [r["reset"] for r in seen].count(True) == 1
    assert gone not in n.all("record")
    assert set(n.all("record")) == live_records(app, town["village_1"])


@pytest.mark.parametrize(("fresh_copy", "status"), [
    (None, 200), (0, 200), (3, 200), (2**62, 200), (-1, 422), ("7", 422), (2.5, 422),
    (2**63, 422),
])
def test_fresh_copy_in_a_request_is_a_seq_or_null(app, town, fresh_copy, status):
    c, token = enrol_raw(app)
    r = c.post("/api/sync", json={"protocol": 1, "cursor": 3, "fresh_copy": fresh_copy,
                                  "push": []},
               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == status, r.get_json()
    if status == 422:
        assert list(r.get_json()["errors"]) == ["fresh_copy"]
