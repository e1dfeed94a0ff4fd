"""The conformance suite's own HTTP client: the standard library only, as a client author
outside the team would have it, so the suite checks the wire and not our reference client."""
from __future__ import annotations

import gzip
import http.client
import json
import urllib.parse
import uuid
from typing import Any

CSRF_HEADER = {"X-Requested-With": "cunyi"}  # what a cookie-authenticated write must carry


class Reply:
    """One HTTP answer: status, headers (lower-case names), raw body and its JSON."""

    def __init__(self, status: int, headers: dict[str, str], raw: bytes):
        self.status, self.headers, self.raw = status, headers, raw
        body = gzip.decompress(raw) if headers.get("content-encoding") == "gzip" else raw
        try:
            self.json: Any = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def error_codes(self, field: str) -> list[str]:
        """The codes the one error shape gives for `field` ([] when there are none)."""
        errors = (self.json or {}).get("errors") or {} if isinstance(self.json, dict) else {}
        entries = errors.get(field) or []
        return [e.get("code") if isinstance(e, dict) else str(e) for e in entries]

    def __repr__(self) -> str:
        text = json.dumps(self.json, ensure_ascii=False)
        return f"HTTP {self.status} {text[:300]}"


class Server:
    """A base URL; each request on a fresh connection (a conformance run is small)."""

    def __init__(self, base_url: str, timeout: float = 60.0):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url}")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout

    def send(self, method: str, path: str, body: bytes | None = None,
             headers: dict[str, str] | None = None) -> Reply:
        """One request with a raw body."""
        cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
        conn = cls(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, self.prefix + path, body=body, headers=headers or {})
            response = conn.getresponse()
            raw = response.read()
            cookies = response.msg.get_all("Set-Cookie") or []
            head = {k.lower(): v for k, v in response.getheaders()}
        finally:
            conn.close()
        reply = Reply(response.status, head, raw)
        reply.cookies = [c.split(";", 1)[0] for c in cookies]
        return reply


class Account:
    """A person logged in with a password (a cookie session), able to enrol devices."""

    def __init__(self, server: Server, username: str, password: str):
        self.server, self.username, self.password = server, username, password
        self.cookies: dict[str, str] = {}
        self.user: dict[str, Any] = {}

    def call(self, method: str, path: str, body: Any = None) -> Reply:
        """A JSON request with the session cookie and the API's CSRF header."""
        headers = dict(CSRF_HEADER)
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        reply = self.server.send(method, path, data, headers)
        for cookie in reply.cookies:
            name, _, value = cookie.partition("=")
            self.cookies[name] = value
        return reply

    def login(self) -> dict[str, Any]:
        """Log in; raise RuntimeError with the server's code when refused."""
        reply = self.call("POST", "/api/auth/login",
                          {"username": self.username, "password": self.password})
        if reply.status != 200:
            raise RuntimeError(f"login as {self.username!r} refused: {reply}")
        self.user = reply.json
        return self.user

    def enrol(self, label: str) -> Device:
        """Enrol a new device (the password typed again), as a phone does once."""
        reply = self.call("POST", "/api/devices", {"label": label, "password": self.password})
        if reply.status != 201:
            raise RuntimeError(f"enrolling a device for {self.username!r} refused: {reply}")
        return Device(self.server, reply.json["device_id"], reply.json["token"], self.user)


class Device:
    """An enrolled device: its bearer token, its op counter and its cursor."""

    def __init__(self, server: Server, device_id: str, token: str, user: dict[str, Any]):
        self.server, self.device_id, self.token, self.user = server, device_id, token, user
        self.counter = 0
        self.cursor = 0
        self.fresh_copy: int | None = None

    def call(self, method: str, path: str, body: Any = None) -> Reply:
        """A JSON request with the device's bearer token (REST reads and writes)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        return self.server.send(method, path, data, headers)

    def post_sync(self, body: Any, gzip_body: bool = False, accept_gzip: bool = False,
                  raw: bytes | None = None) -> Reply:
        """POST /api/sync with any body (or raw bytes), optionally gzip'd either way."""
        data = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        if gzip_body:
            data = gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        if accept_gzip:
            headers["Accept-Encoding"] = "gzip"
        return self.server.send("POST", "/api/sync", data, headers)

    def op(self, entity: str, action: str, entity_id: str, data: dict[str, Any],
           base_version: int = 0, op_id: str | None = None) -> dict[str, Any]:
        """A new op as a phone queues it (a fresh op_id, the next device_counter)."""
        self.counter += 1
        return {"op_id": op_id or str(uuid.uuid4()), "device_counter": self.counter,
                "entity": entity, "action": action, "id": entity_id,
                "base_version": base_version, "device_time": None, "data": data}

    def request(self, push: list[dict[str, Any]] | None = None, **over: Any) -> dict[str, Any]:
        """A request body from this device's cursor (fields overridable)."""
        body = {"protocol": 1, "device_time": None, "cursor": self.cursor,
                "reference_version": "", "pull_limit": 1000, "push": push or []}
        if self.fresh_copy is not None:
            body["fresh_copy"] = self.fresh_copy
        body.update(over)
        return body

    def sync(self, push: list[dict[str, Any]] | None = None, keep_cursor: bool = False,
             **over: Any) -> dict[str, Any]:
        """One exchange that must succeed (200); moves the cursor as a client would,
        unless `keep_cursor`. Returns the response."""
        reply = self.post_sync(self.request(push, **over))
        if reply.status != 200:
            raise AssertionError(f"sync refused: {reply}")
        response = reply.json
        if not keep_cursor and over.get("pull_limit") != 0:
            self.cursor = response["cursor"]
            self.fresh_copy = response.get("fresh_copy")
        return response

    def pull_all(self, limit: int = 1000, max_pages: int = 10000) -> list[dict[str, Any]]:
        """Page until `more` is false; returns every page's response."""
        pages = []
        while True:
            pages.append(self.sync(pull_limit=limit))
            if not pages[-1]["more"] or len(pages) >= max_pages:
                return pages
