"""Decision records carry a status, and docs/adr/README.md lists each with that status.

A record's status line is what tells a reader whether it still describes the system; an
index that forgot a record, or still called a superseded one accepted, would send readers
to the wrong one.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ADR = Path(__file__).resolve().parent.parent / "docs" / "adr"
_STATUS = re.compile(r"^Status: (Accepted|Amended by \d{4}|Superseded by \d{4})\b")
_ROW = re.compile(r"^\| \[(\d{4})\]\((\S+?)\) \| .+? \| (.+?) \|$")


def _records() -> list[Path]:
    return sorted(ADR.glob("[0-9][0-9][0-9][0-9]-*.md"))


def status_of(path: Path) -> str | None:
    """The status kind a record declares in its first lines, e.g. 'Superseded by 0060'."""
    for line in path.read_text(encoding="utf-8").splitlines()[:8]:
        m = _STATUS.match(line)
        if m:
            return m.group(1)
    return None


def index_rows() -> dict[str, tuple[str, str]]:
    """number → (linked file name, status cell) from the index's table."""
    rows = {}
    for line in (ADR / "README.md").read_text(encoding="utf-8").splitlines():
        m = _ROW.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), re.sub(r"\[(\d{4})\]\([^)]*\)", r"\1", m.group(3)))
    return rows


@pytest.mark.parametrize("record", _records(), ids=lambda p: p.name)
def test_record_has_a_status(record: Path) -> None:
    """Each record says near its top: Accepted, Amended by NNNN or Superseded by NNNN."""
    assert status_of(record), f"{record.name}: no 'Status:' line in its first lines"


@pytest.mark.parametrize("record", _records(), ids=lambda p: p.name)
def test_index_lists_record_with_its_status(record: Path) -> None:
    """The index links the record and gives the status the record itself declares."""
    rows = index_rows()
    number = record.name[:4]
    assert number in rows, f"docs/adr/README.md does not list {record.name}"
    linked, cell = rows[number]
    assert linked == record.name
    assert cell.startswith(status_of(record) or "?"), (record.name, cell)
