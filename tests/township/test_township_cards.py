"""The township's card pages over HTTP: figures per village, issue for a village, reissue
and revoke with a reason, blank batches, printing a chosen set; every action audited;
doctors, other townships and bad forms refused in Chinese."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from test_township_pages import page_login, token

from core.models import AdminChange, Household, Resident, ResidentCard
from server.extensions import db


@pytest.fixture
def village(app, town):
    """Village 1 gets two more residents (3 in all, none with a card) and a moved-out one."""
    with app.app_context():
        hh = db.session.get(Household, town["household_1"])
        for name, nid, status in (("张小明", "511921201001010011", "active"),
                                  ("张小红", None, "active"), ("张老汉", None, "moved_out")):
            db.session.add(Resident(household_id=hh.id, village_id=hh.village_id, name=name,
                                    sex="male", birth_date=dt.date(2010, 1, 1),
                                    national_id=nid, status=status))
        db.session.commit()
    return town


def cards_of(app, **where) -> list[ResidentCard]:
    """Cards matching `where` (column=value)."""
    with app.app_context():
        return list(db.session.scalars(db.select(ResidentCard).filter_by(**where)
                                       .order_by(ResidentCard.id)))


def logged(app) -> list[tuple[str, str]]:
    """(subject, action) of every logged change, oldest first."""
    with app.app_context():
        return [(c.subject, c.action) for c in db.session.scalars(
            db.select(AdminChange).order_by(AdminChange.id))]


def test_the_village_page_counts_and_masks(client, village):
    page_login(client, "staff_a")
    html = client.get("/township/cards").get_data(as_text=True)
    assert "龙泉村" in html and "石板村" in html and "白鹤村" not in html
    r = client.get(f"/township/cards/villages/{village['village_1']}")
    html = r.get_data(as_text=True)
    assert r.status_code == 200
    assert "张三丰" in html and "张小明" in html and "张老汉" not in html
    assert "511921195003070018" not in html and "511921********0018" in html
    assert "13800138000" not in html


def post(client, path: str, **form):
    """A form POST carrying the page's CSRF token."""
    return client.post(path, data={"csrf_token": token(client, "/township/cards"), **form})


def village_page(client, town) -> str:
    """The village 1 cards page's HTML."""
    return client.get(f"/township/cards/villages/{town['village_1']}").get_data(as_text=True)


def test_issue_for_the_village_then_refuse_a_second_time(client, app, village):
    page_login(client, "staff_a")
    v1 = village["village_1"]
    r = post(client, f"/township/cards/villages/{v1}/issue")
    assert r.status_code == 303 and r.location.endswith(f"/villages/{v1}")
    html = village_page(client, village)
    assert "已发卡张数 3" in html and "打印当天发的卡" in html
    assert len(cards_of(app, status="active")) == 3  # not the moved-out resident
    assert logged(app) == [(f"card:village:{v1}:all", "issue_missing")]
    with app.app_context():
        assert db.session.scalar(db.select(AdminChange)).after == {"issued": 3}
    r = post(client, f"/township/cards/villages/{v1}/issue")
    assert r.status_code == 303
    assert "本村在册居民都已有有效卡" in client.get(r.location).get_data(as_text=True)
    assert len(cards_of(app, status="active")) == 3 and len(logged(app)) == 1


def test_reissue_a_lost_card_with_a_reason(client, app, village):
    page_login(client, "admin_a")
    r1 = village["resident_1"]
    assert post(client, f"/township/cards/residents/{r1}/issue").status_code == 303
    old = cards_of(app, resident_id=r1)[0]
    r = post(client, f"/township/cards/residents/{r1}/issue", reason="lost", note="赶集时丢失")
    assert r.status_code == 303
    assert "已补发新卡,原卡已作废" in client.get(r.location).get_data(as_text=True)
    first, second = cards_of(app, resident_id=r1)
    assert (first.id, first.status, first.revoke_reason) == (old.id, "revoked", "lost")
    assert second.status == "active"
    assert [a for _, a in logged(app)] == ["issue", "reissue"]
    with app.app_context():
        row = db.session.scalars(db.select(AdminChange).order_by(AdminChange.id)).all()[-1]
        assert row.subject == f"card:village:{village['village_1']}:resident:{r1}"
        assert row.note == "赶集时丢失" and row.before == {"card_id": old.id,
                                                         "revoke_reason": "lost"}
    html = village_page(client, village)
    assert "挂失补发 · 张三丰" in html and "赶集时丢失" in html


