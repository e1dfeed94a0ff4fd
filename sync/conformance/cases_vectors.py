"""The golden vectors' conversation (sync/vectors/v1.json), replayed on a live server with
this run's ids: each answer must have the recorded shape, statuses and fields."""
from __future__ import annotations

import copy
import json
import pathlib
import uuid
from typing import Any

from sync.conformance.compare import like, same_keys
from sync.conformance.runner import Skip, World, case, check

VECTORS = pathlib.Path(__file__).resolve().parents[1] / "vectors" / "v1.json"


def _vectors(world: World) -> dict[str, Any]:
    """The vector cases by name, and the map from the vector's ids to this run's."""
    state = world.__dict__.setdefault("vectors", {})
    if not state:
        cases = json.loads(VECTORS.read_text(encoding="utf-8"))["cases"]
        first = cases[0]["response"]
        by_entity = {c["entity"]: c for c in first["changes"]}
        ids = {by_entity["household"]["id"]: world.household,
               by_entity["resident"]["id"]: world.resident,
               str(first["reference"]["villages"][0]["id"]): world.village}
        for c in cases:  # every op and record id the vector made gets a fresh one
            for op in c["request"]["push"]:
                ids.setdefault(op["op_id"], str(uuid.uuid4()))
                ids.setdefault(op["id"], str(uuid.uuid4()))
        state.update(cases={c["name"]: c for c in cases}, ids=ids, done=set())
    return state


def _request(world: World, name: str, device) -> dict[str, Any]:
    """The vector's request with this run's ids and the device's cursor."""
    state = _vectors(world)
    body = copy.deepcopy(state["cases"][name]["request"])
    text = json.dumps(body)
    for old, new in state["ids"].items():
        if isinstance(new, str):
            text = text.replace(old, new)
    body = json.loads(text)
    for op in body["push"]:
        for key in ("resident_id", "household_id"):
            if key in op["data"]:
                op["data"][key] = state["ids"].get(op["data"][key], op["data"][key])
    body["cursor"] = device.cursor
    return body


def _after(world: World, name: str) -> None:
    if name not in _vectors(world)["done"]:
        raise Skip(f"needs the vector case {name!r} to pass first")


def _results_like(world: World, name: str, response: dict[str, Any]) -> None:
    state = _vectors(world)
    expected = state["cases"][name]["response"]
    same_keys(expected, response, f"{name}: response")
    like(expected["results"], response["results"], state["ids"], f"{name}: results")
    check(response["reset"] is False, f"{name}: reset")


@case("vectors.fresh_device_initial_pull")
def initial_pull(world: World) -> None:
    """Cursor 0: reference data, and this run's household and resident among the changes."""
    state = _vectors(world)
    expected = state["cases"]["fresh_device_initial_pull"]["response"]
    device = world.device("vectors", synced=False)
    state["device"] = device
    pages = device.pull_all()
    first = pages[0]
    same_keys(expected, first, "first page")
    check(first["results"] == [] and first["reset"] is False, f"first page: {first!r:.200}")
    same_keys(expected["reference"], first["reference"] or {}, "reference")
    check(first["reference"]["user"]["id"] == world.user.user["id"], "reference.user is the caller")
    mine = {}
    for page in pages:
        for change in page["changes"]:
            if change["id"] in (world.household, world.resident):
                mine[change["entity"]] = change
    for want in expected["changes"]:
        got = mine.get(want["entity"])
        check(got is not None, f"the run's {want['entity']} is not in the initial pull")
        like(want, got, state["ids"], f"initial pull, {want['entity']}")
    state["reference_version"] = first["reference_version"]
    state["done"].add("fresh_device_initial_pull")


@case("vectors.push_accepted_rejected_and_edit")
def accepted_rejected_edit(world: World) -> None:
    """A follow-up accepted (version and seq, no data), one rejected on `dbp`, a resident
    field edited (accepted, the whole resident in `data`)."""
    _after(world, "fresh_device_initial_pull")
    state = _vectors(world)
    device = state["device"]
    body = _request(world, "push_accepted_rejected_and_edit", device)
    state["edit_request"] = body
    response = device.sync(**body)
    _results_like(world, "push_accepted_rejected_and_edit", response)
    check(response["changes"] == [],
          f"own accepted changes came back: {response['changes']!r:.200}")
    state["edit_results"] = response["results"]
    state["done"].add("push_accepted_rejected_and_edit")


