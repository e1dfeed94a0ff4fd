"""A village doctor's phone for bench/field_chaos.py, written from docs/sync-protocol.md.

It speaks HTTP through the conformance suite's standard-library client
(sync/conformance/api.py), not through sync/client.py, so what it checks is the document.
Like a phone it keeps, in a file, what survives a restart: its token, the outbox, its copy
of the server's data, the cursor and `fresh_copy`; `restart` drops everything else and
reads that file again. The `Ledger` is the observer's notebook, shared by the phones: it
outlives restarts and is never read by a phone.

How it stores a response (the document's "Replays, and the order in which to store a
response"): results first, each only for an op it still holds; then, if the request's
cursor and `fresh_copy` are still the phone's (a twin request's older answer is not),
the changes in seq order and the new cursor. A reset keeps the outbox and the entities it
created that the server has not acknowledged yet, and drops the rest of the copy.
"""
from __future__ import annotations

import copy
import datetime as dt
import gzip
import http.client
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench.field_work import DoctorsWork, key
from sync.conformance.api import Device, Server

LINK_ERRORS = (OSError, http.client.HTTPException, EOFError, gzip.BadGzipFile)
GIVE_UP = 12  # attempts at one exchange before the phone leaves it for later
STUCK_AFTER = 5  # the same refusal this many times in a row: the phone is stuck


