"""server/serving.py: the whole request read before the app runs, the whole response sent after.

In-process, with the ASGI side played by the test: what the app sees of a request, the 408
for a body sent too slowly (but not for a slow steady one), and the 413 the app gives for an
announced body over its limit without the body being read.
"""
from __future__ import annotations

import asyncio
import json
import threading

import pytest

from server import serving
from server.serving import BufferedWSGI


def scope(path: str = "/a%20b/%E6%9D%91", query: bytes = b"x=1", headers=(), method="POST"):
    """An ASGI HTTP scope as gunicorn's asyncio worker builds it."""
    return {"type": "http", "method": method, "path": path, "raw_path": path.encode(),
            "query_string": query, "root_path": "", "scheme": "http", "http_version": "1.1",
            "headers": [(k.encode(), v.encode()) for k, v in headers],
            "server": ("127.0.0.1", 8000), "client": ("127.0.0.2", 50000)}


def serve(app, the_scope, chunks, gap: float = 0.0):
    """Run one request through BufferedWSGI: chunks of body arriving `gap` seconds apart.
    Returns (status, headers, body) as sent."""
    sent = []

    async def receive():
        if not chunks:
            await asyncio.sleep(3600)  # a client that never finishes
        await asyncio.sleep(gap)
        chunk = chunks.pop(0)
        return {"type": "http.request", "body": chunk, "more_body": bool(chunks)}

    async def send(message):
        sent.append(message)

    # In a thread of its own: a browser test earlier in the run (Playwright's sync API)
    # may leave an event loop running in the main thread, where asyncio.run refuses.
    failure = []

    def run():
        try:
            asyncio.run(app(the_scope, receive, send))
        except BaseException as e:  # re-raised in the test's thread
            failure.append(e)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    start = sent[0]
    return (start["status"], dict(start["headers"]),
            b"".join(m.get("body", b"") for m in sent[1:]))


def echo_app(environ, start_response):
    """A WSGI app answering with what it was given."""
    body = environ["wsgi.input"].read()
    seen = {k: environ.get(k) for k in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING",
                                        "CONTENT_LENGTH", "HTTP_X_REQUESTED_WITH",
                                        "HTTP_COOKIE", "HTTP_ACCEPT", "REMOTE_ADDR")}
    seen["body"] = body.decode()
    start_response("201 Created", [("Content-Type", "application/json")])
    return [json.dumps(seen).encode()]


def test_the_app_sees_the_request_as_a_wsgi_server_gives_it():
    """PATH_INFO is the percent-decoded path in latin-1 (PEP 3333), headers as HTTP_*
    (repeated ones joined, cookies with "; "), and the body is all there although it came
    in pieces."""
    status, headers, body = serve(
        BufferedWSGI(echo_app, threads=1),
        scope(headers=[("content-length", "6"), ("x-requested-with", "cunyi"),
                       ("cookie", "a=1"), ("cookie", "b=2"), ("accept", "text/html"),
                       ("accept", "*/*")]),
        [b"ab", b"cd", b"ef"])
    assert status == 201 and headers[b"content-type"] == b"application/json"
    seen = json.loads(body)
    assert seen["PATH_INFO"].encode("latin-1").decode("utf-8") == "/a b/村"
    assert seen["QUERY_STRING"] == "x=1" and seen["CONTENT_LENGTH"] == "6"
    assert seen["HTTP_X_REQUESTED_WITH"] == "cunyi" and seen["REMOTE_ADDR"] == "127.0.0.2"
    assert seen["HTTP_COOKIE"] == "a=1; b=2" and seen["HTTP_ACCEPT"] == "text/html,*/*"
    assert seen["body"] == "abcdef"


def test_a_body_sent_too_slowly_gets_408_in_the_error_shape(monkeypatch):
    """Past the grace period a body must average MIN_RATE bytes a second; the app never
    runs for one that does not."""
    monkeypatch.setattr(serving, "GRACE_S", 0.2)
    monkeypatch.setattr(serving, "MIN_RATE", 100)
    called = []

    def app(environ, start_response):
        called.append(True)
        return echo_app(environ, start_response)

    status, headers, body = serve(BufferedWSGI(app, threads=1),
                                  scope(headers=[("content-length", "4096")]),
                                  [b"{", b" ", b" ", b" "], gap=0.1)
    assert status == 408 and headers[b"connection"] == b"close"
    assert json.loads(body)["code"] == "request_timeout"
    assert json.loads(body)["status"] == 408
    assert not called


def test_a_slow_steady_body_is_not_cut_off(monkeypatch):
    """A body slower than its grace period but above the minimum rate is served whole: a
    phone on 2G is slow, not stalled."""
    monkeypatch.setattr(serving, "GRACE_S", 0.2)
    monkeypatch.setattr(serving, "MIN_RATE", 100)
    pieces = [b"x" * 50] * 8  # 400 bytes over ~0.4 s: 1,000 bytes a second
    status, _, body = serve(BufferedWSGI(echo_app, threads=1),
                            scope(headers=[("content-length", "400")]), pieces, gap=0.05)
    assert status == 201 and json.loads(body)["body"] == "x" * 400


@pytest.mark.parametrize(("path", "status", "code"), [
    ("/api/auth/login", 413, "payload_too_large"),
    ("/api/sync", 401, "unauthorized"),  # who asks is checked before the size
])
def test_an_announced_body_over_the_limit_is_refused_unread(app, path, status, code):
    """The app's own answer (413, in the one error shape) from the Content-Length alone:
    not a byte of an over-large body is waited for."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    got, _, body = serve(BufferedWSGI(app, threads=1),
                         scope(path=path, query=b"", headers=[
                                ("content-length", str(limit + 1)),
                                ("content-type", "application/json"),
                                ("x-requested-with", "cunyi")]),
                         [])  # receive() would wait for ever
    assert got == status
    assert json.loads(body)["code"] == code
