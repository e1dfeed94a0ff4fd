"""One sync exchange: apply the push, then serve a page of changes, in one request."""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from core.changelog import dumps
from core.clock import now_utc
from core.models import Device, User
from core.serialize import jsonable
from server.schemas.fast import loader
from sync import PROTOCOL_VERSION
from sync.entry_times import clock_skew
from sync.protocol import CLOCK_TOLERANCE_S, SyncRequest
from sync.pull import changes_since, reference_data, reference_version
from sync.push import apply_push

_REQUEST = loader(SyncRequest())


def handle_sync(session: Session, user: User, device: Device | None, body: Any,
                received_at: dt.datetime | None = None) -> str:
    """Validate `body`, apply its push (committed), pull a page, return the response JSON.

    Raises marshmallow.ValidationError when the request itself is malformed (nothing is
    applied then). Bad ops inside a good request are answered one by one as `rejected`.
    """
    received_at = received_at or now_utc()
    req = _REQUEST(body)
    skew = clock_skew(req.get("device_time"), received_at)
    # The new records' entry times, on the server's clock, go in with them (sync.entry_times).
    results = apply_push(session, user, device, req["push"], skew, received_at) \
        if req["push"] else []
    session.commit()

    # All this push logged (seqs counter_at_lock+1 to last_seq) is the device's own ops,
    # accepted as sent: nothing in that range is news to it.
    own_only = bool(results) and results.only_own_accepted and device is not None
    if req["pull_limit"] == 0:
        # Push only: a device sending several batches at once pulls afterwards, in order.
        # It learns which seqs its own are, so its pull can start after them
        # (docs/sync-protocol.md). Not from an empty log (a > 0): a pull from cursor 0
        # is a fresh copy, which does send a device's own changes.
        own = [results.counter_at_lock, results.last_seq] if own_only and \
            0 < results.counter_at_lock < results.last_seq else None
        return _response(req, results, skew, {"changes_json": [], "cursor": req["cursor"],
                                              "more": False, "reset": False,
                                              "fresh_copy": None},
                         req["reference_version"], None, own)
    if own_only and req["cursor"] == results.counter_at_lock and \
            not device.scope_reset_pending:
        # Up to date when the push began: nothing after its cursor is news to it.
        # (This ends a fresh copy too: its last page had reached the high-water mark.)
        # Unless its doctor was moved: changes_since then answers with the reset.
        page = {"changes_json": [], "cursor": results.last_seq, "more": False, "reset": False,
                "fresh_copy": None}
    else:
        page = changes_since(session, user, device.id if device else None, req["cursor"],
                             req["pull_limit"], req["fresh_copy"])
    reference = None
    ref = reference_data(session, user)
    version = reference_version(ref)
    if version != req["reference_version"] or req["cursor"] == 0 or page["reset"]:
        reference = ref
    session.commit()  # ends the read transaction; at most a scope-reset mark was cleared
    return _response(req, results, skew, page, version, reference)


def _response(req: dict, results: list, skew: int | None, page: dict, version: str,
              reference: dict | None, own_seqs: list[int] | None = None) -> str:
    head = {
        "protocol": PROTOCOL_VERSION,
        "server_time": jsonable(now_utc()),
        "clock_skew_s": skew,
        "clock_warning": skew is not None and abs(skew) > CLOCK_TOLERANCE_S,
        "results": results,
        "cursor": page["cursor"],
        "more": page["more"],
        "reset": page["reset"],
        "reference_version": version,
        "reference": reference,
    }
    if req["pull_limit"] == 0:
        head["own_seqs"] = own_seqs
    if page["fresh_copy"] is not None:
        # Only while a fresh copy has pages to come; the device sends it back with each.
        head["fresh_copy"] = page["fresh_copy"]
    # Stored change payloads are already JSON: splice them in rather than re-encode.
    text = dumps(head)
    return text[:-1] + ',"changes":[' + ",".join(page["changes_json"]) + "]}"


def carries_changes(response: str) -> bool:
    """Does a response `handle_sync` wrote hold any changes? (`_response` ends every one
    with its changes list.)"""
    return not response.endswith(',"changes":[]}')
