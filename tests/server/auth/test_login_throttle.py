"""Login lockout against parallel guessing, and names that cannot be told apart: an unknown
username answers, locks and takes as long as a real one (server/services/lockout.py, ADR 0048).
Run with the default password hash (scrypt) and the default limits."""
from __future__ import annotations

import json
import re
import statistics
import threading
import time
import urllib.error
import urllib.request

import pytest
from conftest import PASSWORD

from core.models import ROLE_DOCTOR, User
from server.config import Config
from server.extensions import db
from server.services.passwords import DEFAULT_METHOD, hash_password

BURST = 16


@pytest.fixture
def defaults(app, monkeypatch):
    """The start command's login settings (the tests' app lowers nothing else here)."""
    for key in ("PASSWORD_HASH_METHOD", "LOGIN_MAX_FAILURES", "LOGIN_LOCKOUT_MINUTES",
                "LOGIN_MAX_FAILURES_PER_SOURCE"):
        monkeypatch.setitem(app.config, key, getattr(Config, key))
    assert app.config["PASSWORD_HASH_METHOD"] == DEFAULT_METHOD == "scrypt"
    return app.config


def add_doctors(app, town, names: list[str]) -> None:
    """Doctors of village 1 whose passwords are hashed as real accounts' are (scrypt)."""
    pw = hash_password(PASSWORD)
    with app.app_context():
        for name in names:
            db.session.add(User(username=name, password_hash=pw, full_name=name,
                                role=ROLE_DOCTOR, township_id=town["township_a"]))
        db.session.commit()
        db.session.remove()


def http_login(base: str, username: str, password: str) -> tuple[int, dict]:
    """One login over real HTTP, as the phone app sends it."""
    req = urllib.request.Request(
        base + "/api/auth/login", method="POST",
        data=json.dumps({"username": username, "password": password}).encode(),
        headers={"Content-Type": "application/json", "X-Requested-With": "cunyi"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def burst(base: str, username: str) -> list[tuple[int, str]]:
    """BURST wrong passwords for `username` at once, from threads released together."""
    start = threading.Barrier(BURST)
    answers: list[tuple[int, str]] = []

    def attempt(i: int) -> None:
        start.wait()
        status, body = http_login(base, username, f"wrong-{i}")
        answers.append((status, body["code"]))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(BURST)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(answers) == BURST
    return answers


@pytest.mark.parametrize("username", ["doctor_x", "nobody_here"])
def test_parallel_wrong_passwords_check_at_most_the_limit(app, town, defaults, live_server,
                                                          username):
    add_doctors(app, town, ["doctor_x"])
    answers = burst(live_server, username)
    checked = [a for a in answers if a == (401, "login_failed")]
    refused = [a for a in answers if a == (429, "account_locked")]
    assert len(checked) + len(refused) == BURST, answers
    assert len(checked) == defaults["LOGIN_MAX_FAILURES"], answers
    # Locked now, even for the right password (and alike for a name nobody has).
    assert http_login(live_server, username, PASSWORD) == (429, {
        "code": "account_locked", "status": 429, "errors": {},
        "message": "登录失败次数过多，账号已暂时锁定，请稍后再试"})


def comparable(r) -> tuple:
    """A response as an onlooker compares it: status, body, and headers but the date."""
    headers = sorted((k, v) for k, v in r.headers.items() if k.lower() != "date")
    return r.status_code, r.get_data(), headers


def test_unknown_and_real_names_answer_alike_through_the_lockout(app, town, defaults):
    add_doctors(app, town, ["doctor_x"])
    real, unknown = app.test_client(), app.test_client()
    limit = defaults["LOGIN_MAX_FAILURES"]
    seen = []
    for i in range(limit + 2):
        a = real.post("/api/auth/login", json={"username": "doctor_x", "password": f"w{i}"})
        b = unknown.post("/api/auth/login", json={"username": "ghost_x", "password": f"w{i}"})
        assert comparable(a) == comparable(b), i
        seen.append(a.status_code)
    assert seen == [401] * limit + [429, 429]
    # The right password of the real account is refused as well while it is locked.
    a = real.post("/api/auth/login", json={"username": "doctor_x", "password": PASSWORD})
    b = unknown.post("/api/auth/login", json={"username": "ghost_x", "password": PASSWORD})
    assert comparable(a) == comparable(b)
    assert a.status_code == 429


def township_attempt(client, username: str, password: str):
    """A login through the township pages' form (with its CSRF token)."""
    page = client.get("/township/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post("/township/login", data={"csrf_token": token, "username": username,
                                                 "password": password})


def page_text(r) -> str:
    """The page without its per-session CSRF token."""
    return re.sub(r'value="[^"]{20,}"', 'value=""', r.get_data(as_text=True))


def test_unknown_and_real_names_answer_alike_on_the_township_form(app, town, defaults):
    real, unknown = app.test_client(), app.test_client()
    limit = defaults["LOGIN_MAX_FAILURES"]
    statuses = []
    for i in range(limit + 2):
        a = township_attempt(real, "staff_a", f"w{i}")
        b = township_attempt(unknown, "staff_zz", f"w{i}")
        assert (a.status_code, page_text(a)) == (b.status_code, page_text(b)), i
        statuses.append(a.status_code)
        expected = "登录失败次数过多" if i >= limit else "用户名或密码错误"
        assert expected in page_text(a), i
    assert statuses == [401] * (limit + 2)


def test_unknown_names_take_as_long_as_real_ones(app, town, defaults):
    rounds = 9
    add_doctors(app, town, [f"doctor_t{i}" for i in range(rounds + 1)])
    client = app.test_client()

    def timed(username: str, i: int) -> float:
        # Each from its own address, so the per-address limit stays out of the way.
        t0 = time.perf_counter()
        r = client.post("/api/auth/login", json={"username": username, "password": "wrong"},
                        environ_base={"REMOTE_ADDR": f"10.0.{i}.{len(username)}"})
        elapsed = time.perf_counter() - t0
        assert r.status_code == 401
        return elapsed

    timed(f"doctor_t{rounds}", 99), timed("ghost_warmup", 99)  # first use of each path
    real, unknown = [], []
    for i in range(rounds):
        real.append(timed(f"doctor_t{i}", i))
        unknown.append(timed(f"ghost_{i}", i))
    ratio = statistics.median(real) / statistics.median(unknown)
    assert 0.5 < ratio < 2.0, (statistics.median(real), statistics.median(unknown))
