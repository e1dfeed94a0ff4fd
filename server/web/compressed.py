"""The phone app's files as they travel: gzip-compressed once, kept in memory, revalidated
by ETag (docs/adr/0065-first-install-on-2g.md).

On a 2G link the app's ~1 MB of JavaScript is most of a first install; gzip brings it to
about 0.3 MB. Each file is compressed at the highest level the first time it is asked for
and kept until its size or modification time changes, so a request costs a dict lookup.
The two encodings of a file have different strong ETags, and every answer says
`Vary: Accept-Encoding`, so no cache can hand a client an encoding it did not ask for.
"""
from __future__ import annotations

import gzip
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

# Already compressed (PNG) or too small to gain what the gzip header costs.
SKIP_SUFFIXES = (".png",)
MIN_BYTES = 256


@dataclass(frozen=True)
class Encoded:
    """One file's bytes, plain and (when worth it) gzipped, with an ETag for each."""

    plain: bytes
    gzipped: bytes | None
    tag: str  # a hash of the plain bytes; the gzip ETag adds "-gz"

    def pick(self, accept_encoding: str) -> tuple[bytes, str, str | None]:
        """(body, etag, content-encoding) for a request's Accept-Encoding header."""
        if self.gzipped is not None and accepts_gzip(accept_encoding):
            return self.gzipped, self.tag + "-gz", "gzip"
        return self.plain, self.tag, None

    @property
    def wire_size(self) -> int:
        """Bytes of the body a gzip-capable client receives."""
        return len(self.gzipped if self.gzipped is not None else self.plain)


def accepts_gzip(header: str) -> bool:
    """Whether an Accept-Encoding header allows gzip: named (or `*`) without q=0."""
    for part in (header or "").split(","):
        name, *params = (p.strip() for p in part.split(";"))
        if name.lower() not in ("gzip", "*"):
            continue
        q = next((p[2:] for p in params if p.startswith("q=")), "1")
        try:
            return float(q) > 0
        except ValueError:
            return False
    return False


def encode_bytes(data: bytes, suffix: str) -> Encoded:
    """`data` with its gzip form (unless the kind of file or its size says it is not worth it)."""
    tag = hashlib.sha256(data).hexdigest()[:20]
    gz = None
    if suffix not in SKIP_SUFFIXES and len(data) >= MIN_BYTES:
        # mtime=0: the same file gives the same bytes in every worker and after a restart.
        packed = gzip.compress(data, compresslevel=9, mtime=0)
        gz = packed if len(packed) < len(data) else None
    return Encoded(data, gz, tag)


class FileCache:
    """Encoded files by path, refreshed when a file's size or modification time changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._files: dict[Path, tuple[tuple[int, int], Encoded]] = {}

    def get(self, path: Path) -> Encoded:
        """The encoded form of `path` (compressed now if it changed or was never asked for)."""
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._files.get(path)
        if hit and hit[0] == stamp:
            return hit[1]
        encoded = encode_bytes(path.read_bytes(), path.suffix)
        with self._lock:
            self._files[path] = (stamp, encoded)
        return encoded
