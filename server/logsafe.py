"""Exceptions in the log without personal data: their types and frames, never their text.

An exception's text is where a request's data leaks into a log: SQLAlchemy writes a failed
statement's parameters into it (hidden by `hide_parameters`, server/extensions.py), but
PostgreSQL's own message names the offending value (`Key (national_id)=(5119…) already
exists`), and Python's quotes it (`invalid literal for int(): '张三'`). So a logged
exception keeps what says where and why (each exception's type, its frames, for a database
error our SQL with its placeholders, the constraint, table and column, SQLSTATE) and drops
every message (docs/adr/0046-no-500s-and-no-personal-data-in-logs.md).
"""
from __future__ import annotations

import logging
import sqlite3
import traceback

from sqlalchemy.exc import StatementError


def describe(exc: BaseException) -> str:
    """A traceback of `exc` and the exceptions it was raised from or during, without any
    exception's message."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    link = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above was the direct cause of:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "The above happened while handling:"
        else:
            current = None
    parts = []
    for item, link_after in reversed(chain):
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(item.__traceback__)))
        parts.append(_headline(item) + "\n")
        if link_after:
            parts.append(f"\n{link_after}\n\n")
    return "".join(parts).rstrip("\n")


def _headline(exc: BaseException) -> str:
    """`module.Type` and what a database error says without quoting data."""
    kind = type(exc)
    words = [f"{kind.__module__}.{kind.__qualname__} (message withheld)"]
    if isinstance(exc, StatementError) and exc.statement:
        words.append(f"[SQL: {exc.statement}]")
    if isinstance(exc, sqlite3.Error):
        words.append(f"[sqlite: {getattr(exc, 'sqlite_errorname', '?')}]")
    diag = getattr(exc, "diag", None)  # psycopg: named parts of the server's report
    if diag is not None:
        named = {k: getattr(diag, k, None) for k in (
            "sqlstate", "constraint_name", "table_name", "column_name")}
        words.append("[" + ", ".join(f"{k}={v}" for k, v in named.items() if v) + "]")
    return " ".join(words)


class WithholdExceptionText(logging.Filter):
    """A filter that swaps a record's exception for `describe`'s text. On a logger it
    covers what is logged there; on a handler, everything that handler writes."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's exception (never drops a record)."""
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = describe(record.exc_info[1])
            record.exc_info = None
        return True


def install(logger: logging.Logger) -> None:
    """Withhold exception text on `logger` and on each of its handlers (once)."""
    for target in (logger, *logger.handlers):
        if not any(isinstance(f, WithholdExceptionText) for f in target.filters):
            target.addFilter(WithholdExceptionText())
