"""The reference systems the benchmarks measure against, kept outside this repository.

The anchors directory holds `pouchdb/` (the CouchDB-protocol anchor: `server.js`, `bench.js`,
their package files) and `slowlink.py` (a proxy that adds a slow link's delay and bandwidth,
or cuts connections). It is not part of the repository, so a benchmark that needs it is told
where it is: `--anchors DIR` or the environment variable CUNYI_ANCHORS. Nothing guesses a
path relative to the checkout.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ENV = "CUNYI_ANCHORS"
POUCHDB_FILES = ("package.json", "package-lock.json", "server.js", "bench.js")
ANCHOR_BATCH = 100  # bench.js's --batch in every run (docs/benchmarks.md)


def add_option(parser: argparse.ArgumentParser) -> None:
    """Add `--anchors DIR` (default: $CUNYI_ANCHORS) to a benchmark's options."""
    parser.add_argument("--anchors", default=os.environ.get(ENV),
                        help=f"directory with pouchdb/ and slowlink.py (default: ${ENV})")


def find(given: str | None, *needed: str) -> Path:
    """The anchors directory, checked to hold each of `needed` (relative paths).

    Raises ValueError with a message saying what to pass when it is not given or incomplete.
    """
    if not given:
        raise ValueError(f"the anchors directory (pouchdb/ and slowlink.py, kept outside this "
                         f"repository) is not given: pass --anchors DIR or set {ENV}")
    home = Path(given).expanduser().resolve()
    missing = [name for name in needed if not (home / name).exists()]
    if missing:
        raise ValueError(f"the anchors directory {home} lacks {', '.join(missing)} "
                         f"(from --anchors or {ENV})")
    return home


def find_or_exit(parser: argparse.ArgumentParser, given: str | None, *needed: str) -> Path:
    """`find`, turning a missing directory into the parser's usage error (exit status 2)."""
    try:
        return find(given, *needed)
    except ValueError as e:
        parser.error(str(e))  # exits


def slowlink_argv(anchors: Path, *options: str) -> list[str]:
    """The command line of the anchors' slowlink.py with `options`."""
    return [sys.executable, str(anchors / "slowlink.py"), *options]


def pouchdb_home(anchors: Path) -> Path:
    """The anchor's four files copied outside the repository, with node_modules (`npm ci`
    once per package-lock, kept in the temporary directory between runs)."""
    source = anchors / "pouchdb"
    lock = (source / "package-lock.json").read_bytes()
    home = Path(tempfile.gettempdir()) / f"cunyi-anchor-{hashlib.sha256(lock).hexdigest()[:12]}"
    stamp = home / "node_modules" / ".bench-ok"
    if not stamp.exists():
        home.mkdir(parents=True, exist_ok=True)
        for name in POUCHDB_FILES:
            target = home / name
            shutil.copyfile(source / name, target)
            target.chmod(0o644)
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=home,
                       check=True, stdout=subprocess.DEVNULL)
        stamp.write_text("ok")
    return home


def run_pouchdb_bench(home: Path, n: int, url: str, stats_url: str) -> dict[str, Any]:
    """One run of the anchor's bench.js (push `n` records, then pull them); its figures."""
    out = subprocess.run(["node", "bench.js", "--n", str(n), "--batch", str(ANCHOR_BATCH),
                          "--url", url, "--stats", stats_url], cwd=home, capture_output=True,
                         text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(f"anchor bench.js failed ({out.returncode}): {out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])
