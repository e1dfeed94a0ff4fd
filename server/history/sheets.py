"""Reading the export: CSV files and xlsx workbooks, one sheet or file per kind.

A CSV file's name says its kind (居民.csv, 高血压随访.csv); a workbook's sheets are named
by kind. CSV may be UTF-8 (with or without BOM) or GB18030, which is what Excel writes on
a Chinese Windows. The first row holds the column names; rows are numbered as the
spreadsheet shows them (the header is row 1).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.history.template import Kind, kind_of


class SheetError(ValueError):
    """A file or sheet that cannot be imported at all (message in Chinese)."""


@dataclass
class Sheet:
    """One sheet of one kind: where it came from and its rows as {column: cell}."""

    kind: Kind
    source: str
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


def read(paths: list[Path]) -> list[Sheet]:
    """Every sheet of every file (a directory: its CSV and xlsx files, by name)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.iterdir() if p.suffix.lower() in (".csv", ".xlsx"))
        else:
            files.append(path)
    sheets: list[Sheet] = []
    for path in files:
        suffix = path.suffix.lower()
        if suffix == ".csv":
            sheets.append(_sheet(path.stem, path.name, _csv_rows(path)))
        elif suffix == ".xlsx":
            sheets += [_sheet(name, f"{path.name}:{name}", rows)
                       for name, rows in _xlsx_sheets(path)]
        else:
            raise SheetError(f"{path.name}：只能导入 CSV 或 xlsx 文件")
    return sheets


def _sheet(name: str, source: str, rows: Iterator[list[Any]]) -> Sheet:
    kind = kind_of(name)
    if kind is None:
        raise SheetError(f"{source}：无法从名称判断数据类型（应含“居民”“家庭”“慢病”“高血压”"
                         "“糖尿病”“老年人”或“接种”）")
    header = next(rows, None)
    if header is None:
        return Sheet(kind, source)
    names = [str(h).strip() if h is not None else "" for h in header]
    unknown = [n for n in names if n and n not in kind.columns]
    if unknown:
        raise SheetError(f"{source}：不认识的列 {'、'.join(unknown)}"
                         "（模板见 docs/history-import.md）")
    missing = [n for n, c in kind.columns.items() if c.required and n not in names]
    if missing:
        raise SheetError(f"{source}：缺少必填列 {'、'.join(missing)}")
    sheet = Sheet(kind, source)
    for number, cells in enumerate(rows, start=2):
        row = {n: v for n, v in zip(names, cells, strict=False) if n}
        if any(v not in (None, "") for v in row.values()):
            sheet.rows.append((number, row))
    return sheet


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            body = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError(f"{path.name}：文件编码无法识别（请存为 UTF-8 或 GBK 的 CSV）")
    return iter(list(csv.reader(io.StringIO(body, newline=""))))


def _xlsx_sheets(path: Path) -> Iterator[tuple[str, Iterator[list[Any]]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises many kinds for a damaged or foreign file
        raise SheetError(f"{path.name}：不是可读的 xlsx 文件") from e
    for ws in book.worksheets:
        yield ws.title, (list(r) for r in ws.iter_rows(values_only=True))
