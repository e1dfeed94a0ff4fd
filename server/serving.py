"""How gunicorn serves the Flask app: whole requests in, whole responses out (ADR 0047).

gunicorn's sync workers read a request's body while the worker waits, so two clients
sending a body a byte a second held both workers, and a phone on 2G reading a large
response held one for as long as the download took. Here gunicorn's asyncio worker
(`-k asgi`) reads every request, and `BufferedWSGI` hands the Flask app to a thread only
once the whole body is in hand, then sends the finished response from the event loop.
A slow client costs an open socket and a little memory, never a thread.

`gunicorn.conf.py` names `BufferedWSGIWorker`, so the start command and the Procfile
run `gunicorn ... 'server:create_app()'` unchanged; `--threads` sets the threads per
worker that run the app.

An asyncio worker accepts connections while its app thread is busy, and a kept-alive
connection stays with the worker that accepted it: a phone syncing on two connections
could have both in one process, one core working and the other idle. `WaitingAccept`
makes a busy worker let a moment pass before it takes a new connection, so that an idle
worker takes it (ADR 0061).
"""
from __future__ import annotations

import asyncio
import errno
import json
import socket
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote_to_bytes

from gunicorn.asgi.protocol import ASGIProtocol
from gunicorn.workers.gasgi import ASGIWorker

from server.problems import error_body

# A body may take its time (an 8 MB push at 2G speed takes four minutes), but it must keep
# coming: after GRACE_S seconds it must average MIN_RATE bytes a second, or it is answered
# 408 and the connection closed. gunicorn also gives up on a body after `timeout` seconds
# with no byte at all.
GRACE_S = 30.0
MIN_RATE = 500
SPOOL_BYTES = 1024 * 1024  # bodies larger than this wait in a temporary file, not in memory
# How long a worker with requests in its app threads waits, per such request, before it
# accepts a new connection (at most ACCEPT_WAIT_MAX_S): long enough for an idle worker's
# event loop to take it first, short beside any request.
ACCEPT_WAIT_S = 0.01
ACCEPT_WAIT_MAX_S = 0.05
TIMEOUT_MESSAGE = "请求发送太慢，已中断，请重试"

Headers = list[tuple[str, str]]


class BufferedWSGI:
    """An ASGI application that runs a WSGI application in a thread pool, with its whole
    request read and its whole response collected, so no thread waits on a client."""

    def __init__(self, app: Callable, threads: int = 4, max_body: int | None = None):
        self.app = app
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="wsgi")
        self.running = 0  # requests in the app threads now (read by WaitingAccept)
        # Flask's own limit: past it the app answers 413 without reading, so neither do we.
        self.max_body = max_body if max_body is not None else \
            getattr(app, "config", {}).get("MAX_CONTENT_LENGTH")

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            self.pool.shutdown(wait=False)
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return  # no websockets here: gunicorn closes the connection
        body = await self._read_body(scope, receive)
        if body is None:
            await self._send_timeout(send)
            return
        # The thread closes the body when the app is done with it: if the client goes away
        # meanwhile, this coroutine is cancelled but the app runs to its end.
        self.running += 1  # only the event loop's thread counts, so no lock is needed
        try:
            status, headers, chunks = await asyncio.get_running_loop().run_in_executor(
                self.pool, run_wsgi, self.app, wsgi_environ(scope, body))
        finally:
            self.running -= 1
        await send({"type": "http.response.start", "status": int(status.split(" ", 1)[0]),
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1"))
                                for k, v in headers]})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    async def _read_body(self, scope: dict, receive: Callable) -> Any:
        """The request body in a spooled file, rewound; None if the client sent it too slowly
        or went away. Reads no body the app would refuse for its size."""
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
        declared = header(scope, b"content-length")
        if self.max_body is not None and declared is not None and declared.isdigit() \
                and int(declared) > self.max_body:
            return body  # the app answers 413 from the header alone
        started, received = time.monotonic(), 0
        more = True
        while more:
            deadline = started + GRACE_S + received / MIN_RATE
            try:
                message = await asyncio.wait_for(receive(), deadline - time.monotonic())
            except TimeoutError:
                body.close()
                return None
            if message["type"] == "http.disconnect":
                body.close()
                return None
            chunk = message.get("body", b"")
            received += len(chunk)
            body.write(chunk)
            more = message.get("more_body", False)
            if self.max_body is not None and received > self.max_body:
                break  # a chunked body past the limit: the app sees more than it allows
        body.seek(0)
        return body

    @staticmethod
    async def _send_timeout(send: Callable) -> None:
        """408 in the API's one error shape; the connection closes (the body is unread)."""
        payload = json.dumps(error_body(408, "request_timeout", message=TIMEOUT_MESSAGE),
                             ensure_ascii=False).encode()
        try:
            await send({"type": "http.response.start", "status": 408,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(payload)).encode()),
                                    (b"connection", b"close")]})
            await send({"type": "http.response.body", "body": payload})
        except OSError:
            pass  # the client has gone: nobody to tell


