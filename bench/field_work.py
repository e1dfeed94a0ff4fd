"""What the doctor does on a phone of bench/field_chaos.py, between syncs.

Each action changes the phone's copy at once (the app shows the new state before any
sync) and queues its op in the outbox (`Phone.queue`); the bench saves the phone's state
after each, as the app saves in one local transaction. Every save of a new record or
resident carries a token of its own (`notes`, `past_history`), by which the bench finds a
save stored twice on the server.
"""
from __future__ import annotations

import copy
import datetime as dt
import uuid


def key(entity: str, entity_id: str) -> str:
    """The store's key of an entity (ids canonical, as the server answers)."""
    return f"{entity}:{uuid.UUID(entity_id)}"


class DoctorsWork:
    """The doctor's actions; mixed into `Phone`, whose state, rng and ledger they use."""

    def _token(self) -> str:
        self.state["saves"] += 1
        return f"{self.name}-{self.state['saves']}"

    def _pick(self, entity: str, mine: bool = False) -> tuple[str, dict] | None:
        found = [(k, v) for k, v in self.store.items() if k.startswith(entity + ":")
                 and v["version"] >= 1 and (not mine or v["data"].get("doctor_id")
                                            == self.state["user"]["id"])]
        return self.rng.choice(found) if found else None

    def new_household(self) -> None:
        """A new household and its first resident, in one of the doctor's villages."""
        village = self.rng.choice(sorted(self.villages))
        hid = str(uuid.uuid4())
        data = {"village_id": village, "address": f"{self.rng.randint(1, 9)}组"
                f"{self.rng.randint(1, 99)}号", "head_name": "王大河"}
        self.store[key("household", hid)] = {"version": 0, "data": {"id": hid, **data}}
        self.queue("household", "create", hid, data, 0)
        self.new_resident(hid, village)

    def new_resident(self, household: str | None = None, village: int | None = None) -> None:
        """A new resident (in a household the phone holds, or the one just made)."""
        if household is None:
            picked = self._pick("household")
            if picked is None:
                return
            household, village = picked[1]["data"]["id"], picked[1]["data"]["village_id"]
        rid = str(uuid.uuid4())
        data = {"village_id": village, "household_id": household, "name": "王小河",
                "sex": self.rng.choice(("male", "female")),
                "birth_date": f"19{self.rng.randint(40, 99)}-0{self.rng.randint(1, 9)}-1"
                              f"{self.rng.randint(0, 9)}",
                "phone": f"139{self.rng.randint(0, 99999999):08d}",
                "past_history": self._token()}
        self.store[key("resident", rid)] = {"version": 0, "data": {"id": rid, **data}}
        self.queue("resident", "create", rid, data, 0)

    def new_record(self, double_tap: bool = False) -> None:
        """A follow-up of a resident or a visit of a household the phone holds; a
        double-tapped save queues the same create twice (two op_ids, one id)."""
        resident = self._pick("resident")
        household = self._pick("household")
        day = (dt.date.today() - dt.timedelta(days=self.rng.randint(1, 20))).isoformat()
        if resident and (household is None or self.rng.random() < 0.7):
            data = {"kind": "hypertension_followup", "resident_id": resident[1]["data"]["id"],
                    "service_date": day, "mode": "home", "sbp": self.rng.randint(110, 180),
                    "dbp": self.rng.randint(60, 110), "notes": self._token(),
                    "medications": [{"drug": "硝苯地平缓释片", "dose": "20mg",
                                     "frequency": "bid"}]}
        elif household:
            data = {"kind": "household_visit", "household_id": household[1]["data"]["id"],
                    "service_date": day, "mode": "home", "notes": self._token()}
        else:
            return
        xid = str(uuid.uuid4())
        self.store[key("record", xid)] = {"version": 0, "data": {
            "id": xid, **data, "doctor_id": self.state["user"]["id"]}}
        first = self.queue("record", "create", xid, data, 0,
                           split_after=double_tap and self.rng.random() < 0.5)
        if double_tap:
            second = self.queue("record", "create", xid, copy.deepcopy(data), 0)
            self.ledger.double_taps[second["op_id"]] = first["op_id"]
            self.ledger.note("double_taps")

    def edit_resident(self) -> None:
        """Change a few fields of a resident, on the version the phone holds."""
        picked = self._pick("resident")
        if picked is None:
            return
        k, held = picked
        change = self.rng.choice(({"phone": f"137{self.rng.randint(0, 99999999):08d}"},
                                  {"allergies": self.rng.choice(("青霉素", "磺胺", "无"))},
                                  {"blood_type": self.rng.choice(("A", "B", "O", "AB"))}))
        held["data"].update(change)
        self.queue("resident", "update", held["data"]["id"], change, held["version"])

    def correct_or_void(self) -> None:
        """Correct one of the doctor's own records (the whole record), or void it."""
        picked = self._pick("record", mine=True)
        if picked is None:
            return
        k, held = picked
        rid = held["data"]["id"]
        if self.rng.random() < 0.3:
            del self.store[k]
            self.queue("record", "delete", rid, {}, held["version"])
            return
        data = {f: v for f, v in held["data"].items() if f not in (
            "id", "village_id", "doctor_id", "created_at", "updated_at", "version",
            "device_id", "deleted_at") and v is not None}
        if data.get("kind") == "hypertension_followup":
            data["sbp"] = self.rng.randint(110, 180)
        else:
            data["problems_found"] = self.rng.choice(("屋内潮湿", "无", "老人独居"))
        held["data"].update(data)
        self.queue("record", "update", rid, data, held["version"])
