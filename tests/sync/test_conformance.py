"""The conformance suite (`python -m sync.conformance`, issue 17.8) run as anyone would run
it: in its own process, over HTTP, against a live server on this run's database (SQLite,
then PostgreSQL under scripts/test.sh), with every account it can use. Each case is a
test here; a case that fails only because server work is still open is a strict xfail
naming the issue item, so it turns into an error the day that work lands."""
from __future__ import annotations

import logging
import os
import pathlib
import re
import subprocess
import sys
import threading

import pytest
from conftest import PASSWORD, build_town, clean_tables
from werkzeug.serving import make_server

from sync.conformance.__main__ import main as _main  # noqa: F401 - registers every case
from sync.conformance.runner import ordered

ROOT = pathlib.Path(__file__).resolve().parents[2]
LINE = re.compile(r"^(PASS|FAIL|SKIP) (\S+?)(?::| \[|$)")
OPEN_WORK: dict[str, str] = {}  # case name -> the issue item still open (none now)


@pytest.fixture(scope="module")
def suite(app):
    """Serve the app on a loopback port (with the purge endpoint on), run the suite in a
    subprocess with doctor_a, doctor_b (another village), staff_a and admin_a; yields the
    finished process and its verdicts by case name."""
    clean_tables(app)
    build_town(app)
    was = app.config.get("SYNC_PURGE_API")
    app.config["SYNC_PURGE_API"] = True
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        args = [sys.executable, "-m", "sync.conformance", f"http://127.0.0.1:{server.server_port}",
                "--user", "doctor_a", "--password", PASSWORD]
        for role, name in (("other", "doctor_b"), ("staff", "staff_a"), ("admin", "admin_a")):
            args += [f"--{role}-user", name, f"--{role}-password", PASSWORD]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=600)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.config["SYNC_PURGE_API"] = was
        clean_tables(app)
    verdicts = {}
    for line in done.stdout.splitlines():
        found = LINE.match(line)
        if found:
            verdicts[found.group(2)] = (found.group(1), line)
    return done, verdicts


def test_every_case_ran_and_the_exit_code_says_whether_one_failed(suite):
    """One line per case, none skipped (every account was given), a summary, and exit
    code 1 exactly when a case failed."""
    done, verdicts = suite
    assert done.stderr == "" or "Traceback" not in done.stderr, done.stderr
    assert sorted(verdicts) == sorted(name for name, _fn, _needs in ordered()), done.stdout
    assert [v for v, _ in verdicts.values()].count("SKIP") == 0, done.stdout
    failed = [name for name, (v, _) in verdicts.items() if v == "FAIL"]
    assert re.search(rf"\d+ passed, {len(failed)} failed, 0 skipped", done.stdout)
    assert done.returncode == (1 if failed else 0), done.stdout


def _params():
    for name, _fn, _needs in ordered():
        marks = [pytest.mark.xfail(strict=True, reason=OPEN_WORK[name])] \
            if name in OPEN_WORK else []
        yield pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_case(suite, name):
    """The case passed against this database."""
    _done, verdicts = suite
    verdict, line = verdicts.get(name, ("MISSING", name))
    assert verdict == "PASS", line
