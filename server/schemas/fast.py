"""A fast path for loading valid bodies through our marshmallow schemas.

A push of a day's work or an import is thousands of records; marshmallow spends most of
its time on per-field machinery. `FastLoader` compiles a schema's fields (our own field
classes, their validators, nested schemas and the schema-level `@validates_schema` hooks)
into plain checks once, and loads a body in a fraction of the time.

It is only ever an accelerator, never a second set of rules: it answers either the exact
result marshmallow would give, or `None` ("not sure"), and then the caller asks marshmallow
itself — so every error message still comes from the schema. Anything it does not know
(an unfamiliar field type or validator, a pre/post-load hook) makes it delegate that field
to marshmallow, or give up on the whole body. `tests/server/schemas/test_fast_schemas.py` checks
with hypothesis that whenever it answers, it answers what marshmallow answers.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Callable
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from server.schemas import base

BAD = object()  # "marshmallow would refuse this (or might): ask it"
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
Check = Callable[[Any], Any]


def _validator(v: Any) -> Callable[[Any], bool] | None:
    """A predicate for one marshmallow validator, or None if it is not one we know."""
    if isinstance(v, validate.Length) and v.equal is None:
        lo, hi = v.min, v.max
        return lambda x: (lo is None or len(x) >= lo) and (hi is None or len(x) <= hi)
    if isinstance(v, validate.Range) and v.min_inclusive and v.max_inclusive:
        lo, hi = v.min, v.max
        return lambda x: (lo is None or x >= lo) and (hi is None or x <= hi)
    if isinstance(v, validate.OneOf):
        choices = frozenset(v.choices)
        return lambda x: x in choices
    if callable(v) and not isinstance(v, validate.Validator):
        def call(x, v=v):
            try:
                v(x)
            except ValidationError:
                return False
            return True
        return call
    return None


def _typed(field: fields.Field, name: str) -> Check | None:
    """The type conversion of one field, or None to delegate the field to marshmallow."""
    if isinstance(field, base.Uuid):
        text = isinstance(field, base.UuidText)

        def parse_uuid(x):
            if type(x) is not str:
                return BAD
            try:
                u = uuid.UUID(x)
            except ValueError:
                return BAD
            return str(u) if text else u
        return parse_uuid
    if isinstance(field, base.Str):
        return lambda x: x if type(x) is str and "\x00" not in x else BAD
    if isinstance(field, base.Int):
        return lambda x: x if type(x) is int else BAD
    if isinstance(field, base.Num):
        def num(x):
            if type(x) not in (int, float):
                return BAD
            try:
                x = float(x)
            except OverflowError:  # an integer beyond a float's range
                return BAD
            return x if math.isfinite(x) else BAD
        return num
    if isinstance(field, base.Bool):
        return lambda x: x if type(x) is bool else BAD
    if type(field) is base.Date:
        def date(x):
            if type(x) is not str or len(x) != 10 or not _ISO_DATE.fullmatch(x):
                return BAD
            try:
                return dt.date.fromisoformat(x)
            except ValueError:
                return BAD
        return date
    if type(field) is base.DateTime and field.format in (None, "iso", "iso8601") and \
            field.default_timezone is None:
        def aware(x):  # marshmallow: fromisoformat, then refuse a naive time
            if type(x) is not str:
                return BAD
            try:
                d = dt.datetime.fromisoformat(x)
            except ValueError:
                return BAD
            return d if d.tzinfo is not None and d.tzinfo.utcoffset(d) is not None else BAD
        return aware
    if type(field) is base.RawObject and field.key_field is None and field.value_field is None:
        return lambda x: dict(x) if type(x) is dict else BAD
    if isinstance(field, base.Nested) and not field.many:
        inner = FastLoader(field.schema)
        return lambda x: inner.load(x) if type(x) is dict else BAD
    if isinstance(field, base.List):
        item = compile_field(field.inner, name)
        def many(x):
            if type(x) is not list:
                return BAD
            out = [item(v) for v in x]
            return BAD if any(v is BAD for v in out) else out
        return many
    return None


def compile_field(field: fields.Field, name: str) -> Check:
    """One field's whole check: null handling, conversion, validators."""
    typed = _typed(field, name)
    checks = [_validator(v) for v in field.validators]
    if typed is None or any(c is None for c in checks):
        def delegate(x):
            try:
                return field.deserialize(x, name, {})
            except ValidationError:
                return BAD
        return delegate
    allow_none = field.allow_none

    def check(x):
        if x is None:
            return None if allow_none else BAD
        out = typed(x)
        if out is BAD or out is None:
            return BAD
        for c in checks:
            if not c(out):
                return BAD
        return out
    return check


