"""The 18-digit resident identity number (GB 11643): region, birth date, sequence, check.

The check character is ISO 7064 MOD 11-2 over the first 17 digits ('X' stands for 10).
The 17th digit is odd for men and even for women.
"""
from __future__ import annotations

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class NationalIdError(ValueError):
    """A national ID number that is not valid; `code` says why."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def check_char(first17: str) -> str:
    """Return the ISO 7064 MOD 11-2 check character for 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(value: str) -> str:
    """Strip spaces and upper-case a trailing 'x', as people type it."""
    return value.strip().replace(" ", "").upper()


def birth_date_of(number: str) -> dt.date:
    """Return the birth date encoded in digits 7–14."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def sex_of(number: str) -> str:
    """Return 'male' or 'female' from the 17th digit."""
    return "male" if int(number[16]) % 2 else "female"


def validate(number: str) -> str:
    """Return the normalised number, or raise NationalIdError with a machine code."""
    number = normalise(number)
    if not _SHAPE.match(number):
        raise NationalIdError("national_id_format")
    try:
        born = birth_date_of(number)
    except ValueError:
        raise NationalIdError("national_id_birth_date") from None
    if born.year < 1880:
        raise NationalIdError("national_id_birth_date")
    if check_char(number[:17]) != number[17]:
        raise NationalIdError("national_id_checksum")
    return number
