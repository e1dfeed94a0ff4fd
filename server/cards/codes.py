"""Card codes: the QR's opaque code and the short fallback a person types.

- QR code: 'C1' + 20 Crockford base32 characters from `secrets` (100 random bits). It
  says nothing about the person; it only finds a row on the server or on the phone.
- Fallback: 8 characters + 1 check character from a 31-symbol alphabet (Crockford's
  base32 without Z, which reads as 2). The check makes the weighted sum of all nine
  values 0 mod 31 with weights 9..1: 31 is prime and the weights are distinct and
  non-zero, so every single substitution and every transposition (adjacent or not) of
  two different characters changes the sum and is caught (docs/adr/0030-qr-card-codes.md).
The phone repeats `normalise_fallback` and `fallback_ok` in pwa/js/scan.js.
"""
from __future__ import annotations

import re
import secrets

QR_PREFIX = "C1"
QR_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
QR_RANDOM_CHARS = 20  # 100 bits
QR_LENGTH = len(QR_PREFIX) + QR_RANDOM_CHARS
FALLBACK_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXY"  # 31 symbols, a prime
FALLBACK_BODY = 8
FALLBACK_LENGTH = FALLBACK_BODY + 1
_WEIGHTS = tuple(range(FALLBACK_LENGTH, 0, -1))  # 9..1, the check character weighs 1
_QR_RE = re.compile(f"^{QR_PREFIX}[{QR_ALPHABET}]{{{QR_RANDOM_CHARS}}}$")
# Characters people confuse when reading a card aloud or typing it: read them as meant.
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_qr_code() -> str:
    """A fresh opaque QR code (100 bits from the OS's CSPRNG)."""
    return QR_PREFIX + "".join(secrets.choice(QR_ALPHABET) for _ in range(QR_RANDOM_CHARS))


def is_qr_code(text: str) -> bool:
    """Is `text` shaped like one of our QR codes (whether or not it exists)?"""
    return bool(_QR_RE.match(text or ""))


def check_char(body: str) -> str:
    """The check character that makes `body` + it sum to 0 mod 31 under weights 9..1."""
    total = sum(w * FALLBACK_ALPHABET.index(c) for w, c in zip(_WEIGHTS, body, strict=False))
    return FALLBACK_ALPHABET[-total % len(FALLBACK_ALPHABET)]


def new_fallback() -> str:
    """A fresh fallback code: 8 random characters and the check character."""
    body = "".join(secrets.choice(FALLBACK_ALPHABET) for _ in range(FALLBACK_BODY))
    return body + check_char(body)


def normalise_fallback(text: str) -> str:
    """Upper case, separators dropped, O/I/L read as 0/1: what the person meant to type."""
    return re.sub(r"[\s\-_.]", "", (text or "").upper()).translate(_LOOKALIKES)


def fallback_ok(text: str) -> bool:
    """Is the (normalised) fallback nine known characters with a correct check character?"""
    if len(text) != FALLBACK_LENGTH or any(c not in FALLBACK_ALPHABET for c in text):
        return False
    return check_char(text[:FALLBACK_BODY]) == text[-1]


def format_fallback(code: str) -> str:
    """How a fallback is printed: ABCD-EFGH-K (the last character is the check)."""
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"
