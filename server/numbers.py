"""Whole numbers typed into URLs and forms, read without surprises.

`str.isdigit` is true for "²" and "①", which `int` refuses, and a number past 2**31 - 1
overflows a database integer (SQLite refuses to bind one past 2**63; PostgreSQL refuses
one past an int4 column's range). Every page and API that reads a number a person typed
goes through one of these, so bad input gets an answer (the default, a 400, a 404), not a
server error.
"""
from __future__ import annotations

ID_LIMIT = 2**31  # ids and versions are database integers


def whole(raw: str | None) -> int | None:
    """A whole number typed as plain digits 0-9, or None."""
    return int(raw) if raw and raw.isascii() and raw.isdigit() else None


def form_id(raw: str | None) -> int | None:
    """A row id (or a version) typed into a form or a query, or None."""
    value = whole(raw)
    return value if value is not None and value < ID_LIMIT else None
