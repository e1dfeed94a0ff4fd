"""Every status for every entity: accepted, duplicate, merged, conflict, rejected; what
each result carries (docs/sync-protocol.md, "Result")."""
from __future__ import annotations

import uuid
from typing import Any

from sync.conformance.api import Device
from sync.conformance.runner import Fail, World, case, check

KINDS = ("household_visit", "hypertension_followup", "diabetes_followup", "vaccination_check",
         "education_activity", "elderly_health_check")


def push(device: Device, *ops: dict[str, Any]) -> list[dict[str, Any]]:
    """Push `ops` (pulling too, as a phone does); the results, checked to match the ops."""
    results = device.sync(list(ops))["results"]
    check(len(results) == len(ops), f"{len(ops)} ops got {len(results)} results")
    for op, result in zip(ops, results, strict=True):
        check(result.get("op_id") == op["op_id"] and result.get("id") == op["id"],
              f"result {result!r:.160} does not name its op")
    return results


def expect(result: dict[str, Any], status: str, what: str) -> dict[str, Any]:
    """Fail unless `result` has `status`; returns it."""
    if result.get("status") != status:
        raise Fail(f"{what}: expected {status}, got {result!r:.300}")
    return result


def codes(result: dict[str, Any], field: str) -> list[str]:
    """The error codes of a rejected result for `field`."""
    return [e.get("code") for e in (result.get("errors") or {}).get(field) or []]


def new_resident(world: World, device: Device, **change: Any) -> str:
    """A resident made for one case by `device`, at version 1."""
    rid = str(uuid.uuid4())
    expect(push(device, device.op("resident", "create", rid, world.resident_body(**change)))[0],
           "accepted", "a new resident")
    return rid


def record(world: World, kind: str, **change: Any) -> dict[str, Any]:
    """A valid new record of `kind` about this run's resident, household or village."""
    base = {"kind": kind, "service_date": world.service_date(), "mode": "home"}
    extra = {
        "household_visit": {"household_id": world.household, "services_done": ["测血压"],
                            "members_seen": [world.resident]},
        "hypertension_followup": {"resident_id": world.resident, "sbp": 150, "dbp": 95},
        "diabetes_followup": {"resident_id": world.resident, "fasting_glucose": 7.8},
        "vaccination_check": {"resident_id": world.resident, "card_sighted": True,
                              "doses_due": [{"vaccine": "MMR", "dose_no": 2}]},
        "education_activity": {"village_id": world.village, "mode": "group",
                               "activity_type": "lecture", "place": "村委会",
                               "topic": "高血压防治", "audience_count": 30},
        "elderly_health_check": {"resident_id": world.resident, "pulse": 72,
                                 "sbp_left": 138, "dbp_left": 82},
    }[kind]
    return {**base, **extra, **change}


@case("status.household_and_resident_create_accepted")
def create_people(world: World) -> None:
    """A new household and resident: `accepted`, version 1, a seq, and the whole entity
    echoed in `data` (a resident with the `record_no` the server gave it)."""
    device = world.phone
    hid, rid = str(uuid.uuid4()), str(uuid.uuid4())
    results = push(device, device.op("household", "create", hid, world.household_body()),
                   device.op("resident", "create", rid, world.resident_body(household=hid)))
    for result, eid in zip(results, (hid, rid), strict=True):
        expect(result, "accepted", "create")
        check(result["version"] == 1 and isinstance(result["seq"], int), f"create: {result}")
        check(result.get("data", {}).get("id") == eid and result["data"]["version"] == 1,
              f"accepted create does not echo the entity: {result!r:.200}")
    check(results[1]["data"].get("record_no"), "a new resident has no record_no")


@case("status.record_create_every_kind")
def create_records(world: World) -> None:
    """A record of each kind: `accepted`, version 1, a seq, and no `data`."""
    device = world.phone
    ops = [device.op("record", "create", str(uuid.uuid4()), record(world, k)) for k in KINDS]
    for kind, result in zip(KINDS, push(device, *ops), strict=True):
        expect(result, "accepted", kind)
        check(result["version"] == 1 and isinstance(result["seq"], int), f"{kind}: {result}")
        check("data" not in result, f"{kind}: an accepted record carries data")


