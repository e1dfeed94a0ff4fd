"""bench/field_chaos.py kept alive (issue 17's last item): two phones for 12 s through a
link that cuts about a quarter of its connections, purges every 4 s, and the bench's own
verdict. The bench runs on its own SQLite file and gunicorn, so it runs in the SQLite
pass only; it needs the anchors' slowlink.py (CUNYI_ANCHORS, bench/anchors.py)."""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from bench.field_checks import differences

ROOT = pathlib.Path(__file__).resolve().parents[2]
ANCHORS = os.environ.get("CUNYI_ANCHORS", "")


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                    reason="the bench makes its own SQLite database; once per suite is enough")
@pytest.mark.skipif(not (ANCHORS and (pathlib.Path(ANCHORS) / "slowlink.py").exists()),
                    reason="needs the anchors' slowlink.py: set CUNYI_ANCHORS")
def test_two_phones_through_a_cutting_link_lose_nothing():
    """Exit 0, and the figures say why: ops acknowledged, connections cut, purges run,
    and nothing lost, duplicated, stuck, answered differently or divergent."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.field_chaos", "--seconds", "12", "--phones", "2",
         "--purge-every", "4", "--retention-s", "1", "--anchors", ANCHORS],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["failed"] == 0
    assert figures["ops_acknowledged"] > 20 and figures["requests"] > 5
    assert figures["cut_connections"] > 0 and figures["purges"] > 0
    for name in ("lost", "duplicated", "stuck", "replays_differing", "divergent"):
        assert figures[name] == 0, (name, figures)


def test_the_check_sees_a_phone_that_departs_from_the_server():
    """The comparison is not vacuous: a missing, extra, stale or altered entity is named;
    a record matches on the fields the phone holds."""
    server = {"resident:1": {"version": 2, "data": {"id": "1", "phone": "13500000000"}},
              "record:2": {"version": 1, "data": {"id": "2", "sbp": 150, "created_at": "t"}},
              "household:3": {"version": 1, "data": {"id": "3"}}}
    same = {"resident:1": {"version": 2, "data": {"id": "1", "phone": "13500000000"}},
            "record:2": {"version": 1, "data": {"id": "2", "sbp": 150}},
            "household:3": {"version": 1, "data": {"id": "3"}}}
    assert differences(same, server) == []
    wrong = {"resident:1": {"version": 1, "data": {"id": "1", "phone": "13500000000"}},
             "record:2": {"version": 1, "data": {"id": "2", "sbp": 151}},
             "record:9": {"version": 1, "data": {"id": "9"}}}
    found = differences(wrong, server)
    assert [line.split(":")[0] + ":" + line.split(":")[1] for line in found] == [
        "household:3", "record:2", "record:9", "resident:1"]
