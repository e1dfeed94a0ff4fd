"""Importing another system's records through the protocol: validated, resumable, no doubles."""
from __future__ import annotations

import json

from conftest import PASSWORD
from records_factory import valid_record
from sqlalchemy import func, select
from transport import FlaskTransport

from core.models import ServiceRecord
from server.extensions import db
from sync.client import SyncClient
from sync.importer import queue_file, rejected_report


def test_import_file_twice_stores_each_record_once(app, town, tmp_path):
    lines = []
    for i in range(20):
        body = valid_record("hypertension_followup", town)
        rid = body.pop("id")
        if i == 7:
            body["sbp"] = 400  # out of range: reported, not stored
        lines.append(json.dumps({"entity": "record", "id": rid, "data": body}))
    lines.append("{not json")
    source = tmp_path / "records.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")

    store = str(tmp_path / "import.sqlite")
    client = SyncClient(store, FlaskTransport(app))
    client.enrol("staff_a", PASSWORD, label="import")
    queued, problems = queue_file(client, source)
    assert queued == 20 and len(problems) == 1
    client.sync()
    [bad] = rejected_report(client)
    assert bad["errors"]["sbp"][0]["code"] == "range"

    again = SyncClient(store, FlaskTransport(app))  # an interrupted run started again
    assert queue_file(again, source)[0] == 0
    again.sync()
    with app.app_context():
        assert db.session.scalar(select(func.count(ServiceRecord.id))) == 19
