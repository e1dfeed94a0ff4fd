"""Configuration, read from the environment in this one place."""
from __future__ import annotations

import os
from pathlib import Path

from server.jsontext import column_dumps

INSTANCE_DIR = Path(__file__).resolve().parent.parent / "instance"


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        INSTANCE_DIR.mkdir(exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'cunyi.sqlite'}"
    # Heroku-style URLs name the driver "postgres"; SQLAlchemy wants psycopg 3 spelled out.
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class Config:
    """Settings shared by every environment."""

    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    SQLALCHEMY_DATABASE_URI = _database_url()
    # JSON columns written by orjson (UTF-8, compact), as the sync log's payloads are.
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True, "json_serializer": column_dumps}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "0") == "1"
    MAX_CONTENT_LENGTH = 8 * 1024 * 1024
    JSON_AS_ASCII = False
    # Cost of the password hash; tests lower it so hundreds of logins stay fast.
    PASSWORD_HASH_METHOD = os.environ.get("PASSWORD_HASH_METHOD", "scrypt")
    LOGIN_MAX_FAILURES = 5
    LOGIN_LOCKOUT_MINUTES = 15
    # Failed logins from one address (any accounts) within the window before it must wait.
    LOGIN_MAX_FAILURES_PER_SOURCE = 20
    # Behind a reverse proxy (nginx), how many proxies set X-Forwarded-For/-Proto: without
    # it every caller looks like the proxy, and the per-address login limit hits everyone.
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))
    # Connections a township's metrics recompute spreads its queries over (ADR 0038).
    METRICS_WORKERS = int(os.environ.get("METRICS_WORKERS", "0")) or min(os.cpu_count() or 1, 4)
    DEMO_SEED = int(os.environ.get("DEMO_SEED", "20261123"))
