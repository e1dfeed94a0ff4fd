"""Turn model rows into JSON-ready dicts, masking personal data where the role needs none."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import inspect


def jsonable(value: Any) -> Any:
    """Convert UUIDs, dates and datetimes to their ISO strings."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def row_dict(obj: Any, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """All mapped columns of `obj` (inherited ones too), JSON-ready."""
    mapper = inspect(obj).mapper
    return {
        attr.key: jsonable(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in exclude
    }


def mask_national_id(value: str | None) -> str | None:
    """Keep the region and the last four: 511921********123X."""
    if not value:
        return value
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """Keep the first three and last four digits: 138****5678."""
    if not value or len(value) < 7:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def resident_dict(resident: Any, masked: bool = False) -> dict[str, Any]:
    """A resident with its conditions; `masked` hides ID and phone numbers for lists."""
    out = row_dict(resident)
    out["conditions"] = [
        {k: jsonable(getattr(c, k)) for k in ("condition", "diagnosed_on", "managed_since",
                                               "ended_on")}
        for c in resident.conditions
    ]
    out.update(card_fields(resident, masked))
    if masked:
        out["national_id"] = mask_national_id(out["national_id"])
        for key in ("phone", "contact_phone"):
            out[key] = mask_phone(out[key])
    return out


def card_fields(resident: Any, masked: bool = False) -> dict[str, Any]:
    """The resident's QR card as phones look it up offline: the active card's code and
    fallback, and the revoked codes (so a lost card says "revoked", not "unknown").
    Residents who never had a card carry no card keys, so their payload is unchanged
    (docs/adr/0032-cards-on-phones.md)."""
    cards = getattr(resident, "cards", None)
    if not cards:
        return {}
    active = next((c for c in cards if c.status == "active"), None)
    out = {"card_code": active.code if active else None,
           "card_fallback": active.fallback if active else None,
           "cards_revoked": [x for c in cards if c.status == "revoked"
                             for x in (c.code, c.fallback)]}
    if masked:  # lists never carry the QR code, which opens the record on a phone
        del out["card_code"], out["cards_revoked"]
    return out
