"""Flask extensions, created unbound and attached in create_app."""
from __future__ import annotations

import sqlite3

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, event

from server.models.base import Base

# hide_parameters: a failed statement's exception (and so any log of it) carries the SQL
# with its placeholders but never the values, which are names, ID numbers and phones
# (docs/adr/0046). Set here rather than in the config so no configuration can drop it.
db = SQLAlchemy(model_class=Base, engine_options={"hide_parameters": True})
migrate = Migrate()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite as a server database: WAL so readers never wait for a writer, a generous busy
    timeout so gunicorn workers queue for the write lock instead of failing, foreign keys
    enforced as PostgreSQL does. Reads through a memory map (address space only: pages
    stay in the OS's cache) instead of a read() call per page; a township's metrics
    recompute spent a third of its time in the kernel before (docs/benchmarks.md)."""
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
