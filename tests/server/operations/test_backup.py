"""Backup and restore: every record comes back, on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from conftest import clean_tables
from records_factory import KINDS, valid_record
from sqlalchemy import func, select

from core.models import Base, ServiceRecord, SyncChange
from server import backup
from server.extensions import db


def _snapshot(app) -> dict:
    """Every row of every table (sorted), for comparing before and after."""
    out = {}
    with app.app_context():
        with db.engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                rows = conn.execute(select(table)).all()
                out[table.name] = sorted(map(repr, rows))
    return out


def test_backup_then_restore_into_an_empty_database(app, client, town, tmp_path):
    client.post("/api/auth/login", json={"username": "doctor_a", "password": "pw-12345678"})
    for kind in KINDS:
        assert client.post("/api/records", json=valid_record(kind, town)).status_code == 201
    before = _snapshot(app)
    path = tmp_path / "backup.jsonl.gz"
    runner = app.test_cli_runner()
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output

    clean_tables(app)
    with app.app_context():
        assert db.session.scalar(select(func.count(ServiceRecord.id))) == 0
    result = runner.invoke(args=["restore", str(path)])
    assert result.exit_code == 0, result.output
    assert _snapshot(app) == before
    with app.app_context():
        assert db.session.scalar(select(func.count(ServiceRecord.id))) == len(KINDS)
        assert db.session.scalar(select(func.count(SyncChange.seq))) > len(KINDS)
    # The restored server works: a new record gets stored and published after the others.
    body = valid_record("hypertension_followup", town)
    assert client.post("/api/records", json=body).status_code == 201


def test_restore_refuses_a_database_that_is_not_empty(app, town, tmp_path):
    path = tmp_path / "b.jsonl.gz"
    with app.app_context():
        backup.backup(db.engine, path)
        with pytest.raises(ValueError, match="not empty"):
            backup.restore(db.engine, path)


def test_restore_refuses_something_else(app, tmp_path):
    import gzip

    path = tmp_path / "x.gz"
    with gzip.open(path, "wt") as f:
        f.write('{"hello": 1}\n')
    result = app.test_cli_runner().invoke(args=["restore", str(path)])
    assert result.exit_code != 0 and "not a backup" in result.output
