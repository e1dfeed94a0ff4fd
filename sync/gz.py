"""gzip on the sync path: ISA-L (the `isal` package) where it is installed, zlib otherwise.

Both ends of a sync compress what they send (docs/sync-protocol.md). The stream is plain
gzip either way; only the speed differs. On a push ISA-L's level 1 is many times faster
than zlib's level 6 for slightly more bytes, and on a push's results both faster and
smaller; zlib was a large part of the reference client's work (measured in
docs/adr/0041-fast-gzip.md and docs/benchmarks.md#push).

Two kinds of body, two settings:

- `FAST`: bodies whose bytes cost little next to the CPU spent on them: the reference
  client's pushes and the server's acknowledgements.
- `SMALL`: bodies a phone pays for by the byte on a rural link: pages of changes. zlib at
  level 6, which ISA-L's levels do not reach in size.

`inflate` reads a gzip body of at most `limit` bytes inflated, and says clearly when it
is not gzip, is cut short, or would inflate past the limit (a zip bomb).
"""
from __future__ import annotations

import zlib

try:
    from isal import igzip as _igzip
    from isal import isal_zlib as _isal_zlib
except ImportError:  # pragma: no cover - the reference client on a machine without isal
    _igzip = _isal_zlib = None

FAST, SMALL = "fast", "small"
GZIP_WBITS = 16 + zlib.MAX_WBITS
_ERRORS: tuple[type[Exception], ...] = (zlib.error,) + (
    (_isal_zlib.error,) if _isal_zlib is not None else ())


class BadGzip(ValueError):
    """The body is not a whole gzip stream."""


class TooLarge(ValueError):
    """The body inflates past the limit."""


def compress(data: bytes, how: str = FAST) -> bytes:
    """`data` as one gzip member, fast or small (see the module's docstring)."""
    if how == FAST:
        if _igzip is not None:
            return _igzip.compress(data, compresslevel=1)
        return zlib.compress(data, 1, wbits=GZIP_WBITS)
    return zlib.compress(data, 6, wbits=GZIP_WBITS)


def inflate(data: bytes, limit: int) -> bytes:
    """A gzip body inflated; BadGzip when it is not whole gzip, TooLarge past `limit`."""
    inflater = (_isal_zlib or zlib).decompressobj(GZIP_WBITS)
    try:
        out = inflater.decompress(data, limit)
    except _ERRORS:
        raise BadGzip("not a gzip stream") from None
    if inflater.unconsumed_tail:
        raise TooLarge(f"inflates past {limit} bytes")
    if not inflater.eof:  # cut short on the way, or not gzip at all (ISA-L says nothing)
        raise BadGzip("gzip stream cut short")
    if inflater.unused_data:
        raise BadGzip("bytes after the gzip stream")
    return out


def decompress(data: bytes) -> bytes:
    """A whole gzip body from a trusted peer (the client reading the server's answer)."""
    try:
        if _igzip is not None:
            return _igzip.decompress(data)
        return zlib.decompress(data, GZIP_WBITS)
    except _ERRORS as e:  # as the standard library's gzip module says it: OSError
        raise OSError(str(e)) from None
