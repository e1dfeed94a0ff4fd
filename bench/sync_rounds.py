"""The timed part of bench/sync_bench.py: each round's measures, ours and the anchor's.

A `Rounds` holds the systems (started by bench/sync_bench.py), the enrolled phones, and
what every measure noted: times, requests and bytes per round (`runs`), the ids each push
sent (`pushed`), what each pull had to bring (`pulls`) and any departure (`problems`).
"""
from __future__ import annotations

import datetime as dt
import json
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import anchors, sync_data
from sync.client import HttpTransport, SyncClient

LOOP_N = 10_000
SLOW_N = 50
RUN_KEYS = (
    "push_s", "pull_s", "push_requests", "pull_requests", "anchor_push_s", "anchor_pull_s",
    "anchor_push_requests", "anchor_pull_requests", "slow_push_s", "slow_pull_s",
    "slow_push_requests", "slow_pull_requests", "slow_push_bytes", "slow_pull_bytes",
    "anchor_slow_push_s", "anchor_slow_pull_s", "anchor_slow_bytes", "anchor_slow_requests",
    "village_s", "village_bytes", "village_requests", "village_changes")


def log(msg: str) -> None:
    """A progress line on stderr (stdout carries the table and the JSON line)."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Phone(SyncClient):
    """The reference client, noting every change it stores (to find doubles and gaps)."""

    def __init__(self, path: str, transport):
        super().__init__(path, transport)
        self.received: list[tuple[str, str]] = []

    def apply_response(self, response: dict[str, Any]) -> None:
        """Store the response (all of it, or nothing: it raised) and note its changes."""
        super().apply_response(response)
        self.received += [(c["entity"], c["id"]) for c in response["changes"]]


def enrol(workdir: Path, name: str, base_url: str, username: str, password: str) -> Phone:
    """A new phone with its own SQLite store, enrolled for `username` at `base_url`."""
    phone = Phone(str(workdir / f"{name}.sqlite"), HttpTransport(base_url, timeout=300))
    phone.enrol(username, password, label=name)
    return phone


def via(phone: Phone, base_url: str) -> Phone:
    """Send this phone's next syncs to `base_url` (a new connection, as after a pause)."""
    phone.transport.close()
    phone.transport = HttpTransport(base_url, timeout=300)
    return phone


def timed_sync(phone: Phone) -> tuple[float, dict[str, int]]:
    """One sync of `phone`: its wall-clock seconds and the client's counts."""
    phone.received = []
    t = time.perf_counter()
    stats = phone.sync()
    return time.perf_counter() - t, stats


def link_stats(port: int, reset: bool = False) -> dict[str, int]:
    """A slowlink's byte counts (`/stats`), or zero them (`/reset`)."""
    method = "POST" if reset else "GET"
    req = urllib.request.Request(f"http://127.0.0.1:{port}/{'reset' if reset else 'stats'}",
                                 method=method, data=b"" if reset else None)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


@dataclass
class Systems:
    """The servers one run started: ours and the anchor, direct and through a slowlink."""

    ours: str  # base URLs on loopback
    anchor: str
    ours_slow: str
    anchor_slow: str
    ours_stats: int  # the slowlinks' /stats ports
    anchor_stats: int
    pouchdb_home: Path


@dataclass
class Phones:
    """The enrolled phones: loopback pusher and puller, one (pusher, fresh puller) pair per
    slow-link village with that village's data, and one fresh phone per big-village pull."""

    pusher: Phone
    puller: Phone
    slow: list[tuple[dict[str, Any], Phone, Phone]]
    villagers: list[Phone]


