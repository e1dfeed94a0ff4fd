"""The Flask sync server.

`create_app` is imported lazily so that `sync/` and scripts can import `core.models`
without pulling in Flask.
"""
from __future__ import annotations


def create_app(test_config=None):
    """Build the Flask application (see server.app.create_app)."""
    from server.app import create_app as _create_app

    return _create_app(test_config)
