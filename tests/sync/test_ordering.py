"""A pull never skips a change committed by a slower concurrent push (both databases)."""
from __future__ import annotations

import threading
import time
import uuid

from records_factory import valid_record
from sqlalchemy.orm import Session

from core.models import User
from server.extensions import db
from sync.pull import changes_since
from sync.push import apply_push


def ops_for(town, resident_key: str, n: int) -> list[dict]:
    ops = []
    for i in range(n):
        body = valid_record("hypertension_followup", town)
        body["resident_id"] = str(town[resident_key])
        rid = body.pop("id")
        ops.append({"op_id": str(uuid.uuid4()), "device_counter": i, "entity": "record",
                    "action": "create", "id": rid, "base_version": 0, "data": body})
    return ops


def test_interleaved_pushes_are_pulled_in_commit_order_without_gaps(app, town):
    with app.app_context():
        engine = db.engine
        reader = Session(engine)
        staff = reader.get(User, town["staff_a"])
        start = changes_since(reader, staff, None, 0, 10_000)["cursor"]
        reader.commit()

        slow = Session(engine)
        a_results = apply_push(slow, slow.get(User, town["doctor_a"]), None,
                               ops_for(town, "resident_1", 5))
        # Push A has its seqs but has not committed. Push B starts now and must wait.
        b_results: list = []

        def push_b():
            with Session(engine) as fast:
                b_results.extend(apply_push(fast, fast.get(User, town["doctor_b"]), None,
                                            ops_for(town, "resident_2", 3)))
                fast.commit()

        thread = threading.Thread(target=push_b)
        thread.start()
        time.sleep(0.5)
        assert thread.is_alive(), "push B must wait for push A's lock"

        # A pull taken meanwhile sees neither push and does not move past them.
        page = changes_since(reader, staff, None, start, 10_000)
        reader.commit()
        assert page["changes_json"] == []
        assert page["cursor"] == start

        slow.commit()
        slow.close()
        thread.join(timeout=30)
        assert not thread.is_alive()

        page = changes_since(reader, staff, None, page["cursor"], 10_000)
        reader.close()
    seqs = [int(c.split(",", 1)[0].split(":")[1]) for c in page["changes_json"]]
    assert seqs == list(range(start + 1, start + 9))
    a_seqs = [r["seq"] for r in a_results]
    b_seqs = [r["seq"] for r in b_results]
    assert max(a_seqs) < min(b_seqs)  # handed out in commit order
    assert {r["status"] for r in a_results + b_results} == {"accepted"}
