"""Cross-site request forgery on the JSON API: what a write without a device token must carry.

A browser sends the session cookie with any request to this site, including a form or a
`fetch(..., {mode: "no-cors"})` that another site starts, as long as the request is a
"simple" one: a form's content types (`application/x-www-form-urlencoded`,
`multipart/form-data`, `text/plain`) and no custom header. So every state-changing `/api/`
request that does not carry a device's bearer token must

- declare its body JSON (`application/json`; the sync endpoint's gzip'd body is still
  `application/json` with `Content-Encoding: gzip`), or have no body at all; and
- carry the `X-Requested-With` header (any value; our clients send `cunyi`).

Either one makes the request "non-simple": a browser asks this server first (a CORS
preflight), and the server answers no CORS headers, so another site's page cannot send it.
Both are required, so that neither alone is load-bearing (docs/adr/0048). Bearer-token
requests are exempt: a browser never attaches one on its own. The login (anonymous) is
covered too, as a cross-site login would put the victim in the attacker's account.

The township pages are HTML forms with their own per-session token (server/township/web.py);
they are outside `/api/` and untouched here.
"""
from __future__ import annotations

from flask import Flask, request

from server.problems import ApiError

HEADER = "X-Requested-With"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JSON_TYPES = frozenset({"application/json"})


def _has_body() -> bool:
    """A body is announced by a length above zero or by chunked transfer encoding."""
    return bool(request.content_length) or "chunked" in request.headers.get(
        "Transfer-Encoding", "").lower()


def check_request() -> None:
    """Refuse a cookie-or-anonymous write to the API that a cross-site page could have sent."""
    if request.method in SAFE_METHODS or not request.path.startswith("/api/"):
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if (request.content_type or _has_body()) and request.mimetype not in JSON_TYPES:
        raise ApiError(415, "unsupported_media_type")
    if not request.headers.get(HEADER, "").strip():
        raise ApiError(403, "csrf_header_missing",
                       message=f"请求缺少 {HEADER} 头（跨站请求被拒绝）")


def init_app(app: Flask) -> None:
    """Check every request before any view (and before the caller is loaded)."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)
