"""Pushing through the real `/api/sync` endpoint as an enrolled device, for the tests of
scope, device-bound receipts and repeated creates."""
from __future__ import annotations

import itertools
import json
import uuid

from conftest import PASSWORD, login
from sqlalchemy import func, select

from core.models import SyncChange, SyncConflict, SyncReceipt
from server.extensions import db

_counter = itertools.count(1)


def enrol(app, username: str, label: str = "phone") -> str:
    """Enrol a device for `username` (enrolment takes the account's password) and return
    its bearer token."""
    browser = app.test_client()
    login(browser, username)
    r = browser.post("/api/devices", json={"label": label, "password": PASSWORD})
    assert r.status_code in (200, 201), r.get_json()
    return r.get_json()["token"]


def push(app, token: str | None, ops: list[dict], cookie_client=None) -> tuple[dict, str]:
    """One push-only exchange; returns the parsed response and its raw text. Without a
    token, `cookie_client` (a logged-in test client) sends it on its session."""
    client = cookie_client or app.test_client()
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = client.post("/api/sync", json={"protocol": 1, "cursor": 0, "pull_limit": 0,
                                       "push": ops}, headers=headers)
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    return r.get_json(), r.get_data(as_text=True)


def op(entity: str, action: str, entity_id, data: dict, base_version: int | None = None,
       op_id: str | None = None) -> dict:
    """One op as a phone queues it (a create has base_version 0, an edit 1 unless given)."""
    if base_version is None:
        base_version = 0 if action == "create" else 1
    return {"op_id": op_id or str(uuid.uuid4()), "device_counter": next(_counter),
            "entity": entity, "action": action, "id": str(entity_id),
            "base_version": base_version, "device_time": None, "data": data}


def stored_counts(app) -> dict[str, int]:
    """How many change rows, conflicts and receipts the server holds."""
    with app.app_context():
        out = {name: db.session.scalar(select(func.count()).select_from(model))
               for name, model in (("changes", SyncChange), ("conflicts", SyncConflict),
                                   ("receipts", SyncReceipt))}
        db.session.remove()
    return out


def without_ids(result: dict) -> str:
    """A result with its op_id and id left out, to compare two answers' shape and words."""
    return json.dumps({k: v for k, v in result.items() if k not in ("op_id", "id")},
                      sort_keys=True, ensure_ascii=False)
