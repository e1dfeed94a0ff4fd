"""Schemas for households and residents."""
from __future__ import annotations

from marshmallow import ValidationError, validates, validates_schema

from core.models.people import CONDITIONS, RESIDENCE_TYPES, RESIDENT_STATUSES, SEXES
from server.cards.codes import QR_LENGTH, is_qr_code
from server.schemas.base import (
    ApiSchema,
    Bool,
    Choice,
    Date,
    Int,
    List,
    Nested,
    Str,
    Uuid,
    validate_not_future,
    validate_person_name,
    validate_phone,
    validate_plausible_past,
)
from server.validation import idcard


class HouseholdSchema(ApiSchema):
    """A household as created or edited by a doctor."""

    id = Uuid()
    village_id = Int(lo=1, required=True)
    group_no = Str(max_len=20)
    house_no = Str(max_len=20)
    address = Str(max_len=200)
    head_name = Str(max_len=50, validate=[validate_person_name])
    phone = Str(max_len=20, allow_none=True, validate=[validate_phone])
    kitchen_ventilation = Str(max_len=20, allow_none=True)
    fuel = Str(max_len=20, allow_none=True)
    drinking_water = Str(max_len=20, allow_none=True)
    toilet = Str(max_len=20, allow_none=True)
    animal_pen = Str(max_len=20, allow_none=True)
    low_income = Bool()
    responsible_doctor_id = Int(lo=1, allow_none=True)


class ConditionSchema(ApiSchema):
    """A registered condition under management."""

    condition = Choice(CONDITIONS, required=True)
    diagnosed_on = Date(allow_none=True, validate=[validate_not_future, validate_plausible_past])
    managed_since = Date(required=True, validate=[validate_not_future, validate_plausible_past])
    ended_on = Date(allow_none=True, validate=[validate_not_future])


def validate_card_code(value: str) -> None:
    """A card code as a scanner reads it from one of our QR cards."""
    if not is_qr_code(value):
        raise ValidationError("card_format|这不是本系统的居民卡二维码")


class ResidentSchema(ApiSchema):
    """A resident's health record."""

    id = Uuid()
    household_id = Uuid(allow_none=True)
    village_id = Int(lo=1, required=True)
    name = Str(max_len=50, min_len=1, required=True, validate=[validate_person_name])
    sex = Choice(SEXES, required=True)
    birth_date = Date(required=True, validate=[validate_not_future, validate_plausible_past])
    national_id = Str(max_len=20, allow_none=True)
    relationship_to_head = Str(max_len=20, allow_none=True)
    phone = Str(max_len=20, allow_none=True, validate=[validate_phone])
    contact_name = Str(max_len=50, allow_none=True, validate=[validate_person_name])
    contact_phone = Str(max_len=20, allow_none=True, validate=[validate_phone])
    residence_type = Choice(RESIDENCE_TYPES)
    permanent = Bool()
    ethnicity = Str(max_len=20, allow_none=True)
    blood_type = Choice(("A", "B", "O", "AB", "unknown"), allow_none=True)
    payment_type = Str(max_len=30, allow_none=True)
    allergies = Str(max_len=500, allow_none=True)
    past_history = Str(max_len=2000, allow_none=True)
    family_history = Str(max_len=2000, allow_none=True)
    disability = Str(max_len=50, allow_none=True)
    pregnant = Bool()
    status = Choice(RESIDENT_STATUSES)
    moved_in_on = Date(allow_none=True, validate=[validate_not_future])
    moved_out_on = Date(allow_none=True, validate=[validate_not_future])
    died_on = Date(allow_none=True, validate=[validate_not_future])
    record_created_on = Date(allow_none=True, validate=[validate_not_future])
    contract_team = Str(max_len=50, allow_none=True)
    contract_signed_on = Date(allow_none=True, validate=[validate_not_future])
    contract_package = Str(max_len=50, allow_none=True)
    conditions = List(Nested(ConditionSchema), max_items=10)
    # A scanned blank card linked at the door (server/cards/service.py link()).
    card_code = Str(max_len=QR_LENGTH, validate=[validate_card_code])

    @validates("national_id")
    def _national_id(self, value: str | None, **kwargs) -> None:
        if value is None:
            return
        try:
            idcard.validate(value)
        except idcard.NationalIdError as e:
            raise ValidationError(_ID_MESSAGES[e.code]) from None

    @validates_schema
    def _consistent(self, data: dict, partial=None, **kwargs) -> None:
        """The ID number must agree with the birth date and sex; dates must follow birth."""
        errors: dict[str, list[str]] = {}
        nid, born = data.get("national_id"), data.get("birth_date")
        if nid and born:
            try:
                nid = idcard.validate(nid)
            except idcard.NationalIdError:
                nid = None  # already reported by the field validator
            if nid and idcard.birth_date_of(nid) != born:
                errors["national_id"] = [_BIRTH_MISMATCH]
            elif nid and data.get("sex") in ("male", "female") and \
                    idcard.sex_of(nid) != data["sex"]:
                errors["national_id"] = [_SEX_MISMATCH]
        if born:
            for key in ("died_on", "moved_in_on", "moved_out_on", "contract_signed_on"):
                if data.get(key) and data[key] < born:
                    errors[key] = ["before_birth|日期不能早于出生日期"]
        if data.get("status") == "deceased" and not data.get("died_on"):
            errors["died_on"] = ["required|死亡状态须填写死亡日期"]
        if errors:
            raise ValidationError(errors)

    def load(self, data, **kwargs):
        """Load, then store the ID number in its normal form ('x' → 'X', no spaces)."""
        out = super().load(data, **kwargs)
        if out.get("national_id"):
            out["national_id"] = idcard.normalise(out["national_id"])
        return out



def load_edit(schema: ApiSchema, stored: dict, changes: dict) -> dict:
    """Validate an edit of a stored resident or household as the whole entity it makes, so
    rules across fields (the ID number against the birth date and sex, dates after birth)
    hold after it: `changes` (as sent) laid over `stored` (the entity as `core.serialize`
    gives it) and loaded with `schema`. Returns the loaded values of the changed fields.

    Stored values that are empty, the id and the stored conditions are left out of the
    whole: empty is what an absent field means, and no rule spans the id or the
    conditions and other fields. Used by the REST API's edit and by a sync push's merge."""
    whole = {k: v for k, v in stored.items()
             if k in schema.fields and v is not None and k not in ("id", "conditions")}
    whole.update(changes)
    loaded = schema.load(whole)
    return {k: v for k, v in loaded.items() if k in changes}


_BIRTH_MISMATCH = "national_id_birth_mismatch|身份证号中的出生日期与填写的出生日期不一致"
_SEX_MISMATCH = "national_id_sex_mismatch|身份证号中的性别与填写的性别不一致"
_ID_MESSAGES = {
    "national_id_format": "national_id_format|身份证号应为18位（最后一位可为X）",
    "national_id_birth_date": "national_id_birth_date|身份证号中的出生日期无效",
    "national_id_checksum": "national_id_checksum|身份证号校验位不正确，请核对",
}
