"""The edges that left phones stuck or leaked data (issues 16 and 17): a repeated create
in one batch, a reset after a purge while paging, another device's op_id, another
village's entities, a stale record correction, and what a replay answers."""
from __future__ import annotations

import uuid
from typing import Any

from sync.conformance.api import Device
from sync.conformance.cases_status import codes, expect, new_resident, push
from sync.conformance.runner import Skip, World, case, check


@case("edge.duplicate_create_in_one_batch")
def duplicate_in_batch(world: World) -> None:
    """[create X, edit a resident, create X again]: the second create is `duplicate` (same
    content) or `rejected` `id_taken` (other content), never a 500; a replay of the batch
    answers the same; X is stored once."""
    device = world.phone
    rid = new_resident(world, device)
    for n, (second, want) in enumerate(((world.follow_up(), "duplicate"),
                                        (world.follow_up(sbp=152), "rejected"))):
        x = str(uuid.uuid4())
        ops = [device.op("record", "create", x, world.follow_up()),
               device.op("resident", "update", rid, {"allergies": f"药物{n}"}, n + 1),
               device.op("record", "create", x, second)]
        reply = device.post_sync(device.request(ops))
        check(reply.status == 200, f"{want}: the batch was refused: {reply}")
        results = reply.json["results"]
        expect(results[0], "accepted", "first create")
        expect(results[1], "accepted", "the edit between")
        expect(results[2], want, "second create")
        if want == "rejected":
            check(codes(results[2], "id") == ["id_taken"], f"other content: {results[2]}")
        again = device.post_sync(device.request(ops))
        check(again.status == 200 and again.json["results"] == results,
              f"{want}: the replayed batch answered {again}")
        stored = device.call("GET", f"/api/records/{x}")
        check(stored.status == 200 and stored.json["sbp"] == 150, f"{want}: X is {stored}")
        device.cursor = again.json["cursor"]
    x = str(uuid.uuid4())
    results = push(device, device.op("record", "create", x, world.follow_up()),
                   device.op("record", "create", x, world.follow_up()))
    check([r["status"] for r in results] == ["accepted", "duplicate"], f"side by side: {results}")


def _living(pages: list[dict[str, Any]], held: dict[str, int] | None = None) -> dict[str, int]:
    """Apply pages as a device does: upserts stored, deletes and evictions removed, a reset
    clearing everything held."""
    held = {} if held is None else held
    for page in pages:
        if page["reset"]:
            held.clear()
        for change in page["changes"]:
            if change["op"] == "upsert":
                held[change["id"]] = change["version"]
            else:
                held.pop(change["id"], None)
    return held


def _page_to_end(device: Device, first_limit: int, held: dict[str, int]) -> list[dict]:
    """A first page of `first_limit`, then default pages to the end (bounded); after a
    reset the device pulls again from 0, as the protocol says."""
    pages = [device.sync(pull_limit=first_limit)]
    while (pages[-1]["more"] or pages[-1]["reset"]) and len(pages) < 5000:
        pages.append(device.sync())
    _living(pages, held)
    return pages


