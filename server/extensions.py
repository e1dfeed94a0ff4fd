"""Flask extensions, created unbound and attached in create_app."""
from __future__ import annotations

import os
import sqlite3
import stat

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, event

from core.models.base import Base

# hide_parameters: a failed statement's exception (and so any log of it) carries the SQL
# with its placeholders but never the values, which are names, ID numbers and phones
# (docs/adr/0046). Set here rather than in the config so no configuration can drop it.
db = SQLAlchemy(model_class=Base, engine_options={"hide_parameters": True})
migrate = Migrate()


PRIVATE = 0o600  # the database holds residents' health records: its owner alone reads it


def _sqlite_path(cargs: tuple, cparams: dict) -> str | None:
    """The file a SQLite connection opens, or None for a memory or URI database."""
    name = cargs[0] if cargs else cparams.get("database")
    if not isinstance(name, str) or name in ("", ":memory:") or name.startswith("file:"):
        return None
    return name


@event.listens_for(Engine, "do_connect")
def _sqlite_file_private(dialect, connection_record, cargs, cparams) -> None:
    """Create the SQLite file owner-only before SQLite does (it would use the umask, 0644
    under most), and take group and world access off an existing one and its -wal/-shm
    (SQLite gives those the database file's mode when it makes them)."""
    if dialect.name != "sqlite" or (path := _sqlite_path(cargs, cparams)) is None:
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    except FileExistsError:
        pass
    except OSError:
        return  # no such directory, no right to it: SQLite's own error says it better
    for name in (path, path + "-wal", path + "-shm"):
        try:
            if stat.S_IMODE(os.stat(name).st_mode) & 0o077:
                os.chmod(name, PRIVATE)
        except OSError:  # absent (no WAL yet), or another owner's: leave it to SQLite
            continue


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite as a server database: WAL so readers never wait for a writer, a generous busy
    timeout so gunicorn workers queue for the write lock instead of failing, foreign keys
    enforced as PostgreSQL does. Reads through a memory map (address space only: pages
    stay in the OS's cache) instead of a read() call per page, which cut the system time of a
    township's metrics recompute (docs/benchmarks.md#township-metrics-adr-0038-two-connections)."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA wal_autocheckpoint=10000")
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()
