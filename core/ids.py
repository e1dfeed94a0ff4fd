"""Record ids: time-ordered UUIDs (version 7, RFC 9562), made by whoever creates the record.

A version 4 UUID is random throughout, so each new record lands at a random place in
every index keyed by its id (the records' primary keys, the sync log's entity and op id
indexes): a push of a thousand records dirties a thousand scattered index pages. A
version 7 UUID starts with the Unix time in milliseconds, so new ids sort after older
ones and a push appends at the end of those indexes (docs/adr/0040-time-ordered-ids.md).
The 74 random bits keep ids unique without coordination, as before. A phone whose clock
is wrong still makes unique ids; only their order is off, which costs speed, never
correctness: nothing reads meaning into an id.
"""
from __future__ import annotations

import os
import time
import uuid

_VERSION_7 = 0x7 << 76
_VARIANT = 0x2 << 62
_KEEP = ~((0xF << 76) | (0x3 << 62)) & ((1 << 128) - 1)


def time_ordered_uuid(ms: int | None = None) -> uuid.UUID:
    """A version 7 UUID: 48 bits of Unix milliseconds (now, or `ms`), then random bits."""
    if ms is None:
        ms = time.time_ns() // 1_000_000
    value = ((ms & 0xFFFF_FFFF_FFFF) << 80) | int.from_bytes(os.urandom(10), "big")
    return uuid.UUID(int=(value & _KEEP) | _VERSION_7 | _VARIANT)