@pytest.mark.parametrize(("form", "message"), [
    ({}, "请选择作废原因"),
    ({"reason": "stolen"}, "请选择作废原因"),
    ({"reason": "lost", "note": "长" * 201}, "说明不能超过200字"),
])
def test_reissue_and_revoke_refuse_a_bad_reason(client, app, village, form, message):
    page_login(client, "staff_a")
    r1 = village["resident_1"]
    post(client, f"/township/cards/residents/{r1}/issue")
    card = cards_of(app, resident_id=r1)[0]
    for path in (f"/township/cards/residents/{r1}/issue", f"/township/cards/{card.id}/revoke"):
        r = post(client, path, **form)
        assert r.status_code == 303
        assert message in client.get(r.location).get_data(as_text=True)
    assert [c.status for c in cards_of(app, resident_id=r1)] == ["active"]
    assert [a for _, a in logged(app)] == ["issue"]


def test_revoke_only_then_refuse_twice(client, app, village):
    page_login(client, "staff_a")
    r1 = village["resident_1"]
    post(client, f"/township/cards/residents/{r1}/issue")
    card = cards_of(app, resident_id=r1)[0]
    r = post(client, f"/township/cards/{card.id}/revoke", reason="damaged")
    assert r.status_code == 303
    assert cards_of(app, id=card.id)[0].revoke_reason == "damaged"
    html = client.get(r.location).get_data(as_text=True)
    assert "已作废,该卡在各手机同步后失效" in html
    assert "其中挂失未补发 1" in html  # no active card now, a revoked one
    r = post(client, f"/township/cards/{card.id}/revoke", reason="lost")
    assert "此卡已经作废" in client.get(r.location).get_data(as_text=True)
    assert [a for _, a in logged(app)] == ["issue", "revoke"]
    with app.app_context():
        assert db.session.get(Resident, r1).version == 3  # issued, revoked: phones hear


def test_no_card_for_a_resident_who_moved_out(client, app, village):
    page_login(client, "staff_a")
    with app.app_context():
        gone = db.session.scalar(db.select(Resident.id).where(Resident.name == "张老汉"))
    r = post(client, f"/township/cards/residents/{gone}/issue")
    assert "该居民已迁出、死亡或失访" in client.get(r.location).get_data(as_text=True)
    assert cards_of(app) == []


def listed(response) -> str:
    """The resident list of a village cards page (not the action log under it)."""
    return response.get_data(as_text=True).split('id="list"')[1].split("居民卡操作记录")[0]


def test_search_is_a_post_and_filters_are_ids(client, app, village):
    page_login(client, "staff_a")
    v1 = village["village_1"]
    r = post(client, f"/township/cards/villages/{v1}/search", name="小")
    html = listed(r)
    assert r.status_code == 200 and "张小明" in html and "张小红" in html
    assert "张三丰" not in html
    post(client, f"/township/cards/residents/{village['resident_1']}/issue")
    html = listed(client.get(f"/township/cards/villages/{v1}?status=none"))
    assert "张小明" in html and "张三丰" not in html
    html = listed(client.get(f"/township/cards/villages/{v1}?status=active"))
    assert "张三丰" in html and "张小明" not in html
    card = cards_of(app, resident_id=village["resident_1"])[0]
    post(client, f"/township/cards/{card.id}/revoke", reason="lost")
    html = listed(client.get(f"/township/cards/villages/{v1}?status=revoked"))
    assert "张三丰" in html and "张小明" not in html
    html = listed(client.get(f"/township/cards/villages/{v1}?status=none"))
    assert "张三丰" in html and "张小明" in html


def test_blank_batch_and_print_it(client, app, village):
    page_login(client, "staff_a")
    r = post(client, "/township/cards/blank", count="12")
    assert r.status_code == 303
    assert "已生成空白卡张数 12" in client.get(r.location).get_data(as_text=True)
    batch = cards_of(app, status="blank")[0].batch
    r = post(client, "/township/cards/print", set="batch", batch=batch)
    assert r.status_code == 200 and r.mimetype == "application/pdf"
    assert r.data.startswith(b"%PDF")
    assert logged(app) == [(f"card:blank:{batch}", "make_blank"),
                           (f"card:blank:{batch}", "print")]


@pytest.mark.parametrize("count", ["0", "501", "abc", "", "-3", "2.5"])
def test_blank_count_refused(client, app, village, count):
    page_login(client, "staff_a")
    r = post(client, "/township/cards/blank", count=count)
    assert "空白卡数量请填写1到500之间的整数" in client.get(r.location).get_data(as_text=True)
    assert cards_of(app) == [] and logged(app) == []