class Ledger:
    """What the observer saw: every op queued, every answer, every failure."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ops: dict[str, dict] = {}
        self.first: dict[str, dict] = {}  # op_id -> the first answer seen for it
        self.acked: dict[str, tuple[dict, dict]] = {}
        self.rejected: dict[str, tuple[dict, dict]] = {}
        self.replays_differing: list[str] = []
        self.failures: list[str] = []  # 5xx answers and stuck exchanges
        self.double_taps: dict[str, str] = {}  # second op_id -> first op_id
        self.sent: set[str] = set()  # op_ids that went out in a request
        self.count: Counter = Counter()

    def queued(self, op: dict) -> None:
        with self.lock:
            self.ops[op["op_id"]] = op
            self.count["ops"] += 1

    def answer(self, phone: str, op: dict, result: dict) -> None:
        """Note an answer; a later answer to the same op must equal the first."""
        with self.lock:
            first = self.first.setdefault(op["op_id"], result)
            if first is not result:
                self.count["replays"] += 1
                if first != result:
                    self.replays_differing.append(
                        f"{phone} op {op['op_id']}: first {json.dumps(first)[:300]} "
                        f"then {json.dumps(result)[:300]}")
            target = self.rejected if result["status"] == "rejected" else self.acked
            target.setdefault(op["op_id"], (op, result))

    def note(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.count[what] += n

    def fail(self, message: str) -> None:
        with self.lock:
            self.failures.append(message)


class Phone(DoctorsWork):
    """One enrolled phone: local store, outbox, cursor; the doctor's work and its syncs."""

    def __init__(self, name: str, path: Path, server: Server, ledger: Ledger,
                 rng: random.Random):
        self.name, self.path, self.server, self.ledger, self.rng = name, path, server, ledger, rng
        self.trace = False  # set by the bench when it keeps its directory
        self.lock = threading.Lock()
        self.restart(count=False)

    @classmethod
    def enrolled(cls, name: str, path: Path, account, server: Server, ledger: Ledger,
                 rng: random.Random) -> Phone:
        """Enrol a device for a logged-in `account` (online, once) and keep its state."""
        device = account.enrol(f"field-chaos-{name}")
        state = {"device_id": device.device_id, "token": device.token, "user": account.user,
                 "counter": 0, "cursor": 0, "fresh_copy": None, "reference_version": "",
                 "store": {}, "outbox": [], "max_batch": rng.randint(4, 30), "saves": 0}
        path.write_text(json.dumps(state))
        return cls(name, path, server, ledger, rng)

    # -- what a phone keeps -------------------------------------------------------------
    def restart(self, count: bool = True) -> None:
        """Lose everything in memory; read back what the phone had written."""
        self.state = json.loads(self.path.read_text())
        self.device = Device(self.server, self.state["device_id"], self.state["token"],
                             self.state["user"])
        self.villages = set(self.state["user"]["village_ids"])
        if count:
            self.ledger.note("restarts")

    def save(self) -> None:
        """Write the state as one atomic replacement (a local transaction)."""
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False))
        os.replace(tmp, self.path)

    @property
    def store(self) -> dict[str, dict]:
        return self.state["store"]

    def pending(self) -> list[dict]:
        return [o for o in self.state["outbox"] if o["state"] == "pending"]

    # -- the outbox ----------------------------------------------------------------------
    def queue(self, entity: str, action: str, entity_id: str, data: dict, base: int,
              split_after: bool = False) -> dict:
        """Queue one op (a fresh op_id, the next device_counter)."""
        self.state["counter"] += 1
        op = {"op_id": str(uuid.uuid4()), "device_counter": self.state["counter"],
              "entity": entity, "action": action, "id": entity_id, "base_version": base,
              "device_time": _now(), "data": data}
        self.ledger.queued(copy.deepcopy(op))
        self.state["outbox"].append({"op": op, "state": "pending", "split": split_after})
        return op

    # -- syncing ------------------------------------------------------------------------
    def batch(self) -> list[dict]:
        """The head of the outbox: at most the phone's batch size, ending after an op
        marked to end its batch (a double tap split over two requests)."""
        out = []
        for entry in self.pending():
            out.append(entry["op"])
            if entry["split"] or len(out) >= self.state["max_batch"]:
                break
        return out

    def body(self, push: list[dict], pull_limit: int) -> dict:
        """A request from the phone's cursor."""
        body = {"protocol": 1, "device_time": _now(), "cursor": self.state["cursor"],
                "reference_version": self.state["reference_version"],
                "pull_limit": pull_limit, "push": push}
        if self.state["fresh_copy"] is not None:
            body["fresh_copy"] = self.state["fresh_copy"]
        return body

    def post(self, body: dict) -> tuple[dict | None, str]:
        """Send one request; (the response, "") or (None, how it failed)."""
        self.ledger.note("requests")
        with self.ledger.lock:
            self.ledger.sent.update(op["op_id"] for op in body["push"])
        try:
            reply = self.device.post_sync(body, gzip_body=self.rng.random() < 0.5,
                                          accept_gzip=True)
        except LINK_ERRORS as e:
            self.ledger.note("link_failures")
            return None, f"link {type(e).__name__}"
        self._trace(body, reply.status, reply.json)
        if reply.status != 200 or not isinstance(reply.json, dict):
            code = (reply.json or {}).get("code") if isinstance(reply.json, dict) else None
            if reply.status >= 500:
                self.ledger.fail(f"{self.name}: HTTP {reply.status} {code}")
            self.ledger.note(f"http_{reply.status}")
            return None, f"HTTP {reply.status} {code}"
        return reply.json, ""

    def _trace(self, body: dict, status: int, answer: Any) -> None:
        """One line per answered request in `<phone>.trace` beside the phone's file, when
        the run keeps its directory (ids and seqs only: no personal data)."""
        if not self.trace:
            return
        line: dict[str, Any] = {"t": round(time.time(), 3), "cursor": body["cursor"],
                                "fresh_copy": body.get("fresh_copy"),
                                "limit": body["pull_limit"],
                                "push": [[o["op_id"][:8], o["entity"][:3], o["action"][:3],
                                          o["id"][:8]] for o in body["push"]],
                                "status": status}
        if status == 200 and isinstance(answer, dict):
            line.update(results=[r["status"][:3] for r in answer["results"]],
                        changes=[[c["seq"], c["op"][:3], c["id"][:8], c["version"]]
                                 for c in answer["changes"]],
                        to=answer["cursor"], more=answer["more"], reset=answer["reset"],
                        fc=answer.get("fresh_copy"))
        with self.lock, open(self.path.with_suffix(".trace"), "a") as out:
            out.write(json.dumps(line) + "\n")

    def store_response(self, body: dict, batch: list[dict], response: dict) -> None:
        """Results, then (if the request's cursor is still ours) changes and cursor."""
        with self.lock:
            held = {o["op"]["op_id"]: o for o in self.pending()}
            for op, result in zip(batch, response["results"], strict=True):
                self.ledger.answer(self.name, op, result)
                entry = held.pop(str(uuid.UUID(result["op_id"])), None)
                if entry is None:
                    continue  # already stored from another answer
                if result["status"] == "rejected":
                    entry["state"], entry["errors"] = "rejected", result.get("errors")
                    continue
                self.state["outbox"].remove(entry)
                self._apply_result(op, result)
            if response["reset"]:
                self.ledger.note("resets")
                self._drop_server_data()
                self.state.update(cursor=0, fresh_copy=None,
                                  reference_version=response["reference_version"])
            elif (body["cursor"], body.get("fresh_copy")) == (self.state["cursor"],
                                                              self.state["fresh_copy"]):
                if body["cursor"] == 0:
                    # The first page of a fresh copy replaces the copy, after the results:
                    # an entity they acknowledge comes again in it if the phone may see it,
                    # one that left the phone's villages in this push does not, and a
                    # fresh copy carries no tombstones (docs/sync-protocol.md).
                    self._drop_server_data()
                for change in response["changes"]:
                    k = key(change["entity"], change["id"])
                    if change["op"] == "upsert":
                        self.store[k] = {"version": change["version"], "data": change["data"]}
                    else:
                        self.store.pop(k, None)
                self.state.update(cursor=response["cursor"],
                                  fresh_copy=response.get("fresh_copy"),
                                  reference_version=response["reference_version"])
            self.save()

    def _drop_server_data(self) -> None:
        """Forget the copy of server data; keep what the server has not acknowledged."""
        self.state["store"] = {k: v for k, v in self.store.items() if v["version"] == 0}

    def _apply_result(self, op: dict, result: dict) -> None:
        k = key(op["entity"], op["id"])
        if op["action"] != "create" and k not in self.store:
            # An edit of an entity that left the phone meanwhile (evicted, or dropped by a
            # reset): the result only acknowledges the op; what the phone may see of it
            # comes in the changes or the fresh copy, as for the reference client.
            return
        if result["status"] == "duplicate":
            # Only removes the op (the document's table): the first answer stored the
            # entity, and a change since may have evicted it, which must stand.
            if k in self.store and op["action"] != "delete":
                self.store[k]["version"] = result["version"]
                if "data" in result:
                    self.store[k]["data"] = result["data"]
            return
        if op["action"] == "delete":
            self.store.pop(k, None)
        elif "data" in result:
            self.store[k] = {"version": result["version"], "data": result["data"]}
        else:  # a record: what was sent, with what the server decided of it
            data = {"id": str(uuid.UUID(op["id"])), **op["data"],
                    **(result.get("server_fields") or {})}
            if "device_created_at" not in op["data"] and result["status"] == "accepted":
                data["device_created_at"] = op["device_time"]  # the server's rule
            if op["action"] == "update" and k in self.store:
                data = {**self.store[k]["data"], **data}
            self.store[k] = {"version": result["version"], "data": data}

    def exchange(self, push: list[dict], pull_limit: int, twin: bool = False,
                 hard_kill: bool = False) -> dict | None:
        """One request, retried (with the same body) until it is answered, at most
        GIVE_UP times. `twin` sends it twice at once; `hard_kill` loses the first answer
        and restarts the phone before retrying, as a killed app does."""
        body = self.body(push, pull_limit)
        same, last = 0, ""
        for attempt in range(GIVE_UP):
            if twin and attempt == 0:
                response, how = self._twins(body, push)
            else:
                response, how = self.post(body)
            if response is not None and hard_kill and attempt == 0:
                self.ledger.note("hard_kills")
                self.restart()
                body = self.body(push, pull_limit)  # as the restarted phone builds it
                continue
            if response is not None:
                self.store_response(body, push, response)
                return response
            same = same + 1 if how == last and how.startswith("HTTP") else 1
            last = how
            if same >= STUCK_AFTER:
                self.ledger.fail(f"{self.name}: {how} {same} times in a row")
                return None
            self.rng_sleep(0.2 * (attempt + 1))
        self.ledger.fail(f"{self.name}: no answer in {GIVE_UP} attempts ({last})")
        return None

    def _twins(self, body: dict, push: list[dict]) -> tuple[dict | None, str]:
        """The same request twice at once (a double-tapped sync button)."""
        self.ledger.note("twin_requests")
        answers: list[tuple[dict | None, str]] = []
        other = threading.Thread(target=lambda: answers.append(self.post(body)))
        other.start()
        mine = self.post(body)
        other.join()
        good = [r for r, _ in (mine, *answers) if r is not None]
        if len(good) == 2:  # both stored, as a phone would; the ledger compares them
            self.store_response(body, push, good[1])
        return (good[0], "") if good else mine

    def sync(self, pull_limit: int | None = None, twin: bool = False,
             hard_kill: bool = False) -> bool:
        """Push the outbox and pull to the end, as one sync of the app; False when it
        had to give up (the link), leaving the rest for the next sync."""
        limit = pull_limit or self.rng.choice((5, 20, 100, 1000))
        paging = False
        for _ in range(500):
            push = [] if paging else self.batch()
            response = self.exchange(push, limit, twin=twin, hard_kill=hard_kill)
            twin = hard_kill = False
            if response is None:
                return False
            if response["reset"]:
                paging = False
                continue
            paging = response["more"]
            if not paging and not self.batch():
                return True
        return False

    def rng_sleep(self, seconds: float) -> None:
        threading.Event().wait(seconds * (0.5 + self.rng.random()))


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