@case("edge.reset_after_purge_while_paging", needs=("admin",))
def purge_reset(world: World) -> None:
    """After a purge: a fresh copy (cursor 0, paged) is never reset; a device whose cursor
    is older than the purged tombstones is reset once (empty changes, cursor 0, results
    kept), then pages from 0 to the end; a copy that needed a purged tombstone is reset
    once. Every device ends holding exactly the living entities."""
    admin = world.account("admin")
    a = world.device("purge-a")
    records = [a.op("record", "create", str(uuid.uuid4()), world.follow_up())
               for _ in range(6)]
    push(a, *records)
    old_cursor = a.cursor
    voided = records[0]["id"]
    expect(push(a, a.op("record", "delete", voided, {}, 1))[0], "accepted", "void")
    purged = admin.call("POST", "/api/sync/purge", {"horizon_days": 0})
    if purged.status in (404, 405):
        raise Skip("needs POST /api/sync/purge for admins (SYNC_PURGE_API=1 on the server)")
    check(purged.status == 200 and purged.json["purged_through"] > old_cursor,
          f"purge: {purged}")

    fresh = world.device("purge-fresh", synced=False)
    held: dict[str, int] = {}
    pages = _page_to_end(fresh, 2, held)
    check(len(pages) > 1, "the fresh copy took one page; nothing was paged")
    check(not any(p["reset"] for p in pages), "a fresh copy was reset after a purge")
    check(all(p.get("fresh_copy") is not None for p in pages[:-1]) and
          "fresh_copy" not in pages[-1] and not pages[-1]["more"],
          "fresh_copy not on every page but the last")
    mine = {op["id"] for op in records}
    check(mine - {voided} <= held.keys() and voided not in held,
          "the fresh copy does not hold the living records (or holds the voided one)")

    a.cursor, a.fresh_copy = old_cursor, None
    edit = a.op("record", "create", str(uuid.uuid4()), world.follow_up())
    first = a.sync([edit], pull_limit=2)
    check(first["reset"] is True and first["cursor"] == 0 and first["changes"] == [],
          f"an old cursor after a purge: {first!r:.300}")
    expect(first["results"][0], "accepted", "the op pushed with the reset")
    held = {}
    pages = _page_to_end(a, 2, held)
    check(not any(p["reset"] for p in pages), "reset again while paging after the reset")
    check(edit["id"] in held and voided not in held, "after the reset the device lacks its own")

    copy = world.device("purge-copy", synced=False)
    held = {}
    first = copy.sync(pull_limit=2)
    _living([first], held)
    check(first["more"] and first.get("fresh_copy") is not None, "copy did not page")
    late = records[1]["id"]
    push(world.phone, world.phone.op("record", "delete", late, {}, 1))
    check(admin.call("POST", "/api/sync/purge", {"horizon_days": 0}).status == 200, "purge 2")
    pages = _page_to_end(copy, 1000, held)
    resets = [p for p in pages if p["reset"]]
    check(len(resets) <= 1, f"a copy was reset {len(resets)} times")
    check(late not in held and voided not in held and mine - {voided, late} <= held.keys(),
          "the copy holds a voided record, or lacks a living one")


@case("edge.foreign_op_id")
def foreign_op_id(world: World) -> None:
    """Another account's device re-sending a device's op_ids (a resident edit and a new
    record) is refused `op_id_taken` with no data and changes nothing; the first device's
    replay still gets its own answer, and so does another device of the same account (a
    phone enrolled anew: receipts belong to the account, docs/adr/0053)."""
    owner = world.device("owner")
    rid = new_resident(world, owner)
    edit = owner.op("resident", "update", rid, {"allergies": "花粉"}, 1)
    new = owner.op("record", "create", str(uuid.uuid4()), world.follow_up())
    first = push(owner, edit, new)
    sibling = world.device("sibling")
    check(sibling.sync([edit, new])["results"] == first,
          "the same account's other device was not given the first answers")
    thieves = []
    if world.accounts.get("other") is not None:
        thieves.append(world.device("other-thief", world.account("other")))
    for thief in thieves:
        stolen = [{**edit, "data": {"allergies": "改写"}}, {**new, "data": world.follow_up(sbp=99)}]
        for result in thief.sync(stolen)["results"]:
            expect(result, "rejected", "another device's op_id")
            check(codes(result, "op_id") == ["op_id_taken"] and "data" not in result and
                  "version" not in result, f"a foreign op_id answered {result!r:.200}")
    check(owner.sync([edit, new])["results"] == first, "the owner's replay changed")
    stored = owner.call("GET", f"/api/residents/{rid}").json
    check(stored["allergies"] == "花粉" and stored["version"] == 2, "a foreign op changed data")


