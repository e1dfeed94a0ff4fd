"""Security headers and the content security policy, for every response.

Scripts run only from this server: `script-src 'self'` plus the hash of each inline
script the phone app's index.html carries (its import map), computed at start so the
policy can never drift from the file. Inline styles are allowed (server-rendered pages use
them; a style cannot run code). The camera (QR scanning) is allowed for this origin only.
"""
from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

from flask import Flask, Response, request

PWA_INDEX = Path(__file__).resolve().parent.parent / "pwa" / "index.html"
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S)


def inline_script_hashes(html: str) -> list[str]:
    """CSP source expressions for each inline <script> block of `html`."""
    return ["'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
            for body in _INLINE_SCRIPT.findall(html)]


def content_security_policy() -> str:
    """The policy: same-origin everything, no framing, no plugins."""
    hashes = inline_script_hashes(PWA_INDEX.read_text("utf-8")) if PWA_INDEX.exists() else []
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(hashes),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob: mediastream:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


# Headers that mean something only on a document (or a worker): a script, a style sheet or
# an image that a page loads is governed by that page's headers. Left off such files, they
# save ~550 bytes a response, ~40 KB of a phone's first install on 2G (docs/adr/0065).
DOCUMENT_ONLY = ("Content-Security-Policy", "X-Frame-Options", "Permissions-Policy",
                 "Cross-Origin-Opener-Policy")


def subresource(response: Response) -> Response:
    """Mark `response` as a file only a page loads (never a document or a worker): it goes
    without the DOCUMENT_ONLY headers. SVG is a document when opened alone: never mark it."""
    response.subresource = True
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response."""
    policy = content_security_policy()
    document_values = (policy, "DENY", "camera=(self), geolocation=(self), microphone=()",
                       "same-origin")

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "no-referrer")
        if not getattr(response, "subresource", False):
            for name, value in zip(DOCUMENT_ONLY, document_values, strict=True):
                headers.setdefault(name, value)
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.path.startswith("/api/"):
            # Personal data must not linger in shared caches or the browser's HTTP cache.
            headers.setdefault("Cache-Control", "no-store")
        return response
