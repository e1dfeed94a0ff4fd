"""Phone app benchmarks in the machine's real Chromium (figures for docs/benchmarks.md).

Not a test (no timing assertions): run it by hand, with the CPU throttling rates to try
(default 1 and 4),

    .venv/bin/python -m bench.phone 1 4

It builds a throwaway SQLite server with one village clinic's data (5,000 residents in
1,500 households and 3,500 records: ~10,000 entities), logs a phone in, and measures the
initial load into IndexedDB, an offline cold open to a usable home screen (the unlock
screen, a pause for typing the PIN, then the PIN to home), resident search
among 5,000, and saving a form. Chromium runs at 360×640 with 4× CPU throttling, roughly a
cheap Android phone, and without throttling.
"""
from __future__ import annotations

import datetime as dt
import logging
import random
import statistics
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from werkzeug.serving import make_server

from core.changelog import backfill
from core.models import (
    RECORD_CLASSES,
    ROLE_DOCTOR,
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
from server.validation.idcard import check_char
from tests.pwa.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE  # the tests' phone browser

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓"
            "曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈")
GIVEN = "建国秀英桂兰玉华志强明芳军丽红伟静敏燕艳霞平刚勇杰涛斌超辉鹏华飞玲婷雪梅兰琴云峰磊亮宇浩"
PIN = "246810"
TYPING_MS = 1500  # the unlock screen waits this long before the PIN is typed


def seed(app, residents=5000, households=1500, records=3500) -> None:
    """One village with a clinic and its doctor; data in the sync log as devices get it."""
    rng = random.Random(7)
    today = dt.date.today()
    with app.app_context():
        s = db.session
        county = County(code="511921", name="测试县")
        town = Township(county=county, code="101", name="青峰镇", health_center_name="青峰镇卫生院")
        village = Village(township=town, code="001", name="龙泉村")
        village.clinic = VillageClinic(name="龙泉村卫生室")
        s.add_all([county, town, village])
        s.flush()
        doctor = User(username="doctor", password_hash=hash_password("pw-12345678",
                                                                       "pbkdf2:sha256:1000"),
                      full_name="李医生", role=ROLE_DOCTOR, township_id=town.id, villages=[village])
        s.add(doctor)
        hhs = [Household(id=uuid.uuid4(), village_id=village.id, group_no=str(i % 9 + 1),
                         house_no=str(i), address=f"龙泉村{i % 9 + 1}组{i}号",
                         head_name=rng.choice(SURNAMES) + rng.choice(GIVEN))
               for i in range(households)]
        s.add_all(hhs)
        people = []
        for i in range(residents):
            born = today - dt.timedelta(days=rng.randint(100, 33000))
            first17 = f"511921{born:%Y%m%d}{i % 1000:03d}"
            r = Resident(id=uuid.uuid4(), household_id=hhs[i % households].id,
                         village_id=village.id, name=rng.choice(SURNAMES) + "".join(
                             rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))),
                         sex="male" if int(first17[16]) % 2 else "female", birth_date=born,
                         national_id=first17 + check_char(first17),
                         phone=f"13{rng.randint(0, 999999999):09d}")
            if rng.random() < 0.2:
                r.conditions = [ResidentCondition(condition=rng.choice(("hypertension",
                                                                        "diabetes")),
                                                  managed_since=dt.date(2020, 1, 1))]
            people.append(r)
        s.add_all(people)
        s.flush()
        now = dt.datetime.now(dt.UTC)
        for _ in range(records):
            r = rng.choice(people)
            day = max(r.birth_date, today - dt.timedelta(days=rng.randint(0, 700)))
            s.add(RECORD_CLASSES["hypertension_followup"](
                id=uuid.uuid4(), resident_id=r.id, village_id=village.id, doctor_id=doctor.id,
                service_date=day, mode="home", sbp=rng.randint(110, 190), dbp=rng.randint(60, 105),
                next_visit_date=day + dt.timedelta(days=90), created_at=now, updated_at=now,
                version=1))
        backfill(s)
        s.commit()


def measures(page, name: str) -> list[float]:
    """Durations (ms) of the app's performance.measure entries called `name`."""
    return page.evaluate("n => performance.getEntriesByName(n).map(e => e.duration)", name)


