"""The suite's frame: a registry of cases, the world they share, and how a run is reported.

A case is a function of the shared `World`. It passes by returning, fails by raising
`Fail` (or any exception: a case that crashes is a failure, with the exception named), and
is skipped by raising `Skip` (credentials or an endpoint it needs are missing).
"""
from __future__ import annotations

import datetime as dt
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from typing import Any, TextIO

from sync.conformance.api import Account, Device, Server


class Fail(AssertionError):
    """The server did not answer as docs/sync-protocol.md says."""


class Skip(Exception):
    """The case cannot run here (missing credentials or endpoint)."""


def check(condition: Any, message: str) -> None:
    """Fail with `message` unless `condition` holds."""
    if not condition:
        raise Fail(message)


CASES: list[tuple[str, Callable[[World], None], tuple[str, ...]]] = []
# Cases run by group in this order (the golden conversation first), then as registered.
GROUPS = ("vectors", "status", "request", "edge")


def case(name: str, needs: tuple[str, ...] = ()) -> Callable:
    """Register a case under `name`; `needs` names the extra accounts it uses
    ("staff", "admin", "other")."""
    def register(fn: Callable[[World], None]) -> Callable[[World], None]:
        CASES.append((name, fn, needs))
        return fn
    return register


class World:
    """What the cases share: the server, the accounts, and a household and resident made
    afresh for this run in the user's first village."""

    def __init__(self, server: Server, user: Account, other: Account | None = None,
                 staff: Account | None = None, admin: Account | None = None):
        self.server, self.user = server, user
        self.accounts = {"other": other, "staff": staff, "admin": admin}
        self.run = uuid.uuid4().hex[:6]  # in device labels, to tell runs apart
        self.village = 0
        self.household = self.resident = ""
        self.phone: Device | None = None  # the user's first device, synced to the end

    def account(self, role: str) -> Account:
        """The logged-in account for `role`, or Skip naming the flag that is missing."""
        found = self.accounts.get(role)
        if found is None:
            raise Skip(f"needs --{role}-user and --{role}-password")
        return found

    def device(self, label: str, account: Account | None = None, synced: bool = True) -> Device:
        """A newly enrolled device of the user (or of `account`), pulled to the end."""
        device = (account or self.user).enrol(f"conformance-{self.run}-{label}")
        if synced:
            device.pull_all()
        return device

    def service_date(self, days_ago: int = 3) -> str:
        """A date a record may carry (not in the future, in any time zone)."""
        return (dt.date.today() - dt.timedelta(days=days_ago)).isoformat()

    def setup(self) -> None:
        """Log everyone in; make this run's household and resident with the first device."""
        self.user.login()
        for account in self.accounts.values():
            if account is not None:
                account.login()
        villages = sorted(self.user.user.get("village_ids") or [])
        if not villages:
            raise RuntimeError("the user serves no village: give a village doctor's account")
        self.village = villages[0]
        self.phone = self.device("main")
        self.household, self.resident = str(uuid.uuid4()), str(uuid.uuid4())
        response = self.phone.sync([
            self.phone.op("household", "create", self.household, self.household_body()),
            self.phone.op("resident", "create", self.resident, self.resident_body()),
        ])
        statuses = [r["status"] for r in response["results"]]
        if statuses != ["accepted", "accepted"]:
            raise RuntimeError(f"could not create this run's household and resident: "
                               f"{response['results']}")

    def household_body(self, **change: Any) -> dict[str, Any]:
        """A new household's data in the user's village."""
        return {"village_id": self.village, "address": "向量村1组1号",
                "head_name": "向大山", **change}

    def resident_body(self, household: str | None = None, **change: Any) -> dict[str, Any]:
        """A new resident's data (the golden vectors' resident)."""
        return {"village_id": self.village, "household_id": household or self.household,
                "name": "向大山", "sex": "male", "birth_date": "1955-05-05",
                "phone": "13800000001", **change}

    def follow_up(self, **change: Any) -> dict[str, Any]:
        """A hypertension follow-up of this run's resident, as a phone sends it."""
        return {"kind": "hypertension_followup", "resident_id": self.resident,
                "service_date": self.service_date(), "mode": "home", "sbp": 150, "dbp": 95,
                "medications": [{"drug": "硝苯地平缓释片", "dose": "20mg", "frequency": "bid"}],
                **change}


def ordered() -> list[tuple[str, Callable[[World], None], tuple[str, ...]]]:
    """The registered cases in running order."""
    def group(entry: tuple) -> int:
        prefix = entry[0].split(".", 1)[0]
        return GROUPS.index(prefix) if prefix in GROUPS else len(GROUPS)
    return sorted(CASES, key=group)


def run(world: World, only: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    """Run every case (or those whose name contains one of `only`), print one line each
    and a summary; return the number of failures."""
    counts = {"PASS": 0, "FAIL": 0, "SKIP": 0}
    try:
        world.setup()
    except Exception as e:  # nothing can run without the accounts and the resident
        print(f"FAIL setup: {e}", file=out)
        return 1
    for name, fn, _needs in ordered():
        if only and not any(o in name for o in only):
            continue
        started = time.monotonic()
        try:
            fn(world)
            verdict, reason = "PASS", ""
        except Skip as e:
            verdict, reason = "SKIP", str(e)
        except Fail as e:
            verdict, reason = "FAIL", str(e)
        except Exception as e:  # a crash in a case (or an unexpected answer shape) fails it
            where = traceback.extract_tb(e.__traceback__)[-1]
            verdict = "FAIL"
            reason = f"{type(e).__name__}: {e} (at {where.name}:{where.lineno})"
        counts[verdict] += 1
        took = f" [{time.monotonic() - started:.1f}s]" if verdict != "SKIP" else ""
        print(f"{verdict} {name}" + (f": {_short(reason)}" if reason else "") + took,
              file=out, flush=True)
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped",
          file=out)
    return counts["FAIL"]


def _short(reason: str, limit: int = 400) -> str:
    reason = " ".join(reason.split())
    return reason if len(reason) <= limit else reason[:limit] + "…"
