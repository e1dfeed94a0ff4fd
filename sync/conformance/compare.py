"""Comparing a live answer with a golden vector's: the same shape, status and fields, with
the vector's ids read as this run's and values the server makes afresh (seqs, times,
numbers it hands out) checked only for presence."""
from __future__ import annotations

from typing import Any

from sync.conformance.runner import Fail

# Made by the server at each run: present in both, not compared.
FRESH = frozenset({"seq", "cursor", "server_time", "created_at", "updated_at",
                   "record_created_on", "record_no", "household_no", "reference_version",
                   "committed_at", "own_seqs", "doctor_id"})


def differences(expected: Any, actual: Any, ids: dict[str, str], path: str = "") -> list[str]:
    """Where `actual` departs from `expected` (vector ids and villages read through `ids`)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path or 'answer'}: expected an object, got {actual!r:.80}"]
        out = []
        missing, extra = expected.keys() - actual.keys(), actual.keys() - expected.keys()
        if missing:
            out.append(f"{path or 'answer'}: missing {sorted(missing)}")
        if extra:
            out.append(f"{path or 'answer'}: unexpected {sorted(extra)}")
        for key in expected.keys() & actual.keys():
            if key in FRESH:
                continue
            out += differences(expected[key], actual[key], ids, f"{path}.{key}".lstrip("."))
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{path}: expected {len(expected)} items, got {actual!r:.120}"]
        out = []
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            out += differences(e, a, ids, f"{path}[{i}]")
        return out
    if isinstance(expected, (str, int)) and not isinstance(expected, bool):
        expected = ids.get(str(expected), expected) if path.rsplit(".", 1)[-1] in (
            "id", "op_id", "household_id", "resident_id", "village_id") else expected
        if isinstance(expected, str) and isinstance(actual, int):
            actual = str(actual)
    if expected != actual:
        return [f"{path}: expected {expected!r:.80}, got {actual!r:.80}"]
    return []


def same_keys(expected: dict, actual: dict, what: str) -> None:
    """Fail unless both objects have the same keys."""
    if not isinstance(actual, dict):
        raise Fail(f"{what}: expected an object, got {actual!r:.80}")
    missing, extra = expected.keys() - actual.keys(), actual.keys() - expected.keys()
    if missing or extra:
        raise Fail(f"{what}: missing {sorted(missing)}, unexpected {sorted(extra)}")


def like(expected: Any, actual: Any, ids: dict[str, str], what: str) -> None:
    """Fail, naming the first few differences, unless `actual` is like `expected`."""
    found = differences(expected, actual, ids)
    if found:
        raise Fail(f"{what}: " + "; ".join(found[:4]))
