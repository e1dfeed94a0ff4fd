"""Ids an op names that are not the caller's, and pushes that are not all ops: each is that
op's `rejected`, the rest of the batch applied, and a re-send gets the same answer, never
a whole-request failure that would leave the outbox stuck (docs/sync-protocol.md, "Why an
op may be rejected")."""
from __future__ import annotations

import json
import uuid
from typing import Any

from sync.conformance.cases_status import codes, expect, new_resident, push
from sync.conformance.runner import World, case, check


def _same_but_ids(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return {k: v for k, v in a.items() if k not in ("op_id", "id")} == \
        {k: v for k, v in b.items() if k not in ("op_id", "id")}


def _elsewhere(world: World) -> tuple[str | None, str | None]:
    """A household and a resident of another village, made by the `other` account's
    device (None, None when that account was not given)."""
    other = world.accounts.get("other")
    if other is None:
        return None, None
    villages = sorted(other.user.get("village_ids") or [])
    if not villages or world.village in villages:
        return None, None
    stranger = world.device("foreign-ids", other)
    hid, rid = str(uuid.uuid4()), str(uuid.uuid4())
    results = push(stranger,
                   stranger.op("household", "create", hid, world.household_body(
                       village_id=villages[0])),
                   stranger.op("resident", "create", rid, world.resident_body(
                       household=hid, village_id=villages[0], phone="13800000002")))
    for result in results:
        expect(result, "accepted", "the other village's household and resident")
    return hid, rid


@case("edge.ids_not_the_callers")
def ids_not_the_callers(world: World) -> None:
    """A resident's household, a record's household, an activity's attendees and a visit's
    members seen that name nothing, or another village's (with --other-user): `rejected`
    (`unknown_household` / `unknown_resident`), the same answer for both, the good op of
    the batch applied, a re-send answered the same."""
    device = world.phone
    rid = new_resident(world, device)
    hh_elsewhere, res_elsewhere = _elsewhere(world)
    households = [str(uuid.uuid4())] + ([hh_elsewhere] if hh_elsewhere else [])
    residents = [str(uuid.uuid4())] + ([res_elsewhere] if res_elsewhere else [])
    ops, expected = [], []
    for hid in households:
        ops.append(device.op("resident", "update", rid, {"household_id": hid}, 1))
        ops.append(device.op("record", "create", str(uuid.uuid4()),
                             world.follow_up(resident_id=rid, household_id=hid)))
        expected += [("household_id", "unknown_household")] * 2
    for listed in residents:
        ops.append(device.op("record", "create", str(uuid.uuid4()), {
            "kind": "education_activity", "village_id": world.village,
            "service_date": world.service_date(), "mode": "group", "activity_type": "lecture",
            "place": "村委会", "topic": "高血压防治", "attendee_ids": [world.resident, listed]}))
        ops.append(device.op("record", "create", str(uuid.uuid4()), {
            "kind": "household_visit", "household_id": world.household,
            "service_date": world.service_date(), "mode": "home",
            "members_seen": [listed]}))
        expected += [("attendee_ids", "unknown_resident"), ("members_seen", "unknown_resident")]
    good = device.op("record", "create", str(uuid.uuid4()), world.follow_up(resident_id=rid))
    results = push(device, *ops, good)
    for (field, code), op, result in zip(expected, ops, results, strict=False):
        what = f"{op['entity']} {op['action']} naming another {field}"
        expect(result, "rejected", what)
        check(codes(result, field) == [code], f"{what}: {result!r:.300}")
    if len(households) == 2:  # no oracle: nothing tells a random id from another village's
        for i in (0, 1, 4, 5):  # [random, random, elsewhere, elsewhere] of each kind
            check(_same_but_ids(results[i], results[i + 2]),
                  f"an unknown id and another village's answered differently: {results[i]!r:.200}"
                  f" / {results[i + 2]!r:.200}")
    expect(results[-1], "accepted", "the good op of the batch")
    again = push(device, *ops, good)
    check(again == results, "a re-sent batch was answered differently")
    check(device.call("GET", f"/api/residents/{rid}").json["household_id"] == world.household,
          "a rejected household_id was stored")


@case("edge.surrogate_in_op_ids")
def surrogate_in_op_ids(world: World) -> None:
    """A lone surrogate in an op's `op_id` or `id`: that op `rejected`, the response 200
    in valid UTF-8 with no surrogate echoed, the rest of the batch applied, and a re-send
    answered the same."""
    device = world.phone
    for field in ("op_id", "id"):
        good = device.op("record", "create", str(uuid.uuid4()), world.follow_up())
        bad = device.op("resident", "update", world.resident, {"phone": "13800000009"}, 1)
        bad[field] = "\ud800" + bad[field]
        raw = json.dumps(device.request([good, bad], pull_limit=0)).encode()  # "\ud800" escaped
        replies = [device.post_sync(None, raw=raw) for _ in range(2)]
        for reply in replies:
            check(reply.status == 200, f"{field} with a lone surrogate: {reply}")
            try:
                reply.raw.decode("utf-8")
            except UnicodeDecodeError:
                check(False, f"{field}: the response is not UTF-8")
            check(b"\\ud800" not in reply.raw.lower(), f"{field}: the surrogate was echoed")
        first, second = (r.json["results"] for r in replies)
        expect(first[0], "accepted", "the good op beside it")
        expect(first[1], "rejected", f"an op whose {field} holds a lone surrogate")
        check(codes(first[1], field), f"{field}: no error at {field}: {first[1]!r:.200}")
        check(second[1] == first[1], f"{field}: the re-send was answered differently")


@case("edge.non_object_ops")
def non_object_ops(world: World) -> None:
    """Push elements that are not objects (text, a number, null, a list, true): each is
    `rejected` with `op_id` and `id` null, in its place in `results`; the op among them is
    applied."""
    device = world.phone
    good = device.op("record", "create", str(uuid.uuid4()), world.follow_up())
    elements: list[Any] = ["op", 5, None, [1, 2], good, True]
    reply = device.post_sync(device.request(elements, pull_limit=0))
    check(reply.status == 200, f"a push with non-object elements: {reply}")
    results = reply.json["results"]
    check(len(results) == len(elements), f"{len(elements)} elements, {len(results)} results")
    for element, result in zip(elements, results, strict=True):
        if element is good:
            expect(result, "accepted", "the op among them")
            continue
        expect(result, "rejected", f"the element {element!r}")
        check(result.get("op_id") is None and result.get("id") is None and result["errors"],
              f"the element {element!r}: {result!r:.200}")
