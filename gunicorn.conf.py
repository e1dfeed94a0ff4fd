"""gunicorn settings read from the repository root (Procfile, scripts/start.sh, bench/).

Command-line flags still win; this file only adds what flags cannot say.
"""
import gc


def post_worker_init(worker):
    """Once the app is loaded, move everything alive into the permanent generation: the
    app's long-lived objects (models, compiled statements, schemas) are then no longer
    walked by every garbage collection a request triggers. A 1,000-record push allocates
    enough to run several (docs/adr/0060-push-pipeline-after-session-4.md,
    docs/benchmarks.md#push)."""
    gc.freeze()


# Every request read whole by an asyncio loop before a thread runs the app, and every
# response sent from that loop: slow clients cost sockets, not workers (server/serving.py,
# docs/adr/0047-slow-clients.md). Threads per worker run the app; four let a quick request
# through while a slow export or a "recompute now" runs in the same worker.
worker_class = "server.serving.BufferedWSGIWorker"
threads = 4

# gunicorn 27's control socket is one path per user (~/.gunicorn/gunicorn.ctl): a second
# instance on the machine (tests, a bench beside a running server) would take it over.
# Nothing here uses it.
control_socket_disable = True


# The access log's atoms come from the client (the path is decoded: %0a is a newline), so
# control characters are written escaped: a URL cannot forge a line of the log.
from gunicorn.glogging import Logger  # noqa: E402


class EscapingLogger(Logger):
    """gunicorn's logger with every text atom's control characters escaped."""

    def atoms(self, resp, req, environ, request_time):
        """The usual atoms, each string with control characters as \\xNN."""
        return {k: _escape(v) if isinstance(v, str) else v
                for k, v in super().atoms(resp, req, environ, request_time).items()}


def _escape(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


logger_class = EscapingLogger
