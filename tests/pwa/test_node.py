"""The phone app's JavaScript unit tests (node --test): the sync client, including the
golden vectors in sync/vectors/ shared with the Python client, search and today's work."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa"


def test_javascript_unit_tests():
    """Run pwa/test/*.test.js in Node; every test must pass and some must have run."""
    node = shutil.which("node")
    assert node, "node is needed for the phone app's tests (apt-get install nodejs)"
    files = sorted(str(p) for p in (PWA / "test").glob("*.test.js"))
    assert (PWA / "node_modules" / "pinyin-pro").is_dir(), "run scripts/setup.sh (npm ci in pwa/)"
    proc = subprocess.run([node, "--test", *files], cwd=PWA, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "# fail 0" in proc.stdout and "# pass 0" not in proc.stdout
