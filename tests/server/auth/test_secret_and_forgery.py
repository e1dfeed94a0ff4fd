"""Issue 16.1 against the app as the start command runs it: the instance's own secret key,
production starts that refuse a missing or public key, and session cookies that cannot be
forged into another account even by someone who holds the key."""
from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys

import pytest
import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from server import secret_key
from tests.server.serving.started_instance import PASSWORD, ROOT, VENV, StartedInstance, start_env


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """One instance started as start.sh does, for the module."""
    started = StartedInstance(tmp_path_factory.mktemp("instance"))
    yield started
    started.stop()


def _sign(key: str, payload: dict) -> str:
    """A session cookie value for `payload` signed with `key`, as Flask would sign it."""
    app = Flask("forger")
    app.secret_key = key
    return SecureCookieSessionInterface().get_signing_serializer(app).dumps(payload)


def _login(url: str, username: str) -> requests.Session:
    s = requests.Session()
    s.headers["X-Requested-With"] = "test"
    r = s.post(url + "/api/auth/login", json={"username": username, "password": PASSWORD},
               timeout=30)
    assert r.status_code == 200, r.text
    return s


def test_the_start_command_makes_a_private_random_key_once(instance):
    path = instance.instance_dir / "secret_key"
    key = path.read_text().strip()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 64 and key not in secret_key.KNOWN_KEYS
    assert instance.env["SECRET_KEY"] == key
    again = subprocess.run([str(VENV / "python"), "-m", "server.secret_key"],
                           env=start_env(instance.instance_dir), cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.strip()
    assert again == key  # kept with the instance: sessions survive a restart


def test_a_doctor_cannot_forge_an_admin_session(instance):
    doctor = _login(instance.url, "doctor01")
    me = doctor.get(instance.url + "/api/me", timeout=10).json()
    admin_id = me["id"] + 2  # made third in started_instance
    cookie_name = "cunyi_session"
    assert doctor.cookies.get(cookie_name)
    # The cookie says nothing about the person: only a random session token.
    body = doctor.cookies.get(cookie_name).split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert set(payload) <= {"sid", "_permanent", "csrf"} and "uid" not in payload
    key = instance.env["SECRET_KEY"]
    for forger_key in ("dev-only-not-secret", key):  # the old public key; a leaked one
        for forged in ({"uid": admin_id, "pw": "x" * 16}, {"uid": admin_id},
                       {"sid": "guessed-token"}, {"sid": None, "uid": admin_id}):
            r = requests.get(instance.url + "/api/me", timeout=10,
                             cookies={cookie_name: _sign(forger_key, forged)})
            assert r.status_code == 401, (forger_key == key, forged, r.text)
            page = requests.get(instance.url + "/township/", timeout=10, allow_redirects=False,
                                cookies={cookie_name: _sign(forger_key, forged)})
            assert page.status_code == 302 and "/township/login" in page.headers["Location"]


def test_logout_ends_the_cookie_on_the_api_and_the_pages(instance):
    staff = _login(instance.url, "staff01")
    stolen = dict(staff.cookies)
    assert requests.get(instance.url + "/township/", cookies=stolen, timeout=10,
                        allow_redirects=False).status_code == 200
    assert staff.post(instance.url + "/api/auth/logout", timeout=10).status_code == 200
    assert requests.get(instance.url + "/api/me", cookies=stolen, timeout=10).status_code == 401
    page = requests.get(instance.url + "/township/", cookies=stolen, timeout=10,
                        allow_redirects=False)
    assert page.status_code == 302


def test_every_account_has_its_own_salt_on_the_started_instance(instance):
    out = subprocess.run(
        [str(VENV / "python"), "-c",
         "from server import create_app\nfrom server.extensions import db\n"
         "from core.models import User\napp = create_app()\nwith app.app_context():\n"
         "    print('\\n'.join(u.password_hash for u in db.session.scalars(db.select(User))))"],
        env=instance.env, cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    assert len(out) == 3 and len(set(out)) == 3 and all(h.startswith("scrypt:") for h in out)


PRODUCTION_STARTS = [
    ("DATABASE_URL set", {"DATABASE_URL": "sqlite:///{dir}/prod.sqlite"}),
    ("the Procfile's processes", {"CUNYI_ENV": "production"}),
]


@pytest.mark.parametrize("key", [None, "dev-only-not-secret", "changeme", "short-key"])
@pytest.mark.parametrize("why,extra", PRODUCTION_STARTS, ids=[p[0] for p in PRODUCTION_STARTS])
def test_a_production_start_refuses_a_missing_or_public_key(tmp_path, why, extra, key):
    env = start_env(tmp_path)
    env.update({k: v.format(dir=tmp_path) for k, v in extra.items()})
    if key:
        env["SECRET_KEY"] = key
    r = subprocess.run([sys.executable, "-c", "from server import create_app; create_app()"],
                       env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "SECRET_KEY" in r.stderr
    assert not (tmp_path / "secret_key").exists()  # never made up quietly


def test_the_procfile_web_process_does_not_boot_without_a_key(tmp_path):
    procfile = (ROOT / "Procfile").read_text()
    web = next(line for line in procfile.splitlines() if line.startswith("web:"))
    env = start_env(tmp_path)
    env.update(PORT="0", PATH=f"{VENV}:{os.environ['PATH']}")
    r = subprocess.run(["bash", "-c", web.split(":", 1)[1]], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode != 0
    assert "SECRET_KEY" in r.stdout + r.stderr


def test_a_production_start_with_its_own_key_runs(tmp_path):
    env = start_env(tmp_path)
    env.update(CUNYI_ENV="production", SECRET_KEY="k" * 8 + os.urandom(16).hex())
    r = subprocess.run([sys.executable, "-c", "from server import create_app; "
                        "print(create_app().config['SECRET_KEY'] == __import__('os')"
                        ".environ['SECRET_KEY'])"],
                       env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "True"
