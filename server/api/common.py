"""Small helpers shared by the API views: body loading and paging."""
from __future__ import annotations

from flask import request
from marshmallow import Schema

from server.problems import ApiError


def json_body() -> object:
    """The parsed JSON body; a missing or malformed body is a 400 in the one error shape."""
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "bad_request", {"_body": [{
            "code": "invalid_json", "message": "请求体应为 JSON"}]})
    return data


def load(schema: Schema, **kwargs) -> dict:
    """Load the JSON body through `schema` (unknown keys refused)."""
    return schema.load(json_body(), **kwargs)


def paging(default: int = 50, maximum: int = 500) -> tuple[int, int]:
    """limit/offset from the query string, bounded."""
    try:
        limit = int(request.args.get("limit", default))
        offset = int(request.args.get("offset", 0))
    except ValueError:
        raise ApiError(400, "bad_request", {"limit": [{
            "code": "type", "message": "应为整数"}]}) from None
    if not (1 <= limit <= maximum) or not (0 <= offset <= 10**9):
        raise ApiError(400, "bad_request", {"limit": [{
            "code": "range", "message": f"limit 应在 1–{maximum} 之间"}]})
    return limit, offset