def header(scope: dict, name: bytes) -> str | None:
    """One request header's value, or None."""
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def wsgi_environ(scope: dict, body: Any) -> dict:
    """The PEP 3333 environ of an ASGI HTTP scope, its body already read into `body`."""
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    path = unquote_to_bytes(raw_path.split(b"?", 1)[0]).decode("latin-1")
    root = scope.get("root_path", "")
    server = scope.get("server") or ("localhost", 80)
    client = scope.get("client") or ("", 0)
    environ = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root,
        "PATH_INFO": path[len(root):] if root and path.startswith(root) else path,
        "QUERY_STRING": scope.get("query_string", b"").decode("latin-1"),
        "SERVER_NAME": str(server[0]),
        "SERVER_PORT": str(server[1] or 80),
        "SERVER_PROTOCOL": "HTTP/" + scope.get("http_version", "1.1"),
        "REMOTE_ADDR": client[0],
        "REMOTE_PORT": str(client[1]),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": body,
        "wsgi.input_terminated": True,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    for key, value in scope["headers"]:
        name = key.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        if name == "CONTENT_TYPE" or name == "CONTENT_LENGTH":
            environ[name] = text
            continue
        name = "HTTP_" + name
        # Repeated headers join with commas, but cookies with "; " (RFC 6265, section 5.4).
        joiner = "; " if name == "HTTP_COOKIE" else ","
        environ[name] = environ[name] + joiner + text if name in environ else text
    return environ


def run_wsgi(app: Callable, environ: dict) -> tuple[str, Headers, list[bytes]]:
    """Call the WSGI app in this (pool) thread and collect its whole response; then close
    the request body."""
    started: list = []
    chunks: list[bytes] = []

    def start_response(status: str, headers: Headers, exc_info: Any = None) -> Callable:
        if exc_info and started:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return chunks.append  # the old write() callable: Flask never uses it

    try:
        result: Iterable[bytes] = app(environ, start_response)
        try:
            chunks.extend(chunk for chunk in result if chunk)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    finally:
        environ["wsgi.input"].close()
    return started[0], started[1], chunks


class WaitingAccept:
    """Accept connections on this worker's listening sockets, after a short wait when the
    worker has requests in its app threads (`busy()` of them): every worker is woken by
    a new connection, an idle one accepts at once, and a busy one finds it gone. When
    all are busy, the least busy accepts first. One connection per wake-up, so a burst
    is shared among the workers that are awake. Used by `BufferedWSGIWorker` in place of
    asyncio's own server, with the same protocol; its `close` and `wait_closed` are what
    gunicorn's shutdown calls."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sockets: list[socket.socket],
                 protocol_factory: Callable, busy: Callable[[], int], log: Any = None):
        self.loop, self.sockets = loop, sockets
        self.protocol_factory, self.busy, self.log = protocol_factory, busy, log
        self.closed = False
        self.tasks: set[asyncio.Task] = set()
        for sock in sockets:
            sock.setblocking(False)
            self._watch(sock)

    def _watch(self, sock: socket.socket) -> None:
        if not self.closed:
            self.loop.add_reader(sock.fileno(), self._ready, sock)

    def _ready(self, sock: socket.socket) -> None:
        busy = self.busy()
        if busy:
            self.loop.remove_reader(sock.fileno())
            self.loop.call_later(min(ACCEPT_WAIT_S * busy, ACCEPT_WAIT_MAX_S),
                                 self._after_wait, sock)
        elif not self._accept(sock):
            self.loop.remove_reader(sock.fileno())

    def _after_wait(self, sock: socket.socket) -> None:
        """Take the connection if no idle worker has (accept() finds it gone otherwise),
        then watch again."""
        if not self.closed and self._accept(sock):
            self._watch(sock)

    def _accept(self, sock: socket.socket) -> bool:
        """Accept one connection if one is waiting; False when accepting is paused."""
        try:
            conn, _addr = sock.accept()
        except (BlockingIOError, InterruptedError):
            return True  # another worker took it
        except OSError as e:
            if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                # Out of descriptors or memory: stop accepting for a second, as asyncio's
                # own server does, rather than spin.
                if self.log is not None:
                    self.log.error("accept failed: %s", e)
                self.loop.call_later(1.0, self._watch, sock)
                return False
            return True
        conn.setblocking(False)
        task = self.loop.create_task(
            self.loop.connect_accepted_socket(self.protocol_factory, conn))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return True

    def close(self) -> None:
        """Stop accepting (the sockets stay open: gunicorn closes them)."""
        if not self.closed:
            self.closed = True
            for sock in self.sockets:
                self.loop.remove_reader(sock.fileno())

    async def wait_closed(self) -> None:
        """Nothing to wait for once `close` has run."""


class BufferedWSGIWorker(ASGIWorker):
    """gunicorn's asyncio worker serving the WSGI app through `BufferedWSGI`."""

    @classmethod
    def check_config(cls, cfg, log) -> None:
        """Nothing to warn about: unlike the plain ASGI worker, this one uses `threads`."""

    def load_wsgi(self) -> None:
        """Load the app as gunicorn does, then put the buffering in front of it."""
        super().load_wsgi()
        self.asgi = BufferedWSGI(self.asgi, threads=max(1, self.cfg.threads))

    async def _serve(self) -> None:
        """gunicorn's serving loop, with connections accepted by `WaitingAccept` rather
        than by an asyncio server per socket (TLS, which this app leaves to the proxy in
        front, keeps gunicorn's own)."""
        if self.cfg.is_ssl:
            await super()._serve()
            return
        listeners, self.sockets = self.sockets, []
        app = self.asgi
        self.servers.append(WaitingAccept(
            self.loop, [s.sock for s in listeners], lambda: ASGIProtocol(self),
            lambda: app.running, self.log))
        try:
            await super()._serve()  # no sockets left to it: it only runs the heartbeat
        finally:
            self.sockets = listeners
