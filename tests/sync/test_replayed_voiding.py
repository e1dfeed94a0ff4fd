"""A record voiding re-sent after its answer was lost (found by bench/field_chaos.py):
a phone on a link that cuts connections re-sends the batch whose answer it never got.
The re-sent voiding must get its first answer again, not a 500 that the phone meets on
every retry (stuck), and nothing more may change on the server."""
from __future__ import annotations

import uuid

from device_push import enrol, op, push, stored_counts
from records_factory import record_body

# sync/receipts.py reads a replayed record op's answer from its change row; it took the
# record's server fields from the payload, and a voiding's row is a tombstone ({"id"}), so
# the replay raised KeyError (500) before the fix.


def test_a_replayed_voiding_gets_its_first_answer(app, town):
    token = enrol(app, "doctor_a")
    rec = uuid.uuid4()
    created, _ = push(app, token, [op("record", "create", rec, record_body(town))])
    assert created["results"][0]["status"] == "accepted"
    voiding = op("record", "delete", rec, {}, base_version=1)
    first, _ = push(app, token, [voiding])
    assert first["results"][0]["status"] == "accepted"
    before = stored_counts(app)
    again, _ = push(app, token, [voiding])  # the first answer was lost on the way
    assert again["results"] == first["results"]
    assert stored_counts(app) == before


def test_a_replayed_correction_then_voiding_batch_gets_its_first_answers(app, town):
    """The same with a correction and the voiding in one batch, re-sent whole."""
    token = enrol(app, "doctor_a")
    rec = uuid.uuid4()
    push(app, token, [op("record", "create", rec, record_body(town))])
    batch = [op("record", "update", rec, {**record_body(town), "sbp": 171}, base_version=1),
             op("record", "delete", rec, {}, base_version=2)]
    first, _ = push(app, token, batch)
    assert [r["status"] for r in first["results"]] == ["accepted", "accepted"]
    again, _ = push(app, token, batch)
    assert again["results"] == first["results"]
