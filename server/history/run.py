"""One import run: every row through the API's checks, each alone (docs/adr/0059).

A row is applied inside a savepoint with the sync log's writer marked before it: a row
refused anywhere (a cell, a schema, a service) is rolled back whole and its log rows
forgotten, so no resident is ever half stored. The run holds the sync counter's lock,
like a push, and commits once at the end; a dry run does all of it and rolls back, so
it refuses exactly the rows the real run would.
"""
from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from core.changelog import Writer
from core.models import User
from server.history import rows as handlers
from server.history.sheets import Sheet
from server.history.template import KINDS, CellError
from server.problems import ApiError
from server.services.audit import record_change


@dataclass(frozen=True)
class Refusal:
    """A row not imported: where (file or sheet, row, column) and why, in Chinese."""

    source: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source} 第{self.row}行 [{self.column or '整行'}] {self.reason}"


@dataclass
class Report:
    """What a run did, by kind: stored, already there (skipped), refused with reasons."""

    stored: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    other_village: int = 0
    refused: list[Refusal] = field(default_factory=list)

    def summary(self) -> dict:
        """Counts by kind, for the audit trail and the command's last line."""
        return {"stored": dict(self.stored), "skipped": dict(self.skipped),
                "other_village": self.other_village,
                "refused": len({(r.source, r.row) for r in self.refused})}


def run(session: Session, user: User, sheets: list[Sheet], *, dry_run: bool = False,
        villages: list[str] | None = None, files: list[Path] = (),
        progress: Callable[[int, int], None] | None = None, every: int = 500) -> Report:
    """Import `sheets` as `user` (township staff or admin); commit unless `dry_run`.

    `villages` (names or codes) keeps the run to those villages' rows; the others are
    counted, not refused. `progress(done, total)` is called every `every` rows."""
    report = Report()
    context = handlers.Context(session, user, villages)
    writer = Writer(session)
    context.writer = writer
    total = sum(len(s.rows) for s in sheets)
    done = 0
    for kind in KINDS:
        for sheet in (s for s in sheets if s.kind.key == kind.key):
            for group in handlers.groups(sheet):
                _apply(context, report, sheet, group)
                for _ in group:
                    done += 1
                    if progress is not None and done % every == 0:
                        progress(done, total)
    if progress is not None and done % every:
        progress(done, total)
    writer.finish()
    if dry_run:
        session.rollback()
        return report
    record_change(session, user, "history_import", "import", after={
        "files": [{"name": p.name, "sha256": _sha256(p)} for p in files if p.is_file()],
        **report.summary()}, note="历史数据导入")
    session.commit()
    return report


def _apply(context: handlers.Context, report: Report, sheet: Sheet,
           group: list[tuple[int, dict]]) -> None:
    """One row (or a child's doses of one day) in a savepoint of its own."""
    mark = context.writer.mark()
    savepoint = context.session.begin_nested()
    try:
        outcome = handlers.apply(context, sheet.kind, group)
    except (CellError, ValidationError, ApiError, handlers.RowError) as e:
        savepoint.rollback()
        context.writer.restore(mark)
        context.forget()
        reasons = _reasons(e, sheet.kind.columns)
        for number, _ in group:
            for column, reason in reasons.items():
                report.refused.append(Refusal(sheet.source, number, column, reason))
        return
    savepoint.commit()
    if outcome == "stored":
        report.stored[sheet.kind.name] += 1
    elif outcome == "skipped":
        report.skipped[sheet.kind.name] += 1
    else:
        report.other_village += len(group)


def _reasons(error: Exception, columns: dict) -> dict[str, str]:
    """{column: reason} of any refusal, fields named by their Chinese column."""
    if isinstance(error, handlers.RowError):
        return {error.column: error.reason}
    if isinstance(error, ApiError):
        flat = {f: [e.get("message", "") for e in errs] for f, errs in (error.errors or {}).items()
                if isinstance(errs, list)}
        return _by_column(flat, columns) or {"": error.message}
    if isinstance(error, ValidationError):
        return _by_column(_flatten(error.messages), columns)
    return {"": str(error)}


def _flatten(messages, prefix: str = "") -> dict[str, list[str]]:
    """Marshmallow's nested messages as {top-level field: [Chinese messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            top = prefix or str(key)
            for f, msgs in _flatten(value, top).items():
                out.setdefault(f, []).extend(msgs)
    elif isinstance(messages, list):
        for m in messages:
            if isinstance(m, (dict, list)):
                for f, msgs in _flatten(m, prefix).items():
                    out.setdefault(f, []).extend(msgs)
            else:
                out.setdefault(prefix or "_schema", []).append(str(m).partition("|")[2] or str(m))
    else:
        out.setdefault(prefix or "_schema", []).append(str(messages))
    return out


# Fields the template fills from another column, or that only a service names.
_ALSO = {"village_id": "村", "household_id": "户编号", "resident_id": "身份证号",
         "doctor_id": "医生", "responsible_doctor_id": "责任医生", "doses_given": "疫苗",
         "conditions": "疾病", "id": "", "_schema": ""}


def _by_column(flat: dict[str, list[str]], columns: dict) -> dict[str, str]:
    names = {c.field: name for name, c in columns.items()}
    out: dict[str, str] = {}
    for f, msgs in flat.items():
        column = names.get(f, _ALSO.get(f, f))
        text = "；".join(m for m in msgs if m)
        out[column] = f"{out[column]}；{text}" if column in out else text
    return out


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
