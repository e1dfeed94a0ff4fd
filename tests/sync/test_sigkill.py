"""Kill the server (SIGKILL) in the middle of a push, restart, retry: nothing lost, nothing
doubled. Runs a real server process on loopback against the test database."""
from __future__ import annotations

import os
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from conftest import PASSWORD
from records_factory import valid_record
from sqlalchemy import func, select

from core.models import ServiceRecord, SyncChange
from server.extensions import db
from sync.client import HttpTransport, SyncClient, SyncError

HERE = pathlib.Path(__file__).parent
ROOT = HERE.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(app, port: int, mode: str, flag: pathlib.Path) -> subprocess.Popen:
    env = {**os.environ, "FAULT_MODE": mode, "FAULT_FLAG": str(flag),
           "FAULT_DB": app.config["SQLALCHEMY_DATABASE_URI"],
           "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}
    proc = subprocess.Popen([sys.executable, str(HERE / "fault_server.py"), str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("server did not start")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.mark.parametrize("mode", ["before_commit", "after_commit"])
def test_sigkill_mid_push_then_retry(app, town, tmp_path, mode):
    port, flag = free_port(), tmp_path / "flag"
    proc = start_server(app, port, mode, flag)
    try:
        phone = SyncClient(str(tmp_path / "phone.sqlite"),
                           HttpTransport(f"http://127.0.0.1:{port}", timeout=30))
        phone.enrol("doctor_a", PASSWORD)
        for i in range(200):
            body = valid_record("hypertension_followup", town)
            body.pop("id")
            phone.create("record", body | {"sbp": 100 + i % 150})
        errors: list[Exception] = []

        def push():
            try:
                phone.sync()
            except SyncError as e:
                errors.append(e)

        worker = threading.Thread(target=push)
        worker.start()
        deadline = time.monotonic() + 30
        while not flag.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert flag.exists(), "the server never reached the push"
        os.kill(proc.pid, signal.SIGKILL)  # mid-push, no chance to clean up
        proc.wait(timeout=10)
        worker.join(timeout=30)
        assert errors, "the phone must see the failure"
        assert len(phone.pending()) == 200  # nothing acknowledged, nothing dropped

        with app.app_context():
            stored = db.session.scalar(select(func.count(ServiceRecord.id)))
            db.session.remove()
        assert stored == (0 if mode == "before_commit" else 200)

        proc = start_server(app, port, "", flag)
        phone.transport.close()
        phone.sync()
        assert phone.pending() == []
        with app.app_context():
            assert db.session.scalar(select(func.count(ServiceRecord.id))) == 200
            # Each op applied once: one change row carrying its op id (its receipt).
            assert db.session.scalar(select(func.count(SyncChange.op_id.distinct()))) == 200
            assert db.session.scalar(select(func.count(SyncChange.op_id))) == 200
            db.session.remove()
        assert len(phone.all("record")) == 200
    finally:
        stop(proc)
