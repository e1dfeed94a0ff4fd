"""The SQLite database (with its -wal and -shm) and backup files are readable by their owner
only (0600), whatever the umask of the process that makes them."""
from __future__ import annotations

import contextlib
import os
import stat

import pytest
from sqlalchemy import text

from server import create_app
from server.extensions import db


@contextlib.contextmanager
def umask(mask: int):
    """The usual umask of a login shell, for the duration."""
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def serve_once(db_path) -> None:
    """An app on `db_path` answers a health check and writes once (WAL files appear)."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
                      "SECRET_KEY": "k" * 40})
    assert app.test_client().get("/healthz").status_code == 200
    with app.app_context():
        db.session.execute(text("CREATE TABLE IF NOT EXISTS probe (x INTEGER)"))
        db.session.execute(text("INSERT INTO probe VALUES (1)"))
        db.session.commit()
        assert os.path.exists(f"{db_path}-wal") and os.path.exists(f"{db_path}-shm")
        for name in (db_path, f"{db_path}-wal", f"{db_path}-shm"):
            assert mode(name) == 0o600, (name, oct(mode(name)))
        db.session.remove()
        db.engine.dispose()


def test_a_new_sqlite_database_is_private(tmp_path):
    with umask(0o022):
        serve_once(tmp_path / "new.sqlite")


def test_an_existing_world_readable_database_is_made_private(tmp_path):
    path = tmp_path / "old.sqlite"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    with umask(0o022):
        serve_once(path)


@pytest.mark.parametrize("existing", [False, True])
def test_a_backup_file_is_private(app, town, tmp_path, existing):
    path = tmp_path / "cunyi.jsonl.gz"
    if existing:
        path.write_bytes(b"old")
        os.chmod(path, 0o644)
    with umask(0o022):
        result = app.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert mode(path) == 0o600
