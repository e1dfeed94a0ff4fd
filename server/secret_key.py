"""The key that signs session cookies: never a default, never a published one (docs/adr/0043).

Where it comes from, in order:

1. `SECRET_KEY` in the environment (or the contents of the file named by `SECRET_KEY_FILE`).
   Refused when it is shorter than 32 characters or one of the keys printed in
   documentation and old versions of this project.
2. Otherwise, on an embedded instance only (no `DATABASE_URL`, not `CUNYI_ENV=production`):
   `instance/secret_key`, made once with 256 random bits, mode 0600, kept beside the
   SQLite database. `scripts/start.sh` makes it before anything starts.
3. Otherwise the process refuses to start: a production start (the Procfile's processes,
   or any process with `DATABASE_URL`) must be given its key.

`python -m server.secret_key` prints the instance's key, making it first if needed.
"""
from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

MIN_LENGTH = 32
# Keys that have been public: this project's old default and the usual placeholders.
KNOWN_KEYS = frozenset({
    "dev-only-not-secret", "dev", "development", "secret", "secret-key", "secret_key",
    "changeme", "change-me", "change_me", "replace-me", "your-secret-key", "test",
    "please-change-this-secret-key-in-production",
})


class SecretKeyError(RuntimeError):
    """The process must not start: the message says what to set."""


def is_production(environ=os.environ) -> bool:
    """A production start: the Procfile's processes say so, and PostgreSQL means a server."""
    return environ.get("CUNYI_ENV") == "production" or bool(environ.get("DATABASE_URL"))


def check(key: str) -> str:
    """Return `key` if it may sign cookies; raise SecretKeyError if it is weak or public."""
    if key.strip() in KNOWN_KEYS or len(key.strip()) < MIN_LENGTH:
        raise SecretKeyError(
            "SECRET_KEY is a published or short key (at least 32 random characters are needed); "
            "generate one with: python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return key


def instance_key(instance_dir: Path) -> str:
    """The instance's own key, made on first use (0600, created exclusively so two processes
    starting together agree on one key)."""
    path = instance_dir / "secret_key"
    instance_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text("ascii").strip()
        if not key:
            raise SecretKeyError(f"{path} is empty; delete it to make a new key") from None
        return check(key)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32) + "\n")
    return path.read_text("ascii").strip()


def resolve(instance_dir: Path, environ=os.environ) -> str:
    """The key this process signs with, by the rules above."""
    key = environ.get("SECRET_KEY")
    if not key and environ.get("SECRET_KEY_FILE"):
        key = Path(environ["SECRET_KEY_FILE"]).read_text("utf-8").strip()
    if key:
        return check(key)
    if is_production(environ):
        raise SecretKeyError(
            "SECRET_KEY is not set: a production start (DATABASE_URL or CUNYI_ENV=production) "
            "needs its own key; generate one with: "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    return instance_key(instance_dir)


if __name__ == "__main__":
    from server.config import INSTANCE_DIR

    try:
        print(instance_key(INSTANCE_DIR))
    except SecretKeyError as e:
        sys.exit(str(e))
