"""Nothing a person typed reaches a log: bad inputs and a forced server error carrying a
known name, phone and ID number, then a search of everything the app wrote (issue 16.6;
docs/adr/0046-no-500s-and-no-personal-data-in-logs.md).

Captured: every log record at every level (SQLAlchemy's statement log switched on at INFO,
where it prints parameters unless they are hidden), formatted with its traceback, and the
process's own stdout and stderr (Flask's default handler writes there).
"""
from __future__ import annotations

import json
import logging
import uuid

import pytest
from records_factory import record_body

from core.models import Device
from server.auth.current import hash_token, new_token
from server.extensions import db
from server.services import people

NAME, PHONE, NATIONAL_ID = "司马秋菊", "13912345678", "511921196203142420"
ADDRESS = "龙泉村7组88号"


def forms(*texts: str) -> list[str]:
    """Each text as it could appear in a log: as is, JSON-escaped, Python-escaped."""
    out = []
    for t in texts:
        out += [t, json.dumps(t)[1:-1], ascii(t)[1:-1], t.encode("unicode_escape").decode()]
    return sorted(set(out))


SECRETS = forms(NAME, PHONE, NATIONAL_ID, ADDRESS)


@pytest.fixture
def phone_client(app, town, monkeypatch):
    """doctor_a's phone against the app out of testing mode; yields send(method, path, body)."""
    monkeypatch.setitem(app.config, "TESTING", False)  # errors handled as under gunicorn
    token = new_token()
    with app.app_context():
        db.session.add(Device(user_id=town["doctor_a"], label="t", token_hash=hash_token(token)))
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def send(method: str, path: str, body) -> object:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return client.open(path, method=method, data=data, headers=headers)
    return send


@pytest.fixture
def everything_logged(caplog, capfd):
    """All that was logged or written to stdout/stderr so far, as one text."""
    caplog.set_level(logging.DEBUG)
    # SQL statements and their parameters (INFO); result rows (DEBUG) stay off, as they are
    # unless someone turns echo="debug" on by hand.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")

    def read() -> str:
        records = "\n".join(formatter.format(r) for r in caplog.records)
        out, err = capfd.readouterr()
        return "\n".join([records, out, err])
    return read


def _person(town, **change) -> dict:
    body = {"village_id": town["village_1"], "household_id": str(town["household_1"]),
            "name": NAME, "sex": "female", "birth_date": "1962-03-14",
            "national_id": NATIONAL_ID, "phone": PHONE, "past_history": ADDRESS}
    return {**body, **change}


def test_bad_inputs_and_a_server_error_log_no_personal_data(app, town, phone_client,
                                                           everything_logged, monkeypatch):
    send = phone_client
    r = send("POST", "/api/residents", _person(town))
    assert r.status_code == 201, r.get_json()
    resident_id = r.get_json()["id"]
    answers = [
        send("POST", "/api/residents/search", {"q": NAME}),
        send("POST", "/api/residents/search", {"q": NATIONAL_ID}),
        send("POST", "/api/residents/search", {"q": NAME + "\ud800"}),
        send("POST", "/api/residents", _person(town)),  # ID number taken: 409
        send("POST", "/api/residents", _person(town, phone=PHONE + "x")),
        send("POST", "/api/residents", _person(town, name=NAME + "\ud800")),
        send("POST", "/api/residents", _person(town, **{NAME: PHONE})),  # as a field name
        send("PATCH", f"/api/residents/{resident_id}",
             {"version": 1, "name": NAME, "birth_date": "2099-01-01"}),
        send("POST", "/api/households", {"village_id": town["village_1"], "address": ADDRESS,
                                         "head_name": NAME, "phone": NATIONAL_ID}),
        send("POST", "/api/records", {**record_body(town), "notes": NAME + PHONE,
                                      "sbp": "high"}),
        send("POST", "/api/sync", {"protocol": 1, "cursor": 0, "push": [{
            "op_id": str(uuid.uuid4()), "device_counter": 1, "entity": "resident",
            "action": "create", "id": str(uuid.uuid4()), "base_version": 0,
            "data": _person(town, birth_date="1962-13-14")}]}),
        send("POST", "/api/residents",
             f'{{"name": "{NAME}", "phone": "{PHONE}", "x": {"[" * 5000}}}'.encode()),
    ]
    # A failure inside the database: the ID number check skipped and the unique-key guard
    # removed, so the insert itself fails (on PostgreSQL its message names the value).
    monkeypatch.setattr(people, "_check_national_id_free", lambda *a, **k: None)
    monkeypatch.setattr(people, "_flush_unique", lambda session: session.flush())
    r = send("POST", "/api/residents", _person(town))
    assert r.status_code == 500
    assert r.get_json()["code"] == "internal_error"

    logged = everything_logged()
    assert "IntegrityError" in logged, "the 500 was logged (and captured)"
    assert "INSERT INTO residents" in logged, "the failed statement is named, without values"
    assert "residents" in logged
    leaked = [s for s in SECRETS if s in logged]
    assert not leaked, (leaked, logged[-3000:])
    # and every bad input was refused as such, none of them a 500 (issue 16.5)
    sync = answers.pop(10)
    assert sync.status_code == 200 and sync.get_json()["results"][0]["status"] == "rejected"
    assert all(400 <= a.status_code < 500 for a in answers[2:]), \
        [(a.status_code, a.get_json()) for a in answers]


def test_the_statement_log_shows_no_parameters(app, town, phone_client, everything_logged):
    # hide_parameters covers SQLAlchemy's own statement log too, should anyone switch it on.
    r = phone_client("POST", "/api/residents", _person(town))
    assert r.status_code == 201
    logged = everything_logged()
    assert "INSERT INTO residents" in logged
    assert "hidden due to hide_parameters" in logged
    assert not [s for s in SECRETS if s in logged]


def test_a_failed_job_in_the_worker_logs_no_personal_data(capfd):
    # APScheduler logs a failed job with its traceback through the root logger's handler,
    # which the worker sets up; the job's exception says which person it failed on.
    from server import worker

    root = logging.getLogger()
    saved = root.handlers[:], root.level
    root.handlers[:] = []
    try:
        worker.configure_logging()
        try:
            raise ValueError(f"no follow-up for {NAME} ({NATIONAL_ID}, {PHONE})")
        except ValueError:
            logging.getLogger("apscheduler.executors.default").exception(
                'Job "nightly_rollups" raised an exception')
        for handler in root.handlers:
            handler.flush()
    finally:
        root.handlers[:], root.level = saved
    err = capfd.readouterr().err
    assert "raised an exception" in err and "ValueError" in err
    assert not [s for s in SECRETS if s in err], err
