"""JSON text in and out of the sync path, through orjson where it gives the same answer.

A push of a thousand records is several megabytes of JSON read, and a thousand change
payloads written; the standard library's codec was a tenth of the server's time there
(docs/benchmarks.md). orjson writes the same compact text (UTF-8, no escapes for Chinese,
UUIDs and dates as ISO strings, UTC times ending in Z) and reads the same documents. Where
it would answer differently it is not used: a value it cannot encode (an integer beyond
64 bits, say) goes to the standard library, and a body it refuses to parse is handed to
`json.loads`, so what is accepted, and every error, stays exactly as before.
"""
from __future__ import annotations

import json
from typing import Any

import orjson

from server.services.serialize import jsonable

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """Compact JSON text, Chinese kept as is (shorter on the wire than \\u escapes)."""
    try:
        return orjson.dumps(value, default=jsonable, option=_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=jsonable)


def loads(data: bytes | str) -> Any:
    """Parse a JSON document; raises ValueError (or UnicodeDecodeError) as `json.loads`."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def column_dumps(value: Any) -> str:
    """The engine's serializer for JSON columns (same text as `dumps`)."""
    return dumps(value)
