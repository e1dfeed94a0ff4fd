"""The web server started as `scripts/start.sh` starts it (gunicorn with its access log
format), fed requests carrying a known name, phone and ID number, in the body and in the
query string, with bad inputs and a server error among them: its stdout and stderr hold
none of them (issue 16.6; docs/adr/0046-no-500s-and-no-personal-data-in-logs.md).

The one change from start.sh: the app is `faulty_app:create_app()`, the same app with a
fault put in so a request fails inside the database.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

from bench.procs import stop, wait_until_ready

ROOT = Path(__file__).resolve().parents[3]
VENV = Path(sys.executable).parent
NAME, PHONE, NATIONAL_ID = "司马秋菊", "13912345678", "511921196203142420"

_PREPARE = """
import json, sys
sys.path.insert(0, "tests")
from flask_migrate import upgrade
from conftest import build_town
from server import create_app
from server.auth.current import hash_token, new_token
from server.extensions import db
from core.models import Device
app = create_app()
with app.app_context():
    upgrade()
town = build_town(app)
token = new_token()
with app.app_context():
    db.session.add(Device(user_id=town["doctor_a"], label="t", token_hash=hash_token(token)))
    db.session.commit()
print(json.dumps({"token": token, "village": town["village_1"],
                  "household": str(town["household_1"])}))
"""


def access_log_format() -> str:
    """The access log format the start command gives gunicorn."""
    text = (ROOT / "scripts" / "start.sh").read_text()
    found = re.search(r"--access-logformat\s+'([^']*)'", text)
    assert found, "start.sh names its access log format"
    return found.group(1)


def secrets_in(text: str) -> list[str]:
    """The known values found in `text`, as is, JSON-escaped or percent-encoded."""
    out = []
    for value in (NAME, PHONE, NATIONAL_ID):
        for form in {value, json.dumps(value)[1:-1], urllib.parse.quote(value),
                     urllib.parse.quote_plus(value), urllib.parse.quote(value).lower()}:
            if form in text:
                out.append(form)
    return out


@pytest.fixture
def started(tmp_path):
    """gunicorn on a fresh SQLite database; yields (port, token, ids, log path)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cunyi.sqlite'}",
               SECRET_KEY=secrets.token_hex(32), FLASK_APP="server",
               PYTHONPATH=f"{ROOT}{os.pathsep}{ROOT / 'tests' / 'server' / 'serving'}")
    made = subprocess.run([str(VENV / "python"), "-c", _PREPARE], env=env, cwd=ROOT,
                          check=True, capture_output=True, text=True)
    setup = json.loads(made.stdout.strip().splitlines()[-1])
    log_path = tmp_path / "server.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(VENV / "gunicorn"), "--bind", "127.0.0.1:0", "--workers", "1",
             "--access-logformat", access_log_format(), "--access-logfile", "-",
             "faulty_app:create_app()"],
            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    def bound_port() -> int | None:
        # Bound to port 0 (no race for a free port): the port is the one gunicorn logs.
        found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)",
                          log_path.read_text("utf-8", "replace"))
        return int(found.group(1)) if found else None

    try:
        port = wait_until_ready(proc, bound_port, what="gunicorn", log=log_path)
        yield port, setup, log_path
    finally:
        stop(proc, group=True, grace=20)


def test_the_started_server_logs_no_personal_data(started):
    port, setup, log_path = started
    headers = {"Authorization": f"Bearer {setup['token']}", "Content-Type": "application/json"}
    person = {"village_id": setup["village"], "household_id": setup["household"], "name": NAME,
              "sex": "female", "birth_date": "1962-03-14", "national_id": NATIONAL_ID,
              "phone": PHONE}
    q = urllib.parse.quote
    requests = [
        ("POST", "/api/residents", person, 201),
        ("POST", "/api/residents/search", {"q": NAME}, 200),
        ("POST", f"/api/residents/search?limit={q(NAME)}&q={q(NATIONAL_ID)}", {"q": PHONE}, 400),
        ("GET", f"/api/residents?village_id={q(NAME)}&phone={PHONE}", None, 200),
        ("GET", f"/api/records?kind={q(NAME)}", None, 422),
        ("POST", "/api/residents", {**person, "name": NAME + "\ud800"}, 422),
        ("POST", "/api/residents", {**person, "phone": PHONE + "x"}, 422),
        ("POST", "/api/residents", person, 500),  # the fault: the insert itself fails
    ]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for method, path, body, want in requests:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == want, (method, path, response.status)
    finally:
        conn.close()
    time.sleep(0.5)  # the access log line of the last request
    logged = log_path.read_text("utf-8", "replace")
    assert '"POST /api/residents/search"' in logged, "the access log is on, path only"
    assert "IntegrityError" in logged, "the 500 was logged"
    assert not secrets_in(logged), (secrets_in(logged), logged[-3000:])


def test_a_url_cannot_forge_a_line_of_the_access_log(started):
    """Found by the re-attack (L4): the decoded path went into the log raw."""
    port, _, log_path = started
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/healthz%0d%0aFORGED%20server.worker%20job%20done")
        conn.getresponse().read()
    finally:
        conn.close()
    time.sleep(0.5)
    lines = log_path.read_text("utf-8", "replace").splitlines()
    assert not [line for line in lines if line.startswith("FORGED")]
    assert any("/healthz\\x0d\\x0aFORGED" in line for line in lines)
