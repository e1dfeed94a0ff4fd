"""Configuration, read from the environment in this one place."""
from __future__ import annotations

import os
from pathlib import Path

from core.jsontext import column_dumps

# The instance's own files: the embedded database and its secret key (CUNYI_INSTANCE_DIR
# moves them, e.g. for a second instance on one machine).
INSTANCE_DIR = Path(os.environ.get("CUNYI_INSTANCE_DIR")
                    or Path(__file__).resolve().parent.parent / "instance")


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        INSTANCE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'cunyi.sqlite'}"
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 spelled out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Settings shared by every environment."""

    # Never a default: create_app resolves it (server/secret_key.py) and refuses to start
    # without a strong one.
    SECRET_KEY = None
    SQLALCHEMY_DATABASE_URI = _database_url()
    # JSON columns written by orjson (UTF-8, compact), as the sync log's payloads are.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": column_dumps}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    SESSION_COOKIE_NAME = "cunyi_session"
    # Browser sessions end after this long unused, and after this long in any case
    # (server/auth/sessions.py); phones use device tokens, not sessions.
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "60"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    PERMANENT_SESSION_LIFETIME = SESSION_MAX_HOURS * 3600
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    JSON_AS_ASCII = False
    # Cost of the password hash; tests lower it so hundreds of logins stay fast.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_MINUTES = 15
    # Failed logins from one address (any accounts) within the window before it must wait.
    LOGIN_MAX_FAILURES_PER_SOURCE = 20
    # Failures on one name from all addresses together before it is locked for everyone: a
    # cap on guessing spread over many addresses, high enough that a few addresses cannot
    # lock a person out (LOGIN_MAX_FAILURES counts per name and address; server/auth/guard.py).
    LOGIN_MAX_FAILURES_PER_NAME = 100
    # Behind a reverse proxy (nginx), how many proxies set X-Forwarded-For/-Proto: without
    # it every caller looks like the proxy, and the per-address login limit hits everyone.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # Connections a township's metrics recompute spreads its queries over (ADR 0038).
    METRICS_WORKERS = int(os.environ.get("METRICS_WORKERS", "0")) or min(os.cpu_count() or 1, 4)
    DEMO_SEED = int(os.environ.get("DEMO_SEED", "20261123"))
    # A test or staging server may let its admins purge the sync log on demand, for a
    # client's conformance run (server/api/maintenance.py); never needed in production.
    SYNC_PURGE_API = os.environ.get("SYNC_PURGE_API", "0") == "1"