class FastLoader:
    """Loads bodies a schema accepts, returning exactly what `schema.load` returns, or None.

    The checks are compiled once into one Python function per schema (`_generate`): each
    field's type test, conversion and validators written out inline, so loading a body
    costs a few dictionary lookups and comparisons per field rather than several calls."""

    def __init__(self, schema: Schema):
        hooks = schema._hooks
        self.usable = not any(hooks.get(tag) for tag in ("pre_load", "post_load", "validates"))
        self.fields = {name: f for name, f in schema.fields.items()
                       if not f.dump_only and f.data_key is None}
        self.checks = {name: compile_field(f, name) for name, f in self.fields.items()}
        self.required = frozenset(n for n, f in schema.fields.items() if f.required)
        self.defaults = {n: f.load_default for n, f in schema.fields.items()
                         if f.load_default is not fields.missing_}
        self.hooks = []
        for name, many, kwargs in hooks.get("validates_schema", []):
            if many or kwargs.get("pass_original"):
                self.usable = False
            self.hooks.append(getattr(schema, name))
        # A required field the loader cannot see (dump-only, renamed) can never be met.
        if not self.required <= self.fields.keys():
            self.usable = False
        self.load = _generate(self) if self.usable else (lambda data: None)


def _generate(fl: FastLoader) -> Callable[[Any], dict | None]:
    """Write `fl`'s checks out as one function: the loaded body, or None ("ask
    marshmallow"). Same answers as checking field by field with `compile_field`."""
    env: dict[str, Any] = {"MISSING": _MISSING, "BAD": BAD, "UUID": uuid.UUID,
                           "ISO_DATE": _ISO_DATE, "date_fromiso": dt.date.fromisoformat,
                           "datetime_fromiso": dt.datetime.fromisoformat,
                           "isfinite": math.isfinite, "ValidationError": ValidationError,
                           "KNOWN": frozenset(fl.fields), "HOOKS": tuple(fl.hooks)}
    lines = ["def load(data):",
             "    if type(data) is not dict or not data.keys() <= KNOWN:",
             "        return None",
             "    out = {}"]
    for n, (name, field) in enumerate(fl.fields.items()):
        lines += [f"    v = data.get({name!r}, MISSING)", "    if v is not MISSING:"]
        body = _inline(field, n, env)
        if body is None:  # not written out: the field's own compiled check
            env[f"C{n}"] = fl.checks[name]
            body = [f"x = C{n}(v)", "if x is BAD:", "    return None"]
        else:
            none = ["x = None"] if field.allow_none else ["return None"]
            body = ["if v is None:", *("    " + b for b in none), "else:",
                    *("    " + b for b in body)]
        lines += ["        " + b for b in body]
        lines.append(f"        out[{name!r}] = x")
        if name in fl.required:
            lines += ["    else:", "        return None"]
        elif name in fl.defaults:
            env[f"D{n}"] = fl.defaults[name]
            default = f"D{n}()" if callable(fl.defaults[name]) else f"D{n}"
            lines += ["    else:", f"        out[{name!r}] = {default}"]
    for k, name in enumerate(sorted(fl.defaults.keys() - fl.fields.keys())):
        env[f"E{k}"] = fl.defaults[name]  # a default of a field the loader does not read
        lines.append(f"    out[{name!r}] = E{k}() if callable(E{k}) else E{k}")
    lines += ["    for hook in HOOKS:",
              "        try:",
              "            hook(out, partial=None, many=False)",
              "        except ValidationError:",
              "            return None",
              "    return out"]
    exec("\n".join(lines), env)  # noqa: S102 - our own generated code, from our schemas
    return env["load"]


