"""Password hashing with a current algorithm (scrypt by default, via werkzeug)."""
from __future__ import annotations

from werkzeug.security import check_password_hash, generate_password_hash

DEFAULT_METHOD = "scrypt"


def hash_password(password: str, method: str = DEFAULT_METHOD) -> str:
    """Return a salted hash of `password`; `method` is a werkzeug method string."""
    return generate_password_hash(password, method=method)


def verify_password(password_hash: str, password: str) -> bool:
    """Return True if `password` matches the stored hash."""
    return check_password_hash(password_hash, password)