@case("edge.out_of_scope", needs=("other",))
def out_of_scope(world: World) -> None:
    """A doctor of another village sending ops about this village's resident, household or
    record (and a create in this village): `rejected` `out_of_scope`, none of the target's
    data, nothing stored (no change, no conflict)."""
    other = world.account("other")
    if set(other.user.get("village_ids") or []) & {world.village}:
        raise Skip("needs --other-user serving another village than the user's first")
    owner = world.phone
    rid = new_resident(world, owner)
    rec = str(uuid.uuid4())
    push(owner, owner.op("record", "create", rec, world.follow_up(resident_id=rid)))
    before = owner.call("GET", f"/api/residents/{rid}").json
    stranger = world.device("stranger", other)
    ops = [stranger.op("resident", "update", rid, {}, 1),
           stranger.op("resident", "update", rid, {"phone": "13911112222"}, 1),
           stranger.op("resident", "create", rid, world.resident_body()),
           stranger.op("household", "update", world.household, {"toilet": "旱厕"}, 1),
           stranger.op("record", "update", rec, world.follow_up(resident_id=rid, sbp=99), 1),
           stranger.op("record", "delete", rec, {}, 1),
           stranger.op("record", "create", rec, world.follow_up(resident_id=rid)),
           stranger.op("resident", "update", str(uuid.uuid4()), {"phone": "13911112222"}, 1)]
    fields = ["id"] * len(ops)
    ops.append(stranger.op("resident", "create", str(uuid.uuid4()), world.resident_body()))
    fields.append("village_id")
    results = stranger.sync(ops)["results"]
    for op, result, field in zip(ops, results, fields, strict=True):
        what = f"{op['entity']} {op['action']}"
        expect(result, "rejected", what)
        check(codes(result, field) == ["out_of_scope"], f"{what}: {result!r:.200}")
        check(set(result) == {"op_id", "id", "status", "errors"},
              f"{what}: an out-of-scope answer carries {sorted(result)}")
    after = owner.call("GET", f"/api/residents/{rid}").json
    check(after == before, "an out-of-scope op changed the resident")
    check(owner.call("GET", f"/api/records/{rec}").json["version"] == 1, "the record changed")
    staff = world.accounts.get("staff")
    if staff is not None:
        items = staff.call("GET", "/api/sync/conflicts?all=1").json["items"]
        check(not [c for c in items if c["entity_id"] == rid], "a conflict was stored")


@case("edge.replay_answers_as_first")
def replay_first(world: World) -> None:
    """A replayed op gets the first answer, even when the entity has moved on since: its
    `data` is then older than the changes in the same response, which is why results are
    stored before changes."""
    a = world.device("replay-a")
    rid = new_resident(world, a)
    edit = a.op("resident", "update", rid, {"allergies": "青霉素"}, 1)
    first = push(a, edit)[0]
    b = world.device("replay-b")
    push(b, b.op("resident", "update", rid, {"contact_name": "向二"}, 2))
    response = a.sync([edit])
    check(response["results"] == [first], f"the replay answered {response['results']!r:.200}")
    newer = [c for c in response["changes"] if c["id"] == rid]
    check(newer and newer[-1]["version"] == 3 and first["version"] == 2,
          "the newer version did not come in the same response")


@case("edge.stale_record_correction")
def stale_correction(world: World) -> None:
    """Two phones of the author correct the same record: the one made on the older version
    is `merged` per field or a `conflict`, never a silent overwrite (issue 17.5)."""
    a = world.device("stale-a")
    rec = str(uuid.uuid4())
    push(a, a.op("record", "create", rec, world.follow_up()))
    b = world.device("stale-b")
    expect(push(a, a.op("record", "update", rec, world.follow_up(sbp=160), 1))[0],
           "accepted", "the first correction")
    stale = push(b, b.op("record", "update", rec, world.follow_up(sbp=150, dbp=90), 1))[0]
    check(stale["status"] in ("merged", "conflict"),
          f"a correction on version 1 of a version-2 record was {stale['status']}")
    stored = a.call("GET", f"/api/records/{rec}").json
    check(stored["sbp"] == 160, f"the newer correction was overwritten: sbp {stored['sbp']}")
