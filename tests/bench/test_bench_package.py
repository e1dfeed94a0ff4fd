"""bench/ is a package of recipes run as `python -m bench.<name>` (issue 22, item 3).

Each module imports as `bench.<name>` without touching `sys.path`; the phone app's
benchmark lives there, not among the tests; a benchmark that needs the reference systems
kept outside the repository says how to give them, before it does any work.
"""
from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if p.stem != "__init__")


def test_the_phone_benchmark_is_in_bench_not_in_the_tests():
    assert "phone" in MODULES
    assert not list((ROOT / "tests").rglob("bench_*.py"))


@pytest.mark.parametrize("name", MODULES)
def test_each_benchmark_imports_as_part_of_the_package_and_leaves_sys_path_alone(name):
    before = list(sys.path)
    importlib.import_module(f"bench.{name}")
    assert sys.path == before
    source = (ROOT / "bench" / f"{name}.py").read_text("utf-8")
    assert not re.search(r"sys\.path\s*(\.\w+\(|\[|\+?=)", source)  # not even later, in a function


def _run(*argv: str, anchors: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "CUNYI_ANCHORS"}
    if anchors is not None:
        env["CUNYI_ANCHORS"] = anchors
    # A bench that does not stop at once starts building its database: the timeout fails it.
    return subprocess.run([sys.executable, "-m", *argv], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


NEED_ANCHORS = [("bench.sync_bench", "--rounds", "1"), ("bench.push_profile", "--http"),
                ("bench.load_test", "--devices", "1", "--duration", "1")]


@pytest.mark.parametrize("argv", NEED_ANCHORS, ids=[a[0] for a in NEED_ANCHORS])
def test_a_benchmark_without_the_anchors_says_how_to_give_them(argv):
    done = _run(*argv, anchors=None)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "--anchors" in done.stderr and "CUNYI_ANCHORS" in done.stderr


@pytest.mark.parametrize("argv", NEED_ANCHORS, ids=[a[0] for a in NEED_ANCHORS])
def test_a_benchmark_given_an_incomplete_anchors_directory_names_what_is_missing(argv, tmp_path):
    done = _run(*argv, anchors=str(tmp_path))
    assert done.returncode == 2, done.stderr[-2000:]
    assert str(tmp_path) in done.stderr
    assert ("slowlink.py" in done.stderr) or ("pouchdb" in done.stderr)
