"""The figures of bench/sync_bench.py, and its table: medians of rounds, paired ratios."""
from __future__ import annotations

import statistics
from typing import Any

from bench.sync_rounds import LOOP_N

GOALS = {"push_ratio": 3.0, "pull_ratio": 3.0, "slow_push_ratio": 5.0, "slow_pull_ratio": 5.0,
         "village_initial_pull_s": 60.0}


def figures(runs: dict[str, list], lost: int, duplicated: int) -> dict[str, Any]:
    """The headline figures from each round's measures (`runs`, as sync_rounds notes them).

    Rates are medians over rounds of records per second; a ratio is the median over rounds
    of (the anchor's time / ours), each round's pair run back to back, so the machine's noise
    is paired out.
    """
    med = {k: statistics.median(v) for k, v in runs.items() if v}

    def rate(key: str) -> int:
        return round(statistics.median(LOOP_N / x for x in runs[key]))

    def ratio(ours_key: str, anchor_key: str) -> float:
        return round(statistics.median(
            a / o for a, o in zip(runs[anchor_key], runs[ours_key], strict=True)), 2)

    return {
        "push_records_per_s": rate("push_s"),
        "pull_records_per_s": rate("pull_s"),
        "anchor_push_records_per_s": rate("anchor_push_s"),
        "anchor_pull_records_per_s": rate("anchor_pull_s"),
        "slow_push_50_s": round(med["slow_push_s"], 2),
        "anchor_slow_push_50_s": round(med["anchor_slow_push_s"], 2),
        "slow_pull_50_s": round(med["slow_pull_s"], 2),
        "anchor_slow_pull_50_s": round(med["anchor_slow_pull_s"], 2),
        "village_initial_pull_s": round(med["village_s"], 1),
        "village_initial_pull_bytes": round(med["village_bytes"]),
        "lost": lost,
        "duplicated": duplicated,
        "push_ratio": ratio("push_s", "anchor_push_s"),
        "pull_ratio": ratio("pull_s", "anchor_pull_s"),
        "slow_push_ratio": ratio("slow_push_s", "anchor_slow_push_s"),
        "slow_pull_ratio": ratio("slow_pull_s", "anchor_slow_pull_s"),
        "push_requests": med["push_requests"], "pull_requests": med["pull_requests"],
        "anchor_push_requests": med["anchor_push_requests"],
        "anchor_pull_requests": med["anchor_pull_requests"],
        "slow_push_requests": med["slow_push_requests"],
        "slow_pull_requests": med["slow_pull_requests"],
        "slow_push_bytes": round(med["slow_push_bytes"]),
        "slow_pull_bytes": round(med["slow_pull_bytes"]),
        "anchor_slow_requests": med["anchor_slow_requests"],
        "anchor_slow_bytes": round(med["anchor_slow_bytes"]),
        "village_initial_pull_requests": med["village_requests"],
        "village_changes": med["village_changes"],
    }


def _ok(flag: bool) -> str:
    return "met" if flag else "MISSED"


def table_rows(f: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per measure: what, ours, the anchor's, the paired ratio, the goal, met?"""
    return [
        ("push 10,000, loopback (records/s)", f"{f['push_records_per_s']:,}",
         f"{f['anchor_push_records_per_s']:,}", f"{f['push_ratio']}x", "≥ 3x",
         _ok(f["push_ratio"] >= GOALS["push_ratio"])),
        ("pull 10,000, loopback (records/s)", f"{f['pull_records_per_s']:,}",
         f"{f['anchor_pull_records_per_s']:,}", f"{f['pull_ratio']}x", "≥ 3x",
         _ok(f["pull_ratio"] >= GOALS["pull_ratio"])),
        ("push 50, slow link (s)", f"{f['slow_push_50_s']}", f"{f['anchor_slow_push_50_s']}",
         f"{f['slow_push_ratio']}x", "≥ 5x",
         _ok(f["slow_push_ratio"] >= GOALS["slow_push_ratio"])),
        ("fresh pull of 50, slow link (s)", f"{f['slow_pull_50_s']}",
         f"{f['anchor_slow_pull_50_s']}", f"{f['slow_pull_ratio']}x", "≥ 5x",
         _ok(f["slow_pull_ratio"] >= GOALS["slow_pull_ratio"])),
        (f"village initial pull, slow link (s; {f['village']['records']:,} records)",
         f"{f['village_initial_pull_s']}", "-", "-", "< 60 s",
         _ok(f["village_initial_pull_s"] < GOALS["village_initial_pull_s"])),
        ("village initial pull, bytes on the wire", f"{f['village_initial_pull_bytes']:,}",
         "-", "-", "-", ""),
        ("requests: push / pull 10,000", f"{f['push_requests']} / {f['pull_requests']}",
         f"{f['anchor_push_requests']} / {f['anchor_pull_requests']}", "-", "-", ""),
        ("requests: slow push 50 / fresh pull 50 (anchor: both)",
         f"{f['slow_push_requests']} / {f['slow_pull_requests']}",
         f"{f['anchor_slow_requests']}", "-", "-", ""),
        ("bytes: slow push 50 + pull 50 (anchor: both)",
         f"{f['slow_push_bytes'] + f['slow_pull_bytes']:,}", f"{f['anchor_slow_bytes']:,}",
         "-", "-", ""),
        ("lost / duplicated", f"{f['lost']} / {f['duplicated']}", "-", "-", "0 / 0",
         _ok(f["lost"] == 0 and f["duplicated"] == 0)),
    ]


def print_table(f: dict[str, Any]) -> None:
    """The figures as an aligned text table, then any problems found."""
    rows = table_rows(f)
    head = ("measure (median of rounds)", "ours", "anchor", "ratio (paired)", "goal", "")
    widths = [max(len(str(r[i])) for r in [*rows, head]) for i in range(len(head))]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)))
    if f["problems"]:
        print("problems:", *f["problems"], sep="\n  ")