def pdf_cards(data: bytes) -> int:
    """How many cards a sheet holds, read from the heading the sheet prints."""
    import pypdfium2 as pdfium

    text = pdfium.PdfDocument(io.BytesIO(data))[0].get_textpage().get_text_range()
    return int(text.split("居民健康卡", 1)[1].split("张", 1)[0])


def test_print_all_the_day_or_the_ticked_cards(client, app, village):
    page_login(client, "staff_a")
    v1 = village["village_1"]
    post(client, f"/township/cards/villages/{v1}/issue")
    cards = cards_of(app, status="active")
    day = cards[0].issued_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    for form, n in (({"set": "all"}, 3), ({"set": "day", "day": day.isoformat()}, 3),
                    ({"set": "chosen", "card_id": [str(cards[0].id), str(cards[2].id)]}, 2)):
        r = post(client, "/township/cards/print", village_id=str(v1), **form)
        assert r.status_code == 200 and r.mimetype == "application/pdf", form
        assert pdf_cards(r.data) == n
    prints = logged(app)[1:]
    assert prints == [(f"card:village:{v1}:print", "print")] * 3
    for form, message in (({"set": "chosen"}, "请先在名单中勾选要打印的卡"),
                          ({"set": "day", "day": "2001-01-01"}, "所选范围内没有可打印的卡"),
                          ({"set": "day", "day": "nonsense"}, "所选范围内没有可打印的卡"),
                          ({"set": "chosen", "card_id": "9" * 30}, "请先在名单中勾选要打印的卡")):
        r = post(client, "/township/cards/print", village_id=str(v1), **form)
        assert r.status_code == 303
        assert message in client.get(r.location).get_data(as_text=True)
    # a card of another village ticked on village 1's form is not printed
    with app.app_context():
        other = ResidentCard(code="C1" + "A" * 20, fallback="AAAAAAAAA", status="active",
                             township_id=village["township_a"],
                             resident_id=village["resident_2"])
        db.session.add(other)
        db.session.commit()
        other_id = other.id
    r = post(client, "/township/cards/print", village_id=str(v1), set="chosen",
             card_id=[str(other_id)])
    assert "所选范围内没有可打印的卡" in client.get(r.location).get_data(as_text=True)


def test_doctors_are_refused(client, app, village):
    page_login(client, "doctor_a")
    for path in ("/township/cards", f"/township/cards/villages/{village['village_1']}"):
        r = client.get(path)
        assert r.status_code == 403 and "仅乡镇卫生院工作人员" in r.get_data(as_text=True)
    r1 = village["resident_1"]
    csrf = token(client, "/township/login")
    for path in (f"/township/cards/villages/{village['village_1']}/issue",
                 f"/township/cards/residents/{r1}/issue", "/township/cards/blank",
                 "/township/cards/print"):
        assert client.post(path, data={"csrf_token": csrf, "count": "5", "set": "all",
                                       "village_id": village["village_1"]}).status_code == 403
    assert cards_of(app) == [] and logged(app) == []


def test_another_township_is_not_found(client, app, village):
    page_login(client, "staff_a")
    post(client, f"/township/cards/residents/{village['resident_1']}/issue")
    card = cards_of(app)[0]
    client.post("/township/logout", data={"csrf_token": token(client, "/township/cards")})
    page_login(client, "staff_b")
    v1 = village["village_1"]
    r = client.get(f"/township/cards/villages/{v1}")
    assert r.status_code == 404 and "不属于本乡镇" in r.get_data(as_text=True)
    for path, form in ((f"/township/cards/villages/{v1}/issue", {}),
                       (f"/township/cards/villages/{v1}/search", {"name": "张"}),
                       (f"/township/cards/residents/{village['resident_1']}/issue",
                        {"reason": "lost"}),
                       (f"/township/cards/{card.id}/revoke", {"reason": "lost"}),
                       ("/township/cards/print", {"set": "all", "village_id": str(v1)}),
                       ("/township/cards/print", {"set": "batch", "batch": "x"})):
        r = post(client, path, **form)
        assert r.status_code in (404, 303), path
        if r.status_code == 303:  # the batch: nothing of theirs to print
            assert "所选范围内没有可打印的卡" in client.get(r.location).get_data(as_text=True)
    assert [c.status for c in cards_of(app)] == ["active"]
    assert [a for _, a in logged(app)] == ["issue"]
    html = client.get("/township/cards").get_data(as_text=True)
    assert "白鹤村" in html and "龙泉村" not in html and "张三丰" not in html


