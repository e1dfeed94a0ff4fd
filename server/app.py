"""The application factory."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from server import cli, errors, secret_key, security
from server.auth import csrf
from server.config import INSTANCE_DIR, Config
from server.extensions import db, migrate
from server.numbers import ID_LIMIT


class DatabaseInt(IntegerConverter):
    """`<int:...>` in a URL: at most 2**31 - 1, the largest id a database integer holds,
    so a longer number is a 404 rather than an overflow in the query (server/numbers.py)."""

    def __init__(self, map, fixed_digits=0, min=None, max=ID_LIMIT - 1, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def create_app(test_config: dict | None = None) -> Flask:
    """Create and configure the app; `test_config` overrides settings in tests."""
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseInt  # before any route is added
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key.resolve(INSTANCE_DIR)
    elif not app.testing:
        secret_key.check(app.config["SECRET_KEY"])
    app.json.ensure_ascii = False  # Chinese stays readable (and shorter) on the wire
    if app.config["PROXY_COUNT"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(_migrations_dir()))
    errors.init_app(app)
    security.init_app(app)
    csrf.init_app(app)  # JSON and X-Requested-With on API writes without a device token
    cli.init_app(app)

    from server import township
    from server.api import audit, cards, maintenance, openapi, people, records
    from server.api import sync as sync_api
    from server.auth import admin as accounts_api
    from server.auth import current, views
    from server.web import pages, pwa

    app.before_request(current.load_caller)
    app.register_blueprint(views.bp)
    app.register_blueprint(accounts_api.bp)  # the admin's accounts, /api/users
    app.register_blueprint(audit.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(people.bp)
    app.register_blueprint(records.bp)
    app.register_blueprint(maintenance.bp)  # POST /api/sync/purge, only if SYNC_PURGE_API
    app.register_blueprint(sync_api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(township.bp)
    app.register_blueprint(cards.bp)  # QR cards, /api/cards
    app.register_blueprint(pwa.bp)  # the phone app, /app/

    return app


def _migrations_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "migrations"
