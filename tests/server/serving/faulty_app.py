"""The app as gunicorn serves it, with one fault put in for a log test: registering a
resident skips the ID number check and the unique-key guard, so a taken ID number fails
inside the database (a 500 whose exception, unhidden, would carry the person's data).
Used by tests/server/serving/test_started_logs.py as `faulty_app:create_app()`."""
from __future__ import annotations

from server import create_app as _create_app
from server.services import people


def create_app():
    """`server.create_app()` with the fault."""
    people._check_national_id_free = lambda *args, **kwargs: None
    people._flush_unique = lambda session: session.flush()
    return _create_app()
