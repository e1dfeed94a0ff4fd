"""The Python reference client: a local SQLite store with an outbox, speaking protocol 1.

Tests, the load test and the benchmark use it; a township can also import records from
another system with it. It behaves as the phone app must: an op leaves the outbox only
after the server acknowledged it, a rejected op stays with its reason, and local state is
changed in one local transaction per server response.

    client = SyncClient("/tmp/phone.sqlite", HttpTransport("http://127.0.0.1:8000"))
    client.enrol("doctor01", "demo1234", label="测试机")
    rid = client.create("record", {"kind": "hypertension_followup", ...})
    client.sync()

The parts: the local store and outbox (sync.client_store), storing the server's responses
(sync.client_apply), the side-by-side pushes of a backlog (sync.client_lanes); this module
makes the requests and runs the sync loop.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sync import gz
from sync.client_apply import ResponseStore
from sync.client_lanes import push_side_by_side
from sync.client_store import now_iso
from sync.wire import (  # noqa: F401  (re-exported: the client's public names)
    DeviceRevoked,
    HttpTransport,
    RawJSON,
    ServerRefused,
    SyncError,
    Transport,
    _dumps,
    _loads,
    _store,
    encode_request,
)

PROTOCOL_VERSION = 1
PUSH_BATCH = 1000  # the protocol's maximum: fewer round trips for a backlog (bench/sync_bench.py)
PULL_LIMIT = 2000
LANES = 2  # batches of new records in flight at once, when the transport can fork


class SyncClient(ResponseStore):
    """A device: local store, outbox, and the sync loop."""

    def __init__(self, path: str, transport: Transport,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        super().__init__(path, clock)
        self.transport = transport
        self.last_response: dict[str, Any] | None = None

    # -- enrolment ----------------------------------------------------------------

    def enrol(self, username: str, password: str, label: str = "") -> dict[str, Any]:
        """Log in once online and enrol: keeps the device id and token."""
        self._post_json("/api/auth/login", {"username": username, "password": password})
        device = self._post_json("/api/devices", {"label": label, "password": password})
        self.db.execute("BEGIN")
        self._set_meta("device_id", device["device_id"])
        self._set_meta("token", device["token"])
        self.db.execute("COMMIT")
        return device

    def adopt_token(self, device_id: str, token: str) -> None:
        """Use an existing enrolment (a reinstalled app handed its old token)."""
        self.db.execute("BEGIN")
        self._set_meta("device_id", device_id)
        self._set_meta("token", token)
        self.db.execute("COMMIT")

    # -- the exchange ---------------------------------------------------------------------

    def sync(self, max_rounds: int = 1000) -> dict[str, int]:
        """Push everything pending and pull until up to date. Returns counts."""
        stats = {"requests": 0, "pushed": 0, "pulled": 0, "rejected": 0}
        for _ in range(max_rounds):
            if self._lanes() > 1:
                self._push_records_side_by_side(stats)
            ops = self._next_ops()
            response = self.exchange(ops)
            self._count(stats, ops, response)
            if response["reset"]:
                continue
            if not response["more"] and not self._has_pending():
                return stats
        raise SyncError("sync did not finish")

    @staticmethod
    def _count(stats: dict[str, int], ops: list, response: dict[str, Any]) -> None:
        stats["requests"] += 1
        stats["pushed"] += len(ops)
        stats["pulled"] += len(response["changes"])
        stats["rejected"] += sum(r["status"] == "rejected" for r in response["results"])

    def _lanes(self) -> int:
        return LANES if hasattr(self.transport, "fork") else 1

    def _next_ops(self, after: int = 0, creates_only: bool = False) -> list[dict[str, Any]]:
        """The next batch (PUSH_BATCH) of pending ops after outbox counter `after`
        (`_outbox_batch`)."""
        return self._outbox_batch(after, creates_only, PUSH_BATCH)

    def _push_records_side_by_side(self, stats: dict[str, int]) -> None:
        """Push the run of new records at the head of the outbox in LANES batches at once
        (sync.client_lanes)."""
        push_side_by_side(self, stats, PUSH_BATCH, self._lanes())

    def build_request(self, ops: list[dict[str, Any]], pull_limit: int | None = None
                      ) -> dict[str, Any]:
        """The request body for pushing `ops` from the current local state."""
        body = {"protocol": PROTOCOL_VERSION, "device_time": now_iso(self.clock),
                "cursor": self.cursor, "reference_version": self._meta("reference_version", ""),
                "pull_limit": PULL_LIMIT if pull_limit is None else pull_limit, "push": ops}
        fresh = self.fresh_copy
        if fresh is not None:
            body["fresh_copy"] = fresh
        return body

    def exchange(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        """One request: push `ops`, apply the response locally in one transaction."""
        response = self._post_json("/api/sync", self.build_request(ops), auth=True, gzip_body=True)
        self.apply_response(response)
        return response

    # -- transport --------------------------------------------------------------------------

    def _post_json(self, path: str, body: Any, auth: bool = False,
                   gzip_body: bool = False) -> Any:
        return self._decode(*self.transport.post(path, *self._encode(body, auth, gzip_body)))

    def _encode(self, body: Any, auth: bool = False, gzip_body: bool = False
                ) -> tuple[bytes, dict[str, str]]:
        raw = encode_request(body)
        # X-Requested-With: the server's CSRF rule for cookie-authenticated writes (ADR 0048).
        headers = {"Content-Type": "application/json", "Accept-Encoding": "gzip",
                   "X-Requested-With": "cunyi"}
        if gzip_body:
            raw = gz.compress(raw, gz.FAST)  # ISA-L when installed: docs/adr/0041
            headers["Content-Encoding"] = "gzip"
        if auth:
            headers["Authorization"] = f"Bearer {self._meta('token')}"
        return raw, headers

    @staticmethod
    def _decode(status: int, response_headers: dict[str, str], data: bytes) -> Any:
        try:
            if response_headers.get("content-encoding") == "gzip":
                data = gz.decompress(data)
            parsed = _loads(data) if data else None
        except (ValueError, EOFError, OSError):  # cut short on the way (zlib/gzip/json)
            raise SyncError(f"unreadable response ({status})") from None
        if status < 400 and not isinstance(parsed, dict):
            # A proxy or a cut link answered with nothing usable: retry later, store nothing.
            raise SyncError(f"empty or unexpected response ({status})")
        if status == 401 and isinstance(parsed, dict) and parsed.get("code") == "device_revoked":
            raise DeviceRevoked(parsed.get("message", "device revoked"))
        if status >= 400:
            raise ServerRefused(status, parsed)
        return parsed
