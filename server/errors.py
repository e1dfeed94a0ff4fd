"""JSON error handlers: every API error leaves in the one shape of server.problems."""
from __future__ import annotations

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from server.problems import HTTP_CODES, ApiError, error_body, field_errors


def init_app(app: Flask) -> None:
    """Register one JSON handler per exception type."""

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
        return jsonify(error_body(status, HTTP_CODES.get(status, "bad_request"))), status

    @app.errorhandler(Exception)
    def _unexpected(e: Exception):
        # No request body or personal data in the log: only the exception type and path.
        app.logger.exception("unhandled %s on %s %s", type(e).__name__, request.method,
                             request.url_rule.rule if request.url_rule else "?")
        return jsonify(error_body(500, "internal_error")), 500
