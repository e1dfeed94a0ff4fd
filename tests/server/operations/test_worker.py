"""The scheduler process as the Procfile starts it, and its purge of the sync log (issue 17.3).

`python -m server.worker` once started with three jobs: the purge was appended to JOBS
after `main()`, which only returns when the scheduler stops.
"""
from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
from pathlib import Path

from sqlalchemy import func, select
from tombstones import age_tombstones, author, live_records, recording

import sync.client
from core.models import SyncChange, SyncCounter
from server.extensions import db

ROOT = Path(__file__).resolve().parents[3]
PURGE_TRIGGER = "cron[day_of_week='sun', hour='3', minute='30']"


def test_the_worker_process_schedules_the_purge_with_its_trigger(tmp_path):
    """Start the worker exactly as the Procfile does, on a throwaway SQLite database and a
    production-style environment (DATABASE_URL with a real SECRET_KEY); read its log."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SECRET_KEY", "SECRET_KEY_FILE", "DATABASE_URL", "CUNYI_ENV")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'worker.sqlite'}",
               SECRET_KEY=secrets.token_hex(32), CUNYI_INSTANCE_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "server.worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    started = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if "Scheduler started" in line:
                started.set()
        started.set()  # the process ended: nothing more will come

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert started.wait(60), "the worker did not start within a minute"
        assert proc.poll() is None, "\n".join(lines)
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            code = proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            code = proc.wait(timeout=10)
        reader.join(timeout=10)
    log = "\n".join(lines)
    assert f"server.worker job purge_job: {PURGE_TRIGGER}" in log, log
    assert 'Added job "purge_job" to job store' in log, log
    assert "with 4 job(s)" in log, log
    assert code == 0, log  # SIGTERM stops it cleanly


def test_the_scheduled_purge_purges_and_phones_then_sync(app, town, phone, monkeypatch):
    """The worker's own job (as its scheduler would run it, in an app context) removes the
    old tombstones; a phone left behind is reset once and catches up, and a new phone
    pages through without a reset."""
    from server.worker import build_scheduler

    monkeypatch.setattr(sync.client, "PULL_LIMIT", 5)
    a, behind = phone(name="a"), phone(name="behind")
    author(a, town, 30, voids=5)
    age_tombstones(app)
    job = build_scheduler(app).get_job("purge_job")
    assert job is not None and str(job.trigger) == PURGE_TRIGGER
    job.func()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(SyncChange)
                                 .where(SyncChange.op == "delete")) == 0
        assert db.session.scalar(select(SyncCounter.purged_through)) > behind.cursor
    live = live_records(app, town["village_1"])
    seen = recording(behind)
    behind.sync(max_rounds=40)
    assert [r["reset"] for r in seen].count(True) == 1
    assert set(behind.all("record")) == live
    new = phone(name="new", synced=False)
    seen = recording(new)
    new.sync(max_rounds=40)
    assert not any(r["reset"] for r in seen) and len(seen) >= 5
    assert set(new.all("record")) == live
