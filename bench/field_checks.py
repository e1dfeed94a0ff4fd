"""The township's side of bench/field_chaos.py, and its check that phones hold the truth.

- `staff_work`: a township staff member editing the residents the phones edit, through
  the REST API (`PATCH /api/residents/<id>` on the version just read), and now and then
  moving one to another village of the township, which evicts it (and its records) from
  one village's phones: tombstones for the purge.
- `compare_all`: each phone's store against a fresh copy for its doctor (a device enrolled
  at the end, paged from cursor 0 on the server directly), which the document says holds
  every living entity of the doctor's villages. Ids and versions must match; residents
  and households whole; records in every field the phone holds (a phone learns its own
  record as sent plus `server_fields`, never the server's full rendering).
"""
from __future__ import annotations

import random
import threading
import time
from typing import Any

from sync.conformance.api import Account, Server

# A record's fields the server changes on each version, which a phone does not learn for
# its own accepted corrections (their changes do not come back; a result carries only
# `version` and `server_fields`).
SERVER_BOOKKEEPING = frozenset({"updated_at", "version"})


def staff_work(staff: Account, villages: list[int], until: float, rng: random.Random,
               out: dict[str, Any]) -> None:
    """Edit or move a resident every second or so until `until`."""
    while time.monotonic() < until:
        threading.Event().wait(rng.uniform(0.5, 1.5))
        village = rng.choice(villages)
        listed = staff.call("GET", f"/api/residents?village_id={village}&limit=200")
        if listed.status != 200:
            out["errors"].append(f"staff list: {listed}")
            continue
        items = listed.json["items"]
        if not items:
            continue
        rid = rng.choice(items)["id"]
        current = staff.call("GET", f"/api/residents/{rid}")
        if current.status == 404:
            continue  # moved away meanwhile
        if current.status != 200:
            out["errors"].append(f"staff read: {current}")
            continue
        if rng.random() < 0.2:
            change = {"village_id": rng.choice([v for v in villages if v != village]),
                      "household_id": None}
        else:
            change = rng.choice(({"phone": f"135{rng.randint(0, 99999999):08d}"},
                                 {"allergies": rng.choice(("花粉", "海鲜", "无"))},
                                 {"blood_type": rng.choice(("A", "B", "O"))}))
        reply = staff.call("PATCH", f"/api/residents/{rid}",
                           {"version": current.json["version"], **change})
        if reply.status == 200:
            out["moves" if "village_id" in change else "edits"] += 1
        elif reply.status == 409:
            out["stale"] += 1  # a phone's change landed between the read and the write
        else:
            out["errors"].append(f"staff edit: {reply}")


def server_view(server: Server, username: str, password: str) -> dict[str, dict]:
    """What a fresh copy for `username` holds: key -> {version, data}."""
    account = Account(server, username, password)
    account.login()
    device = account.enrol("field-chaos-check")
    held: dict[str, dict] = {}
    for page in device.pull_all():
        if page["reset"]:
            held.clear()
        for change in page["changes"]:
            k = f"{change['entity']}:{change['id']}"
            if change["op"] == "upsert":
                held[k] = {"version": change["version"], "data": change["data"]}
            else:
                held.pop(k, None)
    return held


def differences(phone: dict[str, dict], server: dict[str, dict]) -> list[str]:
    """How a phone's store departs from the server's view (at most a few per entity)."""
    out = []
    for k in sorted(phone.keys() | server.keys()):
        mine, theirs = phone.get(k), server.get(k)
        if mine is None:
            out.append(f"{k}: missing on the phone (server v{theirs['version']})")
        elif theirs is None:
            out.append(f"{k}: on the phone (v{mine['version']}), not in the server's view")
        elif mine["version"] != theirs["version"]:
            out.append(f"{k}: phone v{mine['version']}, server v{theirs['version']}")
        elif k.startswith("record:"):
            wrong = [f for f, v in mine["data"].items()
                     if f not in SERVER_BOOKKEEPING and theirs["data"].get(f) != v]
            if wrong:
                out.append(f"{k}: fields {wrong} differ")
        elif mine["data"] != theirs["data"]:
            wrong = sorted(f for f in mine["data"].keys() | theirs["data"].keys()
                           if mine["data"].get(f) != theirs["data"].get(f))
            out.append(f"{k}: fields {wrong} differ")
    return out


def compare_all(phones: list, server: Server, password: str) -> dict[str, list[str]]:
    """Each phone's differences from the server's view for its doctor."""
    return {p.name: differences(p.store, server_view(server, p.state["user"]["username"],
                                                     password)) for p in phones}
