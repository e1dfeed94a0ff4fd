"""Request-level answers: the 422s (nothing of the request applied), gzip both ways,
unreadable bodies, canonical op_ids, the clock report, authentication."""
from __future__ import annotations

import datetime as dt
import gzip
import json
import uuid
from typing import Any

from sync.conformance.api import Device, Reply
from sync.conformance.cases_status import expect
from sync.conformance.runner import World, case, check


def _refused(world: World, reply: Reply, status: int, field: str, code: str | None,
             what: str, record: str | None = None) -> None:
    """`reply` is the one error shape with `status` and an error at `field`; the record
    the request would have made does not exist."""
    body = reply.json if isinstance(reply.json, dict) else {}
    check(reply.status == status and {"code", "status", "message", "errors"} <= body.keys(),
          f"{what}: expected {status} in the error shape, got {reply}")
    found = reply.error_codes(field)
    check(found and (code is None or code in found), f"{what}: errors.{field} missing: {reply}")
    if record:
        check(world.phone.call("GET", f"/api/records/{record}").status == 404,
              f"{what}: the refused request's op was applied")


def _with_op(world: World, **over: Any) -> tuple[dict[str, Any], str]:
    """A request from the main device carrying one valid new record, with `over` applied."""
    rid = str(uuid.uuid4())
    device = world.phone
    body = device.request([device.op("record", "create", rid, world.follow_up())])
    body.update(over)
    return body, rid


@case("request.422_errors")
def request_errors(world: World) -> None:
    """A request that is not well-formed is refused whole with 422, the error keyed by the
    field; nothing of its push is applied."""
    device = world.phone
    bad: list[tuple[str, dict[str, Any], str, str | None]] = []
    body, rid = _with_op(world)
    body["push"] = body["push"] + [{}] * 1000
    bad.append(("1,001 ops", body, "push", "length"))
    for value, code in ((5001, "range"), (-1, "range"), ("all", "type")):
        bad.append((f"pull_limit {value!r}", _with_op(world, pull_limit=value)[0],
                    "pull_limit", code))
    bad.append(("protocol 2", _with_op(world, protocol=2)[0], "protocol", "range"))
    bad.append(("an unknown key", _with_op(world, colour="red")[0], "colour", "unknown_field"))
    for value in ("yesterday", "2026-13-01T00:00:00Z", 17):
        bad.append((f"device_time {value!r}", _with_op(world, device_time=value)[0],
                    "device_time", "type"))
    bad.append(("cursor missing", {k: v for k, v in _with_op(world)[0].items()
                                   if k != "cursor"}, "cursor", "required"))
    bad.append(("fresh_copy 'x'", _with_op(world, fresh_copy="x")[0], "fresh_copy", "type"))
    for what, body, field, code in bad:
        record = body["push"][0]["id"] if body.get("push") else None
        _refused(world, device.post_sync(body), 422, field, code, what, record)


@case("request.unreadable_bodies")
def unreadable(world: World) -> None:
    """Not JSON: 400 `invalid_json`; damaged gzip: 400 `bad_gzip`. Nothing applied."""
    device = world.phone
    body, rid = _with_op(world)
    data = json.dumps(body).encode()
    _refused(world, device.post_sync(None, raw=data[:-5]), 400, "_body", "invalid_json",
             "cut JSON", rid)
    broken = gzip.compress(data)[:-12]
    reply = device.server.send("POST", "/api/sync", broken, {
        "Authorization": f"Bearer {device.token}", "Content-Type": "application/json",
        "Content-Encoding": "gzip"})
    _refused(world, reply, 400, "_body", "bad_gzip", "cut gzip", rid)


@case("request.gzip_both_ways")
def gzip_both_ways(world: World) -> None:
    """A gzip'd request is read; a response over 1 KiB is gzip'd when asked for, a small
    one is not."""
    device = world.device("gzip", synced=False)
    body, rid = _with_op(world)
    body["cursor"] = 0
    reply = device.post_sync(body, gzip_body=True, accept_gzip=True)
    check(reply.status == 200, f"gzip'd request: {reply}")
    check(reply.headers.get("content-encoding") == "gzip" and reply.raw[:2] == b"\x1f\x8b",
          "a fresh copy's first page (over 1 KiB) was not gzip'd though asked")
    expect(reply.json["results"][0], "accepted", "op in a gzip'd request")
    device.cursor = reply.json["cursor"]
    device.pull_all()
    small = device.post_sync(device.request(), accept_gzip=True)
    check(small.status == 200 and len(small.raw) < 1024 and
          "content-encoding" not in small.headers, f"a small response: {small.headers}")


@case("request.op_ids_canonicalised")
def canonical(world: World) -> None:
    """An op_id (and id) in another spelling of the same UUID comes back in the canonical
    form (lower case, hyphens), and is the same op: re-sent canonically, the same answer."""
    device = world.phone
    op_id, rid = uuid.uuid4(), uuid.uuid4()
    op = device.op("record", "create", str(rid).upper(), world.follow_up(),
                   op_id=op_id.hex.upper())
    first = device.sync([op])["results"][0]
    check(first["op_id"] == str(op_id) and first["id"] == str(rid), f"not canonical: {first}")
    expect(first, "accepted", "an op with an upper-case op_id")
    again = device.sync([{**op, "op_id": str(op_id), "id": str(rid)}])["results"][0]
    check(again == first, f"the canonical spelling got another answer: {again}")


@case("request.clock_report")
def clock(world: World) -> None:
    """`clock_skew_s` is device_time minus server time; over 300 s either way warns."""
    device = world.phone
    ahead = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    response = device.sync(device_time=ahead)
    check(540 <= response["clock_skew_s"] <= 660 and response["clock_warning"] is True,
          f"10 minutes ahead: skew {response['clock_skew_s']}, warning {response['clock_warning']}")
    response = device.sync()
    check(response["clock_skew_s"] is None and response["clock_warning"] is False,
          "no device_time: no skew")


@case("request.authentication")
def authentication(world: World) -> None:
    """No token, or a made-up one: 401 in the error shape, nothing applied."""
    body, rid = _with_op(world)
    fake = Device(world.server, "x", "not-a-token", {})
    for what, reply in (("no token", world.server.send("POST", "/api/sync", json.dumps(
            body).encode(), {"Content-Type": "application/json", "X-Requested-With": "cunyi"})),
            ("a made-up token", fake.post_sync(body))):
        check(reply.status == 401 and isinstance(reply.json, dict) and "code" in reply.json,
              f"{what}: {reply}")
    check(world.phone.call("GET", f"/api/records/{rid}").status == 404, "applied without login")


@case("request.revoked_device", needs=("admin",))
def revoked(world: World) -> None:
    """A device the admin revoked gets 401 `device_revoked`, its push not applied."""
    admin = world.account("admin")
    device = world.device("revoked", synced=False)
    reply = admin.call("POST", f"/api/devices/{device.device_id}/revoke")
    check(reply.status == 200, f"the admin could not revoke a device: {reply}")
    body, rid = _with_op(world)
    reply = device.post_sync(body)
    check(reply.status == 401 and reply.json.get("code") == "device_revoked", f"revoked: {reply}")
    check(world.phone.call("GET", f"/api/records/{rid}").status == 404, "a revoked device's op")
