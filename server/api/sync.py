"""POST /api/sync: the phone's one request for pushing and pulling (docs/sync-protocol.md)."""
from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, g, request

from core import jsontext
from core.clock import now_utc
from server.api.common import load
from server.auth.current import login_required, staff_required
from server.extensions import db
from server.problems import ApiError
from server.schemas.base import ApiSchema, Bool, Str
from sync import gz, review
from sync.engine import carries_changes, handle_sync

bp = Blueprint("sync", __name__, url_prefix="/api")

MAX_INFLATED = 32 * 1024 * 1024
GZIP_OVER = 1024


def _body() -> object:
    """The request body as JSON, inflating gzip (bounded, so a zip bomb is refused)."""
    raw = request.get_data(cache=False)
    if request.headers.get("Content-Encoding", "").lower() == "gzip":
        try:
            raw = gz.inflate(raw, MAX_INFLATED)
        except gz.TooLarge:
            raise ApiError(413, "payload_too_large") from None
        except gz.BadGzip:
            raise ApiError(400, "bad_request", {"_body": [{
                "code": "bad_gzip", "message": "压缩数据损坏"}]}) from None
    try:
        return jsontext.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "bad_request", {"_body": [{
            "code": "invalid_json", "message": "请求体应为 JSON"}]}) from None


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off for one sync exchange, back as it was afterwards.

    A 1,000-record push allocates a few hundred thousand short-lived objects (parsed ops,
    validated bodies, rows), all freed by reference counting when the request ends; the
    collector ran many times a push walking them to find a few objects in cycles
    (docs/benchmarks.md#push, ADR 0042); those are collected once it is back on. A
    request's size is bounded (MAX_CONTENT_LENGTH, MAX_INFLATED, 1,000 ops), and so is
    what can pile up meanwhile.
    With exchanges overlapping in threads (a threaded worker, the tests' two lanes), the
    first to pause it puts it back when it ends, so it never stays off."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@bp.post("/sync")
@login_required
def sync():
    """Push the outbox and pull a page of changes in one round trip."""
    received_at = now_utc()
    with cycle_collector_paused():
        text = handle_sync(db.session, g.user, g.get("device"), _body(), received_at)
    data = _utf8(text)
    response = Response(data, mimetype="application/json")
    if len(data) > GZIP_OVER and "gzip" in request.headers.get("Accept-Encoding", ""):
        # A page of changes is paid for by the byte on a rural link; acknowledgements
        # are small whatever the level, so they go fast (sync/gz.py).
        response.set_data(gz.compress(data, gz.SMALL if carries_changes(text) else gz.FAST))
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "no-store"
    return response


def _utf8(text: str) -> bytes:
    """The response's bytes. The push is committed by now, so a text that cannot be
    encoded (a lone surrogate some answer echoed) must not become a 500 that makes the
    phone re-send for ever: each such character becomes U+FFFD. The push's answers
    replace them themselves (sync.push); this is the backstop."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace").encode()


class ResolveSchema(ApiSchema):
    """Settle a conflict: keep the server's value, or take the device's."""

    use_device_value = Bool(required=True)
    note = Str(max_len=200)


@bp.get("/sync/conflicts")
@staff_required
def conflicts():
    """Open conflicts in the township, for review (?all=1 includes settled ones)."""
    open_only = request.args.get("all") != "1"
    return {"items": review.list_conflicts(db.session, g.user, open_only)}


@bp.post("/sync/conflicts/<int:conflict_id>/resolve")
@staff_required
def resolve_conflict(conflict_id: int):
    """Settle one conflict."""
    data = load(ResolveSchema())
    out = review.resolve(db.session, g.user, conflict_id, data["use_device_value"],
                         data.get("note", ""))
    db.session.commit()
    return out
