"""JSON error handlers: every API error leaves in the one shape of server.problems.

Also where request JSON is read (`ApiJSONProvider`) and exceptions are logged
(`server.logsafe`): a body no parser can read safely is a 400, never a 500, and a 500
logs no personal data (docs/adr/0046-no-500s-and-no-personal-data-in-logs.md).
"""
from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from core import jsontext
from server import logsafe
from server.problems import HTTP_CODES, ApiError, error_body, field_errors


class ApiJSONProvider(DefaultJSONProvider):
    """Flask's JSON, reading request bodies as the sync endpoint does (`core.jsontext`):
    a body nested too deep is a ValueError (so `request.get_json` answers 400, not a
    RecursionError's 500), and a lone surrogate is marked for the schemas to refuse."""

    ensure_ascii = False  # Chinese stays readable (and shorter) on the wire

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse a request body (Flask passes no options of its own here)."""
        return jsontext.loads(s)


def init_app(app: Flask) -> None:
    """Register one JSON handler per exception type, and the JSON reader."""
    app.json = ApiJSONProvider(app)

    def log_exception(exc_info) -> None:
        # Flask's own report of an exception no handler took (one raised by a handler):
        # the same, without the exception's text. (app.logger is not touched before a
        # request: alembic's fileConfig would disable a logger that exists when it runs.)
        app.logger.error("Exception on %s [%s]\n%s", request.path, request.method,
                         logsafe.describe(exc_info[1]))

    app.log_exception = log_exception  # type: ignore[method-assign]

    @app.errorhandler(ApiError)
    def _api_error(e: ApiError):
        return jsonify(error_body(e.status, e.code, e.errors, e.message)), e.status

    @app.errorhandler(ValidationError)
    def _validation_error(e: ValidationError):
        body = error_body(422, "validation_failed", field_errors(e.messages))
        return jsonify(body), 422

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException):
        status = e.code or 500
        if not request.path.startswith("/api/"):
            return e
        code = HTTP_CODES.get(status, "internal_error" if status >= 500 else "bad_request")
        return jsonify(error_body(status, code)), status

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        # No request body or personal data in the log: the path's rule, the method, and
        # the exception without its text (server.logsafe).
        app.logger.error("unhandled %s on %s %s\n%s", type(e).__name__, request.method,
                         request.url_rule.rule if request.url_rule else "?",
                         logsafe.describe(e))
        return jsonify(error_body(500, "internal_error")), 500