_MISSING = object()


def _inline(field: fields.Field, n: int, env: dict[str, Any]) -> list[str] | None:
    """Statements that turn a non-None `v` into `x` or return None, for the field types
    and validators `_typed` and `_validator` know; None for anything else."""
    if isinstance(field, base.Uuid):
        convert = ["if type(v) is not str:", "    return None", "try:",
                   "    x = UUID(v)", "except ValueError:", "    return None"]
        if isinstance(field, base.UuidText):
            convert.append("x = str(x)")
    elif isinstance(field, base.Str):
        convert = ["if type(v) is not str or '\\x00' in v:", "    return None", "x = v"]
    elif isinstance(field, base.Int):
        convert = ["if type(v) is not int:", "    return None", "x = v"]
    elif isinstance(field, base.Num):
        # An integer beyond a float's range (10**400 in the JSON) overflows: not sure.
        convert = ["if type(v) is float:", "    x = v", "elif type(v) is int:", "    try:",
                   "        x = float(v)", "    except OverflowError:", "        return None",
                   "else:", "    return None", "if not isfinite(x):", "    return None"]
    elif isinstance(field, base.Bool):
        convert = ["if type(v) is not bool:", "    return None", "x = v"]
    elif type(field) is base.Date:
        convert = ["if type(v) is not str or len(v) != 10 or not ISO_DATE.fullmatch(v):",
                   "    return None", "try:", "    x = date_fromiso(v)",
                   "except ValueError:", "    return None"]
    elif type(field) is base.DateTime and field.format in (None, "iso", "iso8601") and \
            field.default_timezone is None:  # marshmallow: fromisoformat, then aware only
        convert = ["if type(v) is not str:", "    return None", "try:",
                   "    x = datetime_fromiso(v)", "except ValueError:", "    return None",
                   "if x.tzinfo is None or x.tzinfo.utcoffset(x) is None:", "    return None"]
    elif type(field) is base.RawObject and field.key_field is None and \
            field.value_field is None:
        convert = ["if type(v) is not dict:", "    return None", "x = dict(v)"]
    elif isinstance(field, base.Nested) and not field.many:
        env[f"N{n}"] = FastLoader(field.schema).load
        convert = ["if type(v) is not dict:", "    return None", f"x = N{n}(v)",
                   "if x is None:", "    return None"]
    elif isinstance(field, base.List):
        env[f"I{n}"] = compile_field(field.inner, field.name or "")
        convert = ["if type(v) is not list:", "    return None", f"x = [I{n}(i) for i in v]",
                   "for i in x:", "    if i is BAD:", "        return None"]
    else:
        return None  # anything else: compile_field's check, called from the function
    out = list(convert)
    for k, v in enumerate(field.validators):
        if isinstance(v, validate.Length) and v.equal is None or \
                isinstance(v, validate.Range) and v.min_inclusive and v.max_inclusive:
            measure = "len(x)" if isinstance(v, validate.Length) else "x"
            env[f"LO{n}_{k}"], env[f"HI{n}_{k}"] = v.min, v.max
            if v.min is not None:
                out += [f"if {measure} < LO{n}_{k}:", "    return None"]
            if v.max is not None:
                out += [f"if {measure} > HI{n}_{k}:", "    return None"]
        elif isinstance(v, validate.OneOf):
            env[f"O{n}_{k}"] = frozenset(v.choices)
            out += [f"if x not in O{n}_{k}:", "    return None"]
        elif callable(v) and not isinstance(v, validate.Validator):
            env[f"V{n}_{k}"] = v
            out += ["try:", f"    V{n}_{k}(x)", "except ValidationError:", "    return None"]
        else:
            return None
    return out


def loader(schema: Schema) -> Callable[[Any], dict]:
    """`schema.load` with the fast path in front."""
    fast = FastLoader(schema)

    def load(data: Any) -> dict:
        out = fast.load(data)
        return out if out is not None else schema.load(data)
    return load
