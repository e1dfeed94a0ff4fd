"""Python modules stay a size a reader can hold: none over 400 lines (STYLE.md, issue 22).

A file past that is split along its seams (as sync/push.py and sync/client.py were). Two
kinds of file are long by nature and named here: word tables, where splitting would only
scatter the words, and migrations generated from the models. The phone's modules have
the same rule in tests/pwa/test_modules.py.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 400
TREES = ("core", "server", "sync", "bench", "scripts", "tests", "migrations")
EXEMPT = {
    "server/township/i18n.py",  # the township pages' word table
    "migrations/versions/0001_initial_schema.py",  # generated: every table at once
}
# Not ours, or not source: a virtualenv or node_modules inside a tree, caches.
SKIPPED_DIRS = {".venv", "node_modules", "__pycache__", ".pytest_cache"}


def python_files() -> list[Path]:
    """Every .py file under the checked trees, outside skipped folders."""
    return [p for tree in TREES for p in (ROOT / tree).rglob("*.py")
            if not SKIPPED_DIRS.intersection(p.relative_to(ROOT).parts)]


def line_count(path: Path) -> int:
    """Lines as an editor numbers them."""
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_python_module_past_the_size_the_house_splits_at():
    over = {p.relative_to(ROOT).as_posix(): n for p in python_files()
            if (n := line_count(p)) > MAX_LINES}
    for name in EXEMPT:
        over.pop(name, None)
    assert not over, f"split these (lines): {over}"


def test_the_exemptions_still_name_files():
    """An exemption for a file that was renamed or removed would hide nothing but mislead."""
    assert all((ROOT / name).is_file() for name in EXEMPT)


def test_the_walk_finds_the_trees_it_checks():
    """A moved tree would leave the size check passing on nothing (scripts/ holds shell
    scripts only today)."""
    found = {p.relative_to(ROOT).parts[0] for p in python_files()}
    assert found >= set(TREES) - {"scripts"}