@pytest.mark.parametrize("village_id", ["", "abc", "9" * 30, "999999"])
def test_print_needs_a_village_of_the_township(client, app, village, village_id):
    page_login(client, "staff_a")
    r = post(client, "/township/cards/print", set="all", village_id=village_id)
    assert r.status_code == 404 and "不属于本乡镇" in r.get_data(as_text=True)
    assert logged(app) == []


def test_a_form_without_the_csrf_token_is_refused_in_chinese(client, app, village):
    page_login(client, "staff_a")
    r = client.post(f"/township/cards/villages/{village['village_1']}/issue")
    assert r.status_code == 400 and "表单已过期" in r.get_data(as_text=True)
    assert cards_of(app) == []


def test_english(client, village):
    page_login(client, "staff_a")
    html = client.get(f"/township/cards/villages/{village['village_1']}?lang=en") \
        .get_data(as_text=True)
    assert "Issue cards to residents without one" in html and "Revoke and reissue" not in html


def test_cards_of_residents_who_left_are_listed_and_revoked(client, app, village):
    """A card issued before its holder moved out still opens the record at a door: the
    overview counts it, the village page lists it with a revoke button, and revoking it
    is audited like any other revoke."""
    page_login(client, "staff_a")
    with app.app_context():
        leaver = db.session.scalar(db.select(Resident).filter_by(name="张小明"))
        leaver_id = leaver.id
    assert post(client, f"/township/cards/residents/{leaver_id}/issue").status_code == 303
    [card] = cards_of(app, resident_id=leaver_id, status="active")
    html = client.get(f"/township/cards/villages/{village['village_1']}").get_data(as_text=True)
    assert "仍持有效卡" not in html  # nobody has left yet
    with app.app_context():
        db.session.get(Resident, leaver_id).status = "moved_out"
        db.session.commit()
    overview = client.get("/township/cards").get_data(as_text=True)
    assert "应作废" in overview
    html = client.get(f"/township/cards/villages/{village['village_1']}").get_data(as_text=True)
    assert "仍持有效卡 (1)" in html and "张小明" in html and "已迁出" in html
    assert f"/township/cards/{card.id}/revoke" in html
    r = post(client, f"/township/cards/{card.id}/revoke", reason="other", note="已迁出")
    assert r.status_code == 303
    assert [c.status for c in cards_of(app, id=card.id)] == ["revoked"]
    assert logged(app)[-1] == (
        f"card:village:{village['village_1']}:resident:{leaver_id}", "revoke")
    html = client.get(f"/township/cards/villages/{village['village_1']}").get_data(as_text=True)
    assert "仍持有效卡" not in html


def test_a_big_village_is_listed_page_by_page(client, app, village):
    """250 more residents: three pages of 100, 100 and 53 in household order, links that
    keep the status filter, and a bad or too large page number shown as a real page."""
    with app.app_context():
        hh = db.session.get(Household, village["household_1"])
        db.session.add_all([Resident(household_id=hh.id, village_id=hh.village_id,
                                     name=f"王{n:03d}", sex="female",
                                     birth_date=dt.date(1980, 1, 1), status="active")
                            for n in range(250)])
        db.session.commit()
    page_login(client, "staff_a")
    v1 = village["village_1"]
    names = []
    for page in (1, 2, 3):
        html = listed(client.get(f"/township/cards/villages/{v1}?page={page}"))
        rows = html.count('<tr class="flag">')
        assert rows == (100, 100, 53)[page - 1]
        assert f"第 {page} / 3 页" in html
        assert ("rel=\"prev\"" in html) == (page > 1) and ("rel=\"next\"" in html) == (page < 3)
        names += [part.split("<")[0].split("> ")[-1] for part in
                  html.split('<tr class="flag"><td>')[1:]]
    assert len(names) == len(set(names)) == 253  # every resident once
    html = listed(client.get(f"/township/cards/villages/{v1}?status=none&page=2"))
    assert "status=none" in html.split('rel="next"')[0].rsplit("href=", 1)[1]
    for bad in ("abc", "-1", "0", "99999999999"):
        html = listed(client.get(f"/township/cards/villages/{v1}?page={bad}"))
        assert "第 1 / 3 页" in html
    assert "第 3 / 3 页" in listed(client.get(f"/township/cards/villages/{v1}?page=7"))
    # A search shows its first page and says to type more; no page links carry a name.
    r = post(client, f"/township/cards/villages/{v1}/search", name="王")
    html = listed(r)
    assert html.count('<tr class="flag">') == 100 and "请输入更完整的姓名" in html
    assert "page=" not in html