def run(throttle: int) -> dict:
    """One full run: returns the figures in ms."""
    from flask_migrate import upgrade
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="cunyi-bench-"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.sqlite'}",
                      "SECRET_KEY": "bench", "TESTING": True})
    with app.app_context():
        upgrade()
    seed(app)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    out: dict = {}
    try:
        with sync_playwright() as p:
            def launch(offline=False):
                ctx = p.chromium.launch_persistent_context(
                    str(tmp / "profile"), executable_path=CHROMIUM, headless=True,
                    args=CHROMIUM_ARGS, viewport=PHONE, is_mobile=True, has_touch=True,
                    locale="zh-CN", timezone_id="Asia/Shanghai")
                ctx.set_default_timeout(120000)
                if offline:
                    ctx.set_offline(True)
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                if throttle > 1:
                    cdp = ctx.new_cdp_session(page)
                    cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
                return ctx, page

            ctx, page = launch()
            page.goto(base + "/app/")
            page.fill("#username", "doctor")
            page.fill("#password", "pw-12345678")
            page.click("#login")
            page.fill("#pin1", PIN)
            page.fill("#pin2", PIN)
            page.click("#set-pin")
            page.wait_for_selector("body[data-ready=home]")
            out["first_download_ms"] = measures(page, "first-download")[0]
            out["store_into_indexeddb_ms"] = sum(measures(page, "apply-plan"))
            page.wait_for_timeout(1500)  # let the service worker finish its precache
            ctx.close()

            opens = []
            for _ in range(3):
                ctx, page = launch(offline=True)
                page.goto(base + "/app/")
                page.wait_for_selector("#unlock-pin")
                shown = page.evaluate(
                    "() => performance.getEntriesByName('unlock-shown')[0].startTime")
                page.wait_for_timeout(TYPING_MS)  # a doctor typing the PIN
                typed = page.evaluate("() => performance.now()")
                page.fill("#unlock-pin", PIN)
                page.wait_for_selector("body[data-ready=home]")
                key, load, home = (measures(page, n)[0] for n in
                                   ("unlock-key", "unlock-load", "home-render"))
                # End to end, what the doctor waits for: the unlock screen, then from the
                # PIN typed to home drawn (the gaps between the steps included).
                drawn = page.evaluate("() => { const e = performance.getEntriesByName("
                                      "'home-render')[0]; return e.startTime + e.duration; }")
                opens.append({"to_unlock_screen": shown, "pin_to_key": key,
                              "decrypt_and_load": load, "home_render": home,
                              "total_excluding_typing": shown + key + load + home,
                              "pin_to_home": drawn - typed,
                              "waited_excluding_typing": shown + drawn - typed})
                ctx.close()
            out["cold_open"] = {k: statistics.median(o[k] for o in opens) for k in opens[0]}

            ctx, page = launch(offline=True)
            page.goto(base + "/app/")
            page.fill("#unlock-pin", PIN)
            page.wait_for_selector("body[data-ready=home]")
            page.click("a[data-tab=search]")
            for q in ("wjg", "王", "5119211970", "138", "龙泉村3组", "zhang", "l"):
                page.fill("#search-input", q)
                page.wait_for_timeout(50)
            searches = measures(page, "search")[1:]  # the first is the empty query
            out["search_ms"] = {"median": statistics.median(searches), "max": max(searches),
                                "n": len(searches)}
            page.fill("#search-input", "王")
            page.click("#search-results .item >> nth=0")
            saves = []
            for i in range(5):
                page.click("text=+ 高血压随访")
                page.fill("input[name=sbp]", str(130 + i))
                page.fill("input[name=dbp]", "85")
                page.click("#save")
                page.wait_for_selector(".profile")
                saves.append(measures(page, "save-local")[-1])
            out["save_form_ms"] = {"median": statistics.median(saves), "max": max(saves)}
            ctx.close()
    finally:
        server.shutdown()
    return out


if __name__ == "__main__":
    import json

    rates = [int(a) for a in sys.argv[1:]] or [1, 4]
    for rate in rates:
        print(f"CPU throttling {rate}x:", json.dumps(run(rate), indent=1))