@case("status.record_correction_every_kind")
def correct_records(world: World) -> None:
    """A correction by the author (the full record, on its version): `accepted`, the next
    version. (Issue 17.4: an education activity's correction was refused on village_id.)"""
    device = world.phone
    ops = [device.op("record", "create", str(uuid.uuid4()), record(world, k)) for k in KINDS]
    push(device, *ops)
    fixes = [device.op("record", "update", op["id"], {**op["data"], "notes": "更正"},
                       base_version=1) for op in ops]
    failed = [f"{k}: {r.get('status')} {r.get('errors') or ''}" for k, r in
              zip(KINDS, push(device, *fixes), strict=True)
              if r.get("status") != "accepted" or r.get("version") != 2]
    check(not failed, "corrections not accepted at version 2: " + "; ".join(failed))


@case("status.record_duplicate_and_id_taken")
def record_duplicate(world: World) -> None:
    """The same record id again, under a new op_id: identical content is `duplicate` with
    the current version and no data; other content is `rejected` (`id_taken`)."""
    device = world.phone
    rid = str(uuid.uuid4())
    push(device, device.op("record", "create", rid, world.follow_up()))
    again, other = push(device, device.op("record", "create", rid, world.follow_up()),
                        device.op("record", "create", rid, world.follow_up(sbp=151)))
    expect(again, "duplicate", "identical create")
    check(again.get("version") == 1 and "data" not in again and again.get("seq") is None,
          f"duplicate carries {again}")
    expect(other, "rejected", "create with other content")
    check(codes(other, "id") == ["id_taken"], f"other content: {other}")


@case("status.record_void_twice_and_correct_voided")
def void(world: World) -> None:
    """Voiding (`delete`, data {}): `accepted` at the next version; voiding again is
    `duplicate`; correcting a voided record is `rejected` (`voided`)."""
    device = world.phone
    rid = str(uuid.uuid4())
    push(device, device.op("record", "create", rid, world.follow_up()))
    voided, again, fixed = push(
        device, device.op("record", "delete", rid, {}, base_version=1),
        device.op("record", "delete", rid, {}, base_version=1),
        device.op("record", "update", rid, world.follow_up(sbp=140), base_version=1))
    expect(voided, "accepted", "void")
    check(voided["version"] == 2 and isinstance(voided["seq"], int), f"void: {voided}")
    expect(again, "duplicate", "second void")
    check(again.get("version") == 2, f"second void: {again}")
    expect(fixed, "rejected", "correction of a voided record")
    check(codes(fixed, "id") == ["voided"], f"correction of a voided record: {fixed}")


@case("status.record_data_id_is_the_ops")
def record_data_id(world: World) -> None:
    """A record's id is the op's: `data` may leave it out, may repeat it in another
    spelling, and one that differs is `rejected` (`id_mismatch`) with nothing stored under
    either id."""
    device = world.phone
    rid, other, same = str(uuid.uuid4()), str(uuid.uuid4()), uuid.uuid4()
    mismatch, spelled = push(device, device.op("record", "create", rid, world.follow_up(id=other)),
                             device.op("record", "create", str(same),
                                       world.follow_up(id=same.hex.upper())))
    expect(mismatch, "rejected", "data.id other than the op's")
    check(codes(mismatch, "id") == ["id_mismatch"], f"data.id other than the op's: {mismatch}")
    for eid in (rid, other):
        check(device.call("GET", f"/api/records/{eid}").status == 404,
              f"a record was stored under {eid} from an op with a mismatched data.id")
    expect(spelled, "accepted", "data.id the op's id in another spelling")


def _two_devices(world: World, label: str) -> tuple[Device, Device, str]:
    """Two devices of the user holding a new resident at version 1."""
    a = world.device(f"{label}-a")
    rid = new_resident(world, a)
    b = world.device(f"{label}-b")
    return a, b, rid


@case("status.resident_merged")
def resident_merged(world: World) -> None:
    """An edit on an older version that touches other fields: `merged`, the next version,
    a seq, and `data` holding both edits."""
    a, b, rid = _two_devices(world, "merged")
    expect(push(a, a.op("resident", "update", rid, {"allergies": "青霉素"}, 1))[0],
           "accepted", "first edit")
    merged = expect(push(b, b.op("resident", "update", rid, {"contact_name": "向二"}, 1))[0],
                    "merged", "edit on version 1")
    check(merged["version"] == 3 and isinstance(merged["seq"], int), f"merged: {merged!r:.200}")
    data = merged.get("data") or {}
    check(data.get("allergies") == "青霉素" and data.get("contact_name") == "向二",
          f"merged data: {data!r:.200}")