@dataclass
class Rounds:
    """Every measure of the run, each appending to `runs`."""

    systems: Systems
    phones: Phones
    residents: list[str]  # doctor01's residents, for the loopback follow-ups
    rounds: int
    today: dt.date = field(default_factory=lambda: dt.datetime.now(dt.UTC).date())
    runs: dict[str, list] = field(default_factory=lambda: {k: [] for k in RUN_KEYS})
    pushed: dict[str, list[str]] = field(default_factory=lambda: {"loop": [], "slow": []})
    # (label, record ids the pull must bring, what the phone received)
    pulls: list[tuple[str, set[str], list[tuple[str, str]]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def enter_day(self, r: int) -> tuple[list[str], list[str]]:
        """Round `r`'s work entered on the phones (not timed): the loopback and slow ids."""
        p = self.phones
        loop = [p.pusher.create("record", sync_data.followup(
            i, self.residents[i % len(self.residents)], self.today)) for i in range(LOOP_N)]
        village, slow_pusher, _ = p.slow[r]
        slow = [slow_pusher.create("record", sync_data.followup(
            i, village["resident_id"], self.today)) for i in range(SLOW_N)]
        self.pushed["loop"] += loop
        self.pushed["slow"] += slow
        return loop, slow

    def round(self, r: int) -> None:
        """One round: the two systems back to back, the one going first alternating."""
        loop_ids, slow_ids = self.enter_day(r)
        pairs = ((lambda: self.anchor_loop(r), lambda: self.ours_loop(r, loop_ids)),
                 (lambda: self.anchor_slow(r), lambda: self.ours_slow(r, slow_ids)))
        for first, second in pairs:
            if r % 2:
                first, second = second, first
            first()
            second()

    def anchor_loop(self, r: int) -> None:
        """The anchor's bench.js on loopback: push LOOP_N, pull them into a fresh client."""
        log(f"round {r + 1}/{self.rounds}: loopback, anchor")
        s = self.systems
        a = anchors.run_pouchdb_bench(s.pouchdb_home, LOOP_N, s.anchor, s.anchor)
        for key in ("push_s", "pull_s", "push_requests", "pull_requests"):
            self.runs[f"anchor_{key}"].append(a[key])

    def ours_loop(self, r: int, ids: list[str]) -> None:
        """Our pusher sends the round's LOOP_N; the up-to-date puller brings them."""
        log(f"round {r + 1}/{self.rounds}: loopback, ours")
        seconds, stats = timed_sync(self.phones.pusher)
        self.runs["push_s"].append(seconds)
        self.runs["push_requests"].append(stats["requests"])
        if stats["pushed"] != LOOP_N or stats["rejected"]:
            self.problems.append(f"loop push round {r + 1}: {stats}")
        puller = self.phones.puller
        seconds, stats = timed_sync(puller)
        self.runs["pull_s"].append(seconds)
        self.runs["pull_requests"].append(stats["requests"])
        self.pulls.append((f"loop pull {r + 1}", set(ids), list(puller.received)))

    def anchor_slow(self, r: int) -> None:
        """The anchor's bench.js through its slowlink with SLOW_N records."""
        log(f"round {r + 1}/{self.rounds}: slow link, anchor")
        s = self.systems
        link_stats(s.anchor_stats, reset=True)
        a = anchors.run_pouchdb_bench(s.pouchdb_home, SLOW_N, s.anchor_slow, s.anchor)
        seen = link_stats(s.anchor_stats)
        self.runs["anchor_slow_push_s"].append(a["push_s"])
        self.runs["anchor_slow_pull_s"].append(a["pull_s"])
        self.runs["anchor_slow_bytes"].append(seen["up_bytes"] + seen["down_bytes"])
        self.runs["anchor_slow_requests"].append(a["push_requests"] + a["pull_requests"])

    def _through_link(self, phone: Phone, prefix: str) -> dict[str, int]:
        """One timed sync of `phone` through our slowlink, noted under `prefix`_*."""
        port = self.systems.ours_stats
        link_stats(port, reset=True)
        seconds, stats = timed_sync(phone)
        seen = link_stats(port)
        self.runs[f"{prefix}_s"].append(seconds)
        self.runs[f"{prefix}_requests"].append(stats["requests"])
        self.runs[f"{prefix}_bytes"].append(seen["up_bytes"] + seen["down_bytes"])
        return stats

    def ours_slow(self, r: int, ids: list[str]) -> None:
        """A day's work pushed through the slow link, then pulled by a fresh phone."""
        log(f"round {r + 1}/{self.rounds}: slow link, ours")
        _village, pusher, fresh = self.phones.slow[r]
        stats = self._through_link(pusher, "slow_push")
        if stats["pushed"] != SLOW_N or stats["rejected"]:
            self.problems.append(f"slow push round {r + 1}: {stats}")
        self._through_link(fresh, "slow_pull")
        self.pulls.append((f"slow pull {r + 1}", set(ids), list(fresh.received)))

    def village_pull(self, r: int, of: int, big: dict[str, Any]) -> None:
        """A fresh phone of the big village's doctor pulls it all through the slow link."""
        log(f"village pull {r + 1}/{of}: {big['name']}, {big['residents']} residents, "
            f"{big['records']} records, slow link")
        phone = self.phones.villagers[r]
        stats = self._through_link(phone, "village")
        self.runs["village_changes"].append(stats["pulled"])
        got = {e: 0 for e in ("record", "resident", "household")}
        for entity, _ in phone.received:
            got[entity] = got.get(entity, 0) + 1
        if (got["record"], got["resident"], got["household"]) != (
                big["records"], big["residents"], big["households"]):
            self.problems.append(f"village pull {r + 1}: got {got}, expected {big}")
