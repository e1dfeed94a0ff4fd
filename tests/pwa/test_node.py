"""The phone app's JavaScript unit tests (node --test), tests/pwa/js/, laid out like pwa/js/:
the sync client, including the golden vectors in sync/vectors/ shared with the Python
client, search, today's work, edits and ids."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa"
UNIT_TESTS = Path(__file__).resolve().parent / "js"


def test_javascript_unit_tests():
    """Run tests/pwa/js/*.test.js in Node; every test must pass and some must have run."""
    node = shutil.which("node")
    assert node, "node is needed for the phone app's tests (apt-get install nodejs)"
    files = sorted(str(p) for p in UNIT_TESTS.rglob("*.test.js"))
    assert files, f"no unit tests in {UNIT_TESTS}"
    assert (PWA / "node_modules" / "pinyin-pro").is_dir(), "run scripts/setup.sh (npm ci in pwa/)"
    proc = subprocess.run([node, "--test", *files], cwd=PWA, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout
