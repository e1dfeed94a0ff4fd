"""Time-ordered record ids (core/ids.py, docs/adr/0040-time-ordered-ids.md)."""
from __future__ import annotations

import uuid

from records_factory import record_body
from sqlalchemy import select

from core.ids import time_ordered_uuid
from core.models import SyncChange
from core.models.base import new_uuid
from server.extensions import db


def _ms(u: uuid.UUID) -> int:
    return u.int >> 80


def test_version_7_with_the_time_in_front():
    u = time_ordered_uuid(0x0190_1234_5678)
    assert u.version == 7 and u.variant == uuid.RFC_4122
    assert str(u).startswith("01901234-5678-7")  # as tests/pwa/js/ids.test.js expects
    assert _ms(time_ordered_uuid(2**48 - 1)) == 2**48 - 1
    assert _ms(time_ordered_uuid(0)) == 0


def test_later_ids_sort_after_earlier_ones_and_none_repeat():
    early, late = time_ordered_uuid(1_700_000_000_000), time_ordered_uuid(1_700_000_000_001)
    assert early.hex < late.hex and early.bytes < late.bytes
    same_ms = {time_ordered_uuid(1_700_000_000_000) for _ in range(50_000)}
    assert len(same_ms) == 50_000
    assert len({time_ordered_uuid() for _ in range(50_000)}) == 50_000


def test_server_made_ids_are_time_ordered(app):
    assert new_uuid().version == 7
    assert abs(_ms(new_uuid()) - _ms(time_ordered_uuid())) < 60_000


def test_the_reference_client_makes_time_ordered_record_and_op_ids(app, town, phone):
    a = phone()
    ids = [a.create("record", record_body(town, sbp=120 + i)) for i in range(20)]
    assert all(uuid.UUID(i).version == 7 for i in ids)
    op_ids = [o for o, in a.db.execute("SELECT op_id FROM outbox ORDER BY counter")]
    assert all(uuid.UUID(o).version == 7 for o in op_ids)
    a.sync()
    with app.app_context():
        stored = db.session.scalars(select(SyncChange.op_id).where(
            SyncChange.entity_id.in_([uuid.UUID(i) for i in ids]))).all()
        assert sorted(str(o) for o in stored) == sorted(op_ids)


def test_any_valid_uuid_is_still_accepted(app, town, phone):
    """Older phones and imports send version 4 ids: the server takes any UUID."""
    a = phone()
    old = str(uuid.uuid4())
    a.create("record", record_body(town), entity_id=old)
    assert a.sync()["pushed"] == 1
    with app.app_context():
        assert db.session.scalar(select(SyncChange.entity_id).where(
            SyncChange.entity_id == uuid.UUID(old))) == uuid.UUID(old)