@case("status.resident_conflict")
def resident_conflict(world: World) -> None:
    """Both changed the same field: `conflict`; the first value kept; nothing else changed
    so `seq` is null and the version stays; `conflicts` is [{field, kept, yours}]. With
    another field applied too, the conflict carries the new version's seq."""
    a, b, rid = _two_devices(world, "conflict")
    push(a, a.op("resident", "update", rid, {"phone": "13900000001"}, 1))
    only, mixed = push(b, b.op("resident", "update", rid, {"phone": "13900000002"}, 1),
                       b.op("resident", "update", rid, {"phone": "13900000003",
                                                        "allergies": "磺胺"}, 1))
    expect(only, "conflict", "same field")
    check(only["seq"] is None and only["version"] == 2, f"conflict: {only!r:.200}")
    want = [{"field": "phone", "kept": "13900000001", "yours": "13900000002"}]
    check(only.get("conflicts") == want, f"conflicts: {only.get('conflicts')}")
    check((only.get("data") or {}).get("phone") == "13900000001", "conflict data")
    expect(mixed, "conflict", "same field and another")
    check(isinstance(mixed["seq"], int) and mixed["version"] == 3 and
          mixed["data"]["allergies"] == "磺胺", f"conflict with a change: {mixed!r:.200}")


@case("status.household_merged_and_conflict")
def household_merge(world: World) -> None:
    """Households merge field by field like residents."""
    a = world.device("hh-a")
    hid = str(uuid.uuid4())
    push(a, a.op("household", "create", hid, world.household_body()))
    b = world.device("hh-b")
    push(a, a.op("household", "update", hid, {"phone": "13900000001"}, 1))
    merged, conflict = push(b, b.op("household", "update", hid, {"toilet": "水冲式"}, 1),
                            b.op("household", "update", hid, {"phone": "13900000009"}, 1))
    expect(merged, "merged", "household edit of another field")
    check(merged["data"]["phone"] == "13900000001" and merged["data"]["toilet"] == "水冲式",
          f"merged household: {merged!r:.200}")
    expect(conflict, "conflict", "household edit of the same field")
    check(conflict["conflicts"][0]["field"] == "phone" and conflict["seq"] is None,
          f"household conflict: {conflict!r:.200}")


@case("status.resident_and_household_duplicate")
def people_duplicate(world: World) -> None:
    """A create re-sent for an existing id with identical content (a reinstalled phone),
    and an edit that changes nothing: `duplicate`, with the version and the entity."""
    device = world.phone
    rid = new_resident(world, device)
    resent, same = push(device, device.op("resident", "create", rid, world.resident_body()),
                        device.op("resident", "update", rid, {"phone": "13800000001"}, 1))
    for result in (resent, same):
        expect(result, "duplicate", "unchanged resident")
        check(result["version"] == 1 and result["data"]["id"] == rid, f"duplicate: {result!r:.200}")
    hh = push(device, device.op("household", "create", world.household, world.household_body()))[0]
    expect(hh, "duplicate", "household re-sent")


@case("status.rejected_with_field_errors")
def rejected(world: World) -> None:
    """Refused ops name the field and a code, for every entity and for the envelope; the
    rest of the batch is applied; a refused op stores nothing."""
    device = world.phone
    rid, hid, rec = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    good = str(uuid.uuid4())
    ops = [device.op("resident", "create", rid, world.resident_body(name="")),
           device.op("household", "create", hid, world.household_body(phone="not a phone")),
           device.op("record", "create", rec, world.follow_up(sbp=120, dbp=130)),
           device.op("record", "create", str(uuid.uuid4()), world.follow_up(kind="nope")),
           device.op("resident", "update", world.resident, {"allergies": "x"}, 99),
           device.op("record", "create", good, world.follow_up())]
    bad = dict(device.op("record", "patch", str(uuid.uuid4()), {}))
    results = push(device, *ops) + device.sync([bad])["results"]
    want = [("name", None), ("phone", None), ("dbp", "dbp_not_below_sbp"), ("kind", "choice"),
            ("base_version", "unknown_base")]
    for (field, code), result in zip(want, results, strict=False):
        expect(result, "rejected", field)
        found = codes(result, field)
        check(found and (code is None or code in found), f"{field}: {result!r:.200}")
    expect(results[5], "accepted", "the good op after the bad ones")
    expect(results[6], "rejected", "a bad envelope")
    check(codes(results[6], "action") and results[6]["op_id"] == bad["op_id"],
          f"bad envelope: {results[6]}")
    for path in (f"/api/residents/{rid}", f"/api/records/{rec}"):
        check(device.call("GET", path).status == 404, f"a rejected op stored {path}")
