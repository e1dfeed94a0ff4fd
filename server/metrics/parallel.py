"""Read-only metric queries on several database connections at once, all on one snapshot.

A township's backfill is some thirty queries of a few hundred milliseconds to two
seconds each, every one of them busy in the database on one core while the other core
waits (docs/adr/0038-parallel-recompute.md). Here they are spread over `workers`
connections, each with its own session and thread, and every one of those sessions
reads the same committed state of the database, as one session would:

- PostgreSQL: the first transaction exports its snapshot (`pg_export_snapshot`) and
  the others adopt it (`SET TRANSACTION SNAPSHOT`), all REPEATABLE READ.
- SQLite (WAL): a reader's snapshot starts at its first read, so each reader begins
  its transaction and reads once while a guard connection holds the write lock; no
  commit can fall between two readers' starts.

Only committed data is seen: callers commit first. Threads help because both drivers
let go of the GIL while the database works.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from core.models import Township
from server.config import Config

_SNAPSHOT_ID = re.compile(r"^[0-9A-F]+-[0-9A-F]+(-[0-9]+)?$")


def default_workers() -> int:
    """METRICS_WORKERS as the environment sets it (server/config.py). The app's jobs pass
    the app's own setting (server/township/jobs.py): Flask stays out of server/metrics."""
    return Config.METRICS_WORKERS


def can_share(session: Session) -> bool:
    """Whether other connections can see what this session's database holds (not an
    in-memory SQLite database, which each connection has to itself)."""
    url = session.get_bind().url
    if url.get_backend_name() != "sqlite":
        return True
    database = url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in database


@contextmanager
def snapshot_sessions(engine: Engine, n: int) -> Iterator[list[Session]]:
    """`n` new sessions on `engine`, each in a transaction reading one shared snapshot.
    Rolled back and closed on the way out (their temporary tables go with them)."""
    sessions = [Session(bind=engine, autoflush=False) for _ in range(n)]
    try:
        if engine.dialect.name == "postgresql":
            _share_pg_snapshot(engine, sessions)
        else:
            _share_sqlite_snapshot(engine, sessions)
        yield sessions
    finally:
        for s in sessions:
            s.rollback()
            s.close()


def _first_read(session: Session) -> None:
    session.execute(select(func.count()).select_from(Township)).scalar()


def _share_pg_snapshot(engine: Engine, sessions: list[Session]) -> None:
    with engine.connect() as guard:
        guard = guard.execution_options(isolation_level="REPEATABLE READ")
        with guard.begin():
            snapshot = guard.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            if not _SNAPSHOT_ID.match(snapshot):  # it is spelt into SQL below
                raise RuntimeError(f"unexpected snapshot id {snapshot!r}")
            for s in sessions:
                s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
                s.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
                _first_read(s)


def _share_sqlite_snapshot(engine: Engine, sessions: list[Session]) -> None:
    guard = engine.raw_connection()
    try:
        cursor = guard.cursor()
        cursor.execute("BEGIN IMMEDIATE")  # waits (busy_timeout) for a writer to finish
        try:
            for s in sessions:
                # An explicit BEGIN: the driver would otherwise run each SELECT in a
                # transaction of its own, each on the newest data.
                s.execute(text("BEGIN"))
                _first_read(s)
        finally:
            cursor.execute("ROLLBACK")
            cursor.close()
    finally:
        guard.close()


@dataclass
class Task:
    """One query of a batch: its result lands under `key`; `group` names what it needs
    prepared on its connection (a set of temporary tables, say), and `fn(session,
    context)` runs it."""

    key: Any
    group: Any
    fn: Callable[[Session, Any], Any]


def run_tasks(session: Session, tasks: list[Task], workers: int,
              prepare: Callable[[Session, ExitStack], Any],
              alongside: Callable[[], Any] | None = None) -> dict:
    """{task.key: result} of every task, spread over `workers` connections.

    `prepare(session, stack)` makes the context a connection's tasks get; what it
    enters on `stack` closes when that connection is done. Tasks are taken in the
    order given (put the longest first), but a connection keeps to the groups it has
    prepared, then takes a group nobody has, and only then shares another's: each
    group's tables are built once where possible. With `workers` <= 1, or a database
    only this connection can see, everything runs here on `session`.

    `alongside()`, if given, runs on this thread once the tasks' snapshot is taken,
    while they run: work on `session` that the tasks need not see (it may write and
    commit)."""
    if workers <= 1 or len(tasks) <= 1 or not can_share(session):
        if alongside is not None:
            alongside()
        with ExitStack() as stack:
            context = prepare(session, stack)
            return {t.key: t.fn(session, context) for t in tasks}
    results: dict = {}
    pending = list(tasks)
    claimed: set = set()
    lock = threading.Lock()

    def next_task(mine: set) -> Task | None:
        with lock:
            for choose in (lambda t: t.group in mine, lambda t: t.group not in claimed,
                           lambda t: True):
                for i, t in enumerate(pending):
                    if choose(t):
                        mine.add(t.group)
                        claimed.add(t.group)
                        return pending.pop(i)
        return None

    def work(s: Session) -> None:
        mine: set = set()
        try:
            with ExitStack() as stack:
                context = prepare(s, stack)
                while (t := next_task(mine)) is not None:
                    results[t.key] = t.fn(s, context)
        except BaseException:
            with lock:
                pending.clear()  # the others stop after their current task
            raise

    n = min(workers, len(tasks))
    with snapshot_sessions(session.get_bind(), n) as sessions, \
            ThreadPoolExecutor(n, thread_name_prefix="metrics") as pool:
        futures = [pool.submit(work, s) for s in sessions]
        try:
            if alongside is not None:
                alongside()
        except BaseException:
            with lock:
                pending.clear()
            raise
        for future in futures:
            future.result()
    return results
