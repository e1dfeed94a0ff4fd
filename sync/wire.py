"""The reference client's side of the wire: errors, the HTTP transport, JSON encoding.

Split from `sync.client` (which re-exports all of it): what travels and how, apart from
what the client keeps locally.
"""
from __future__ import annotations

import http.client
import json
import urllib.parse
from typing import Any, Protocol

try:  # faster when installed (it is with the server); the standard library otherwise
    import orjson

    def _loads(data: bytes | str) -> Any:
        return orjson.loads(data)

    def _store(value: Any) -> str:
        return orjson.dumps(value).decode()

    def _fragment(value: Any) -> Any:
        # An op's stored JSON text goes into the request as it is (orjson.Fragment).
        if type(value) is RawJSON:
            return orjson.Fragment(str(value))
        raise TypeError

    def _encode_fast(body: Any) -> bytes | None:
        try:
            return orjson.dumps(body, default=_fragment, option=orjson.OPT_PASSTHROUGH_SUBCLASS)
        except TypeError:  # anything else orjson would not write as `_dumps` does
            return None
except ImportError:  # pragma: no cover - the reference client on its own
    def _loads(data: bytes | str) -> Any:
        return json.loads(data)

    def _store(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def _encode_fast(body: Any) -> bytes | None:
        return None


class SyncError(Exception):
    """The exchange failed; nothing local was lost and it can be retried."""


class DeviceRevoked(SyncError):
    """The township revoked this device; the outbox is kept."""


class ServerRefused(SyncError):
    """The server answered with an error (the one error shape in `body`)."""

    def __init__(self, status: int, body: Any):
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


class Transport(Protocol):
    """Sends one POST and returns (status, headers, body bytes)."""

    def post(self, path: str, body: bytes, headers: dict[str, str]
             ) -> tuple[int, dict[str, str], bytes]: ...


class HttpTransport:
    """HTTP/1.1 over a plain connection, with a timeout and a cookie for the login."""

    def __init__(self, base_url: str, timeout: float = 60.0):
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.prefix = parsed.path.rstrip("/")
        self.timeout = timeout
        self.cookie: str | None = None
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path, body, headers):
        """POST with one retry on a stale kept-alive connection."""
        headers = dict(headers)
        if self.cookie:
            headers["Cookie"] = self.cookie
        for attempt in (0, 1):
            reused = self.conn is not None
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            try:
                self.conn.request("POST", self.prefix + path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as e:
                self.close()
                # A kept-alive connection the server has since closed fails at once: try
                # once more on a fresh one. Safe even if the request had arrived: every
                # request of the protocol is idempotent.
                if attempt == 1 or not reused or isinstance(e, TimeoutError):
                    raise SyncError(f"network: {type(e).__name__}: {e}") from e
        cookie = response.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def fork(self) -> HttpTransport:
        """Another connection to the same server, sharing the login cookie (a second lane
        for pushing batches side by side)."""
        other = HttpTransport.__new__(HttpTransport)
        other.host, other.port, other.prefix = self.host, self.port, self.prefix
        other.timeout, other.cookie, other.conn = self.timeout, self.cookie, None
        return other

    def close(self) -> None:
        """Drop the connection."""
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _dumps(value: Any) -> str:
    """Compact JSON with Chinese kept as is, as the server writes it."""
    return _store(value)


class RawJSON(str):
    """JSON text (an op's `data` as stored in the outbox), sent as it is, not re-encoded."""


def encode_request(body: Any) -> bytes:
    """The request's JSON as UTF-8: `_dumps(body)`, but `data` held as RawJSON is spliced
    in as it is. With orjson this is one call, several times cheaper than the splicing below
    (docs/benchmarks.md#push)."""
    fast = _encode_fast(body)
    if fast is not None:
        return fast
    ops = body.get("push") if isinstance(body, dict) else None
    if not ops or not any(isinstance(op.get("data"), RawJSON) for op in ops):
        return _dumps(body).encode()
    parts = []
    for op in ops:
        data = op["data"]
        if isinstance(data, RawJSON):
            rest = _dumps({k: v for k, v in op.items() if k != "data"})
            parts.append(rest[:-1] + (',"data":' if len(rest) > 2 else '"data":') + data + "}")
        else:
            parts.append(_dumps(op))
    head = _dumps({k: v for k, v in body.items() if k != "push"})
    return (head[:-1] + (',"push":[' if len(head) > 2 else '"push":[') + ",".join(parts)
            + "]}").encode()
