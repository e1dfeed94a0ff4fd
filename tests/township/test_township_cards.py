"""The township's card pages over HTTP: figures per village, issue for a village, reissue
and revoke with a reason, blank batches, printing a chosen set; every action audited;
doctors, other townships and bad forms refused in Chinese."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from test_township_pages import page_login, token

from server.extensions import db
from server.models import AdminChange, Household, Resident, ResidentCard


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
