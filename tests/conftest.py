"""Shared fixtures: an app on SQLite or on PostgreSQL (TEST_DATABASE_URL), and a small township.

The schema is built once per run by the Alembic migrations themselves (so every run also
proves `flask db upgrade` from empty), and every test starts from empty tables.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from core import changelog
from core.models import (
    ROLE_ADMIN,
    ROLE_DOCTOR,
    ROLE_STAFF,
    SHIPPED_TABLES,
    Base,
    County,
    Household,
    Resident,
    ResidentCondition,
    Township,
    User,
    Village,
    VillageClinic,
)
from server import create_app
from server.extensions import db
from server.services.passwords import hash_password

FAST_HASH = "pbkdf2:sha256:1000"  # test-only: real accounts use scrypt
PASSWORD = "pw-12345678"


class ApiTestClient(FlaskClient):
    """Flask's test client sending X-Requested-With, as the phone app's and the reference
    client's requests do (the API's CSRF rule, server/auth/csrf.py); a test of that rule
    removes it from `environ_base`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.environ_base["HTTP_X_REQUESTED_WITH"] = "cunyi"


def database_url(tmp_path_factory) -> str:
    """PostgreSQL when the test command started one, else a fresh SQLite file."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    """One app for the run, its schema made by the migrations."""
    from flask_migrate import downgrade, upgrade

    url = database_url(tmp_path_factory)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test",
                      "LOGIN_MAX_FAILURES": 5})
    app.test_client_class = ApiTestClient
    with app.app_context():
        if url.startswith("postgresql"):
            db.session.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
            db.session.commit()
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        downgrade(revision="base")


def clean_tables(app) -> None:
    """Empty every table (children before parents) and reset the sync counter."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in SHIPPED_TABLES:
                    continue  # the migrations' reference rows, as on every real instance
                if table.name == "sync_counter":
                    conn.execute(table.update().values(value=0, purged_through=0))
                else:
                    conn.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_tables(request):
    """Empty every table after each test that used the app."""
    yield
    if "app" in request.fixturenames:
        clean_tables(request.getfixturevalue("app"))


@pytest.fixture
def client(app):
    """A test client (its own cookie jar)."""
    return app.test_client()


@pytest.fixture
def ctx(app):
    """An app context for tests that use db.session directly."""
    with app.app_context():
        yield db.session
        db.session.remove()


@pytest.fixture
def live_server(app):
    """The app on a free loopback port for the test's duration, for a real browser;
    yields its base URL."""
    import logging
    import threading

    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request lines in the log
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver process for the run (stopped at the end): the sync API
    allows one at a time, so every browser test shares it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


def login(client, username: str, password: str = PASSWORD):
    """Log the client in; assert it worked."""
    r = client.post("/api/auth/login", json={"username": username, "password": password})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


@pytest.fixture
def town(app):
    """The small county of build_town."""
    return build_town(app)


def build_town(app) -> dict:
    """A small county with two townships. Township A: villages 1 and 2, doctor_a (village 1),
    doctor_b (village 2), staff_a, admin_a; township B: village 3, doctor_c, staff_b.
    Returns a dict of ids."""
    with app.app_context():
        s = db.session
        county = County(code="511921", name="测试县")
        ta = Township(county=county, code="101", name="青峰镇", health_center_name="青峰镇卫生院")
        tb = Township(county=county, code="102", name="白鹤镇", health_center_name="白鹤镇卫生院")
        v1 = Village(township=ta, code="001", name="龙泉村")
        v2 = Village(township=ta, code="002", name="石板村")
        v3 = Village(township=tb, code="001", name="白鹤村")
        for v in (v1, v2, v3):
            v.clinic = VillageClinic(name=v.name + "卫生室")
        s.add_all([county, ta, tb, v1, v2, v3])
        s.flush()
        pw = hash_password(PASSWORD, FAST_HASH)

        def user(username, role, township, villages=()):
            u = User(username=username, password_hash=pw, full_name=username, role=role,
                     township_id=township.id, villages=list(villages))
            s.add(u)
            return u

        users = {
            "doctor_a": user("doctor_a", ROLE_DOCTOR, ta, [v1]),
            "doctor_b": user("doctor_b", ROLE_DOCTOR, ta, [v2]),
            "doctor_c": user("doctor_c", ROLE_DOCTOR, tb, [v3]),
            "staff_a": user("staff_a", ROLE_STAFF, ta),
            "admin_a": user("admin_a", ROLE_ADMIN, ta),
            "staff_b": user("staff_b", ROLE_STAFF, tb),
        }
        hh1 = Household(village_id=v1.id, address="龙泉村1组1号", head_name="张三")
        hh2 = Household(village_id=v2.id, address="石板村2组5号", head_name="李四")
        hh3 = Household(village_id=v3.id, address="白鹤村1组3号", head_name="王五")
        s.add_all([hh1, hh2, hh3])
        s.flush()
        r1 = Resident(household_id=hh1.id, village_id=v1.id, name="张三丰", sex="male",
                      birth_date=dt.date(1950, 3, 7), national_id="511921195003070018",
                      phone="13800138000")
        r1.conditions = [ResidentCondition(condition="hypertension",
                                           managed_since=dt.date(2020, 1, 1))]
        r2 = Resident(household_id=hh2.id, village_id=v2.id, name="李四", sex="female",
                      birth_date=dt.date(1980, 5, 1))
        r3 = Resident(household_id=hh3.id, village_id=v3.id, name="王五", sex="male",
                      birth_date=dt.date(1970, 1, 1))
        s.add_all([r1, r2, r3])
        s.flush()
        changelog.backfill(s)  # as the demo loader does: bulk-loaded data enters the log
        s.commit()
        ids = {k: u.id for k, u in users.items()}
        ids.update(township_a=ta.id, township_b=tb.id, village_1=v1.id, village_2=v2.id,
                   village_3=v3.id, household_1=hh1.id, household_2=hh2.id,
                   household_3=hh3.id, resident_1=r1.id, resident_2=r2.id, resident_3=r3.id)
        return ids


def new_id() -> str:
    """A fresh client-side UUID string."""
    return str(uuid.uuid4())


@pytest.fixture
def phone(app, town, tmp_path):
    """make(username, name, synced) → an enrolled sync.client.SyncClient talking to the app
    in-process (after one sync if `synced`). tests/pwa has its own browser `phone`."""
    from transport import FlaskTransport

    from sync.client import SyncClient

    def make(username: str = "doctor_a", name: str = "phone", synced: bool = True):
        client = SyncClient(str(tmp_path / f"{name}.sqlite"), FlaskTransport(app))
        client.enrol(username, PASSWORD, label=name)
        if synced:
            client.sync()
        return client
    return make
