"""A push's residents and households: mutable entities, merged field by field; the
resident/household path of `sync.push._Push`.

An op made on an older version is merged with what changed since (sync.merge): fields
only one side changed are taken, a field both changed keeps the server's value and the
device's goes to `sync_conflicts`. The merged entity must still be valid as a whole
(`server.schemas.people.load_edit`, the rule the REST API's edit uses too).
"""
from __future__ import annotations

from typing import Any

from core.models import Household, Resident
from core.serialize import jsonable, resident_dict, row_dict
from server.schemas.people import HouseholdSchema, ResidentSchema, load_edit
from server.services import people, scope
from sync import merge
from sync.push_records import reject


class PeopleEdits:
    """The resident/household path, mixed into `sync.push._Push`: it uses the push's
    session, user, device_id, writer and batch."""

    def _mutable(self, op: dict) -> dict[str, Any]:
        kind = op["entity"]
        model, schema = (Resident, ResidentSchema) if kind == "resident" else \
            (Household, HouseholdSchema)
        current = self.session.get(model, op["id"])
        # Scope before anything else: what follows would answer with the entity's data
        # (duplicate), store a conflict, or tell its version (unknown_base).
        if current is not None and current.village_id not in self.batch.villages:
            raise scope.not_yours()
        if op["action"] == "create" and current is None:
            data = schema().load({**op["data"], "id": str(op["id"])})
            create = people.create_resident if kind == "resident" else people.create_household
            entity = create(self.session, self.user, data, self.writer,
                            **self._meta(op, "accepted"))
            self.batch.forget(entity.id)
            return self._entity_result(kind, entity, "accepted", op)
        if current is None:
            raise scope.not_yours()  # the same answer as for another village's id
        if current.deleted_at is not None:
            raise reject("id", "unknown_entity", "档案不存在")
        # A create for an id that exists (a reinstalled phone re-sending) is an update of
        # version 1; identical content is a duplicate.
        base_version = op["base_version"] or 1
        changes = schema().load(op["data"], partial=True)
        snapshot_now = self._entity_dict(kind, current)
        if op["action"] == "create" and merge.same_values(changes, snapshot_now):
            return {"status": "duplicate", "version": current.version,
                    "data": snapshot_now}
        plan = merge.plan(self.session, kind, current, snapshot_now, changes, base_version,
                          self.device_id)
        status = "conflict" if plan.conflicts else (
            "merged" if base_version != current.version else "accepted")
        if plan.apply:
            # The merged values, loaded already, go back to wire form to be checked laid
            # over the stored entity; new conditions were checked by the partial load.
            load_edit(schema(), snapshot_now, {k: jsonable(v) for k, v in plan.apply.items()
                                               if k != "conditions"})
        if not plan.apply and not plan.conflicts:
            return {"status": "duplicate", "version": current.version, "data": snapshot_now}
        if plan.apply:
            entity = self._write_mutable(kind, current, plan.apply, op, status)
            seq = self.writer.seq_of_op[op["op_id"]]
        else:  # only conflicts: the server's values all stand, no new version
            entity, seq = current, None
        merge.record_conflicts(self.session, kind, entity, plan.conflicts, op, seq,
                               self.device_id, self.user.id, self.writer.now)
        result = self._entity_result(kind, entity, status, op)
        if plan.conflicts:
            result["conflicts"] = [
                {"field": c.field, "kept": jsonable(c.kept), "yours": jsonable(c.lost)}
                for c in plan.conflicts]
        return result

    def _write_mutable(self, kind: str, current: Any, apply: dict, op: dict, status: str):
        meta = self._meta(op, status)
        if kind == "resident":
            entity = people.update_resident(self.session, self.user, current.id, dict(apply),
                                            current.version, self.writer, **meta)
            self.batch.forget(entity.id)
            return entity
        return people.update_household(self.session, self.user, current.id, dict(apply),
                                       self.writer, **meta)

    def _entity_dict(self, kind: str, entity: Any) -> dict[str, Any]:
        return resident_dict(entity) if kind == "resident" else row_dict(entity)

    def _entity_result(self, kind: str, entity: Any, status: str, op: dict) -> dict[str, Any]:
        return {"status": status, "version": entity.version,
                "seq": self.writer.seq_of_op.get(op["op_id"]),
                "data": self._entity_dict(kind, entity)}
