"""JSON text in and out of the sync path, through orjson where it gives the same answer.

A push of a thousand records is several megabytes of JSON read, and a thousand change
payloads written, so the codec's speed shows in the server's time per pushed record
(docs/benchmarks.md#push). orjson writes the same compact text (UTF-8, no escapes for Chinese,
UUIDs and dates as ISO strings, UTC times ending in Z) and reads the same documents. Where
it would answer differently it is not used: a value it cannot encode (an integer beyond
64 bits, say) goes to the standard library, and a body it refuses to parse is handed to
`json.loads`, so what is accepted, and every error, stays exactly as before.

Two things only that slower reading lets through are made safe here (docs/adr/0046):
- a document nested deeper than the interpreter's recursion limit (orjson stops at 1,024
  levels; `json.loads` then raises RecursionError) is a ValueError like any bad JSON;
- a string holding a lone UTF-16 surrogate (`"\\ud800"`; orjson refuses the whole body,
  `json.loads` reads it) comes back as `UnpairedText`, a `str` subclass that no field
  accepts, so it is refused as that field's error (one op of a sync batch, not the whole
  batch) instead of failing when the database driver encodes it.
Only a body orjson refused is walked: the fast path makes no extra pass.
"""
from __future__ import annotations

import json
import re
from typing import Any

import orjson

from core.serialize import jsonable

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS


def dumps(value: Any) -> str:
    """Compact JSON text, Chinese kept as is (shorter on the wire than \\u escapes)."""
    try:
        return orjson.dumps(value, default=jsonable, option=_OPTIONS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=jsonable)


# A UTF-16 surrogate code point: never a character on its own, and no UTF-8 encoder (the
# database drivers', the response's) takes it.
SURROGATE = re.compile("[\ud800-\udfff]")


class UnpairedText(str):
    """A string from a JSON body that holds a lone surrogate. It is not exactly `str`, so
    the schemas' fast path (`type(v) is str`) hands it to marshmallow, whose `Str` refuses
    it with a field error (server/schemas/base.py)."""


def has_surrogate(text: str) -> bool:
    """Does `text` hold a lone surrogate? (ASCII text cannot: answered without a scan.)"""
    return not text.isascii() and SURROGATE.search(text) is not None


def loads(data: bytes | str) -> Any:
    """Parse a JSON document; raises ValueError (or UnicodeDecodeError) as `json.loads`.

    Strings with a lone surrogate come back as `UnpairedText`; a document nested too
    deep for the standard library's parser is a ValueError, not a RecursionError."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        value = json.loads(data)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    return _mark_unpaired(value)


def _mark_unpaired(value: Any) -> Any:
    """`value` with every string (and object key) holding a lone surrogate turned into
    `UnpairedText`. Iterative: the document may be nearly as deep as the recursion limit."""
    if isinstance(value, str):
        return UnpairedText(value) if has_surrogate(value) else value
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if any(has_surrogate(k) for k in node):
                items = [(UnpairedText(k) if has_surrogate(k) else k, v) for k, v in node.items()]
                node.clear()
                node.update(items)
            for k, v in node.items():
                if isinstance(v, str):
                    if has_surrogate(v):
                        node[k] = UnpairedText(v)
                elif isinstance(v, dict | list):
                    stack.append(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                if isinstance(v, str):
                    if has_surrogate(v):
                        node[i] = UnpairedText(v)
                elif isinstance(v, dict | list):
                    stack.append(v)
    return value


def column_dumps(value: Any) -> str:
    """The engine's serializer for JSON columns (same text as `dumps`)."""
    return dumps(value)
