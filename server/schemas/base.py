"""Fields and a base schema whose every message is "machine_code|中文说明".

server.errors.field_errors splits these into {code, message}. Keeping the code and the
Chinese text in one string lets marshmallow's own machinery (required, null, type,
unknown) speak the one error shape without a translation table in the views.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from core.clock import today_local
from core.jsontext import has_surrogate


class ApiSchema(Schema):
    """Base schema: unknown keys are refused; messages carry a code."""

    class Meta:
        unknown = RAISE

    error_messages = {
        "unknown": "unknown_field|不允许的字段",
        "type": "type|数据格式应为对象",
    }


_COMMON = {
    "required": "required|必填项",
    "null": "null|不能为空",
    "validator_failed": "invalid|数值无效",
}


class Str(fields.String):
    """A string; `max_len` is always enforced so huge strings are refused."""

    default_error_messages = {**_COMMON, "invalid": "type|应为文字",
                              "invalid_utf8": "type|编码无效"}

    def __init__(self, max_len: int = 200, min_len: int = 0, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        validators.append(validate.Length(min=min_len, max=max_len,
                                          error=f"length|长度应在 {min_len}–{max_len} 个字之间"))
        super().__init__(validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        out = super()._deserialize(value, attr, data, **kwargs)
        refuse_bad_chars(out)
        return out


class Int(fields.Integer):
    """An integer (strict: "12" and 12.5 are refused)."""

    default_error_messages = {**_COMMON, "invalid": "type|应为整数", "too_large": "range|数值过大"}

    def __init__(self, lo: int | None = None, hi: int | None = None, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        if lo is not None or hi is not None:
            validators.append(validate.Range(min=lo, max=hi, error=f"range|应在 {lo}–{hi} 之间"))
        super().__init__(strict=True, validate=validators, **kwargs)


class Num(fields.Float):
    """A number (no NaN or infinity)."""

    default_error_messages = {**_COMMON, "invalid": "type|应为数字", "special": "type|应为数字",
                              "too_large": "range|数值过大"}

    def __init__(self, lo: float | None = None, hi: float | None = None, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        if lo is not None or hi is not None:
            validators.append(validate.Range(min=lo, max=hi, error=f"range|应在 {lo}–{hi} 之间"))
        super().__init__(allow_nan=False, validate=validators, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        # Booleans are ints in Python; a checkbox sent where a number belongs is an error.
        if isinstance(value, bool) or isinstance(value, str):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class Bool(fields.Boolean):
    """A JSON boolean only (no "yes", 1 or "true")."""

    default_error_messages = {**_COMMON, "invalid": "type|应为是/否"}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class Date(fields.Date):
    """An ISO date, YYYY-MM-DD."""

    default_error_messages = {**_COMMON, "invalid": "type|日期格式应为 YYYY-MM-DD",
                              "format": "type|日期格式应为 YYYY-MM-DD"}


class DateTime(fields.AwareDateTime):
    """An ISO datetime with its UTC offset."""

    default_error_messages = {**_COMMON, "invalid": "type|时间格式应为 ISO 8601",
                              "invalid_awareness": "type|时间应带时区"}


class Uuid(fields.UUID):
    """A UUID string."""

    default_error_messages = {**_COMMON, "invalid_uuid": "type|编号格式无效"}


class Choice(Str):
    """A string from a fixed list."""

    def __init__(self, choices, **kwargs):
        kwargs.setdefault("max_len", 40)
        validators = list(kwargs.pop("validate", []) or [])
        validators.append(validate.OneOf(choices, error="choice|不在可选范围内"))
        super().__init__(validate=validators, **kwargs)


class List(fields.List):
    """A list with a bounded length."""

    default_error_messages = {**_COMMON, "invalid": "type|应为列表"}

    def __init__(self, inner, max_items: int = 50, **kwargs):
        validators = list(kwargs.pop("validate", []) or [])
        validators.append(validate.Length(max=max_items, error=f"length|最多 {max_items} 项"))
        super().__init__(inner, validate=validators, **kwargs)


class Nested(fields.Nested):
    """A nested object."""

    default_error_messages = {**_COMMON, "type": "type|应为对象"}


class Dict(fields.Dict):
    """A small free-form object of short strings and numbers (test results, lifestyle)."""

    default_error_messages = {**_COMMON, "invalid": "type|应为对象"}

    def __init__(self, max_keys: int = 40, **kwargs):
        super().__init__(keys=Str(max_len=40), values=fields.Raw(), **kwargs)
        self.max_keys = max_keys

    def _deserialize(self, value, attr, data, **kwargs):
        out = super()._deserialize(value, attr, data, **kwargs)
        if len(out) > self.max_keys:
            raise ValidationError(f"length|最多 {self.max_keys} 项")
        for k, v in out.items():
            refuse_bad_chars(k)
            if isinstance(v, str):
                refuse_bad_chars(v)
            short_text = isinstance(v, str) and len(v) <= 500
            ok = v is None or isinstance(v, bool | int | float) or short_text
            if not ok:
                raise ValidationError("type|只能填写简短的文字或数字")
        return out


def refuse_bad_chars(text: str) -> None:
    """Refuse what no database driver stores and no person types: U+0000 (PostgreSQL
    refuses it in text and JSON) and a lone UTF-16 surrogate (`"\\ud800"` in JSON; no
    UTF-8 encoder takes it, docs/adr/0046)."""
    if "\x00" in text:
        raise ValidationError("invalid_char|不能包含空字符")
    if has_surrogate(text):
        raise ValidationError("invalid_char|包含无法识别的字符，请删除后重新输入")


# Letters of any script, combining marks, the middle dot of minority and foreign names
# (·, •), spaces. No digits, emoji or markup: a name on a health record is a real name.
_NAME_OK = {"L", "M"}


def validate_person_name(value: str) -> None:
    """Refuse names with emoji, digits, punctuation or markup."""
    if not value.strip():
        raise ValidationError("required|姓名不能为空")
    for ch in value:
        if ch in "·•・ " or unicodedata.category(ch)[0] in _NAME_OK:
            continue
        raise ValidationError("name_chars|姓名只能包含文字和间隔号“·”")


_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$")


def validate_phone(value: str) -> None:
    """An 11-digit mobile number or a landline with its area code."""
    if not _PHONE.match(value):
        raise ValidationError("phone_format|电话号码格式不正确（11位手机号或带区号的座机）")


def validate_not_future(value: dt.date) -> None:
    """Service and birth dates cannot be later than today (China time)."""
    if value > today_local():
        raise ValidationError("date_in_future|日期不能晚于今天")


def validate_plausible_past(value: dt.date) -> None:
    """Dates before 1900 are typing mistakes."""
    if value.year < 1900:
        raise ValidationError("date_too_early|日期过早，请核对")


class UuidText(Uuid):
    """A UUID kept as its canonical string, for ids stored inside JSON documents."""

    def _deserialize(self, value, attr, data, **kwargs):
        return str(super()._deserialize(value, attr, data, **kwargs))


class RawObject(fields.Dict):
    """Any JSON object, checked later by a more specific schema (sync ops)."""

    default_error_messages = {**_COMMON, "invalid": "type|应为对象"}