@case("vectors.replayed_push_same_results")
def replayed(world: World) -> None:
    """The same request again (a lost response): the same results, nothing applied twice."""
    _after(world, "push_accepted_rejected_and_edit")
    state = _vectors(world)
    response = state["device"].sync(**state["edit_request"])
    check(response["results"] == state["edit_results"],
          f"a replay answered differently: {response['results']!r:.300}")
    record = state["device"].call("GET", f"/api/records/{state['edit_results'][0]['id']}")
    check(record.status == 200 and record.json["version"] == 1,
          f"the replayed record is not at version 1: {record}")
    state["done"].add("replayed_push_same_results")


@case("vectors.idle_sync")
def idle(world: World) -> None:
    """Nothing either way: no results, no changes of this run, `more` false."""
    _after(world, "replayed_push_same_results")
    state = _vectors(world)
    device = state["device"]
    before = device.cursor
    response = device.sync(**_request(world, "idle_sync", device))
    _results_like(world, "idle_sync", response)
    ours = [c for c in response["changes"] if c["id"] in (world.household, world.resident)]
    check(ours == [] and response["more"] is False and response["cursor"] >= before,
          f"idle sync: {response!r:.300}")
    state["done"].add("idle_sync")


@case("vectors.conflict_on_the_same_field", needs=("staff",))
def conflict(world: World) -> None:
    """Township staff changed the phone; the device's edit of it on the older version is a
    `conflict` (seq null, the staff's value kept, the device's in `conflicts`); the
    staff's version comes down as a change; the review list holds it."""
    _after(world, "idle_sync")
    staff = world.account("staff")
    state = _vectors(world)
    device = state["device"]
    patched = staff.call("PATCH", f"/api/residents/{world.resident}",
                         {"version": 2, "phone": "13700000002"})
    check(patched.status == 200, f"staff could not edit the run's resident: {patched}")
    body = _request(world, "conflict_on_the_same_field", device)
    response = device.sync(**body)
    _results_like(world, "conflict_on_the_same_field", response)
    ours = [c for c in response["changes"] if c["id"] == world.resident]
    expected = state["cases"]["conflict_on_the_same_field"]["response"]["changes"]
    check(len(ours) == 1, f"the staff's version did not come down: {response['changes']!r:.200}")
    like(expected[0], ours[0], state["ids"], "conflict: change")
    listed = staff.call("GET", "/api/sync/conflicts")
    check(listed.status == 200, f"GET /api/sync/conflicts: {listed}")
    op_id = body["push"][0]["op_id"]
    entries = [c for c in listed.json["items"] if c["entity_id"] == world.resident
               and c["field"] == "phone" and c["device_value"] == "13900000003"]
    check(entries, "the conflict is not in GET /api/sync/conflicts")
    entry = entries[0]
    check(entry["kept"] == "13700000002" and entry["device_id"] == device.device_id and
          entry["base_version"] == 2, f"conflict entry: {entry}")
    check(entry.get("op_id") == op_id and entry.get("seq") is None,
          f"the conflict entry does not name its op {op_id} (and seq null): {entry}")
    state["done"].add("conflict_on_the_same_field")


@case("vectors.push_only")
def push_only(world: World) -> None:
    """`pull_limit: 0`: results, no changes, the request's cursor, and `own_seqs` naming
    the one seq the push logged."""
    _after(world, "fresh_device_initial_pull")
    state = _vectors(world)
    device = state["device"]
    body = _request(world, "push_only", device)
    response = device.sync(**body)
    _results_like(world, "push_only", response)
    check(response["changes"] == [] and response["cursor"] == body["cursor"] and
          response["more"] is False and response["reference"] is None,
          f"push-only page: {response!r:.300}")
    seq = response["results"][0]["seq"]
    check(response["own_seqs"] == [seq - 1, seq],
          f"own_seqs {response['own_seqs']} for the one seq {seq} the push logged")
