"""The card service writes the audit trail itself (issue 22.2): whoever calls it, a view,
a command or a script, leaves the same rows as the township's pages and the JSON API, in
the caller's transaction (like quality dismissals and settings edits)."""
from __future__ import annotations

from core.models import AdminChange, User
from server.cards import service
from server.extensions import db


def logged(session) -> list[tuple[str, str, dict | None, dict | None, str | None]]:
    return [(c.subject, c.action, c.before, c.after, c.note) for c in session.scalars(
        db.select(AdminChange).order_by(AdminChange.id))]


def test_every_card_change_made_through_the_service_is_audited(app, town):
    rid, vid = town["resident_1"], town["village_1"]
    with app.app_context():
        s = db.session
        staff = s.get(User, town["staff_a"])
        first = service.issue(s, staff, rid)
        second = service.issue(s, staff, rid, "damaged", note="被水泡坏")
        service.revoke(s, staff, second.id, "lost")
        batch, cards = service.make_blank(s, staff, 2)
        service.revoke(s, staff, cards[0].id, "damaged", note="印错")
        issued = service.issue_missing(s, staff, vid)
        rows = service.cards_for_print(s, staff, batch=batch)
        service.record_print(s, staff, rows, {"set": "batch"}, batch=batch)
        s.commit()
        subject = f"card:village:{vid}:resident:{rid}"
        assert issued > 0
        assert logged(s) == [
            (subject, "issue", None, {"card_id": first.id}, None),
            (subject, "reissue", {"card_id": first.id, "revoke_reason": "damaged"},
             {"card_id": second.id}, "被水泡坏"),
            (subject, "revoke", {"card_id": second.id, "status": "active"},
             {"card_id": second.id, "status": "revoked", "reason": "lost"}, None),
            (f"card:blank:{batch}", "make_blank", None, {"count": 2}, None),
            (f"card:blank:{batch}", "revoke", {"card_id": cards[0].id, "status": "blank"},
             {"card_id": cards[0].id, "status": "revoked", "reason": "damaged"}, "印错"),
            (f"card:village:{vid}:all", "issue_missing", None, {"issued": issued}, None),
            (f"card:blank:{batch}", "print", None,
             {"set": "batch", "count": 1, "card_ids": [cards[1].id]}, None),
        ]


def test_a_rolled_back_change_takes_its_audit_row_with_it(app, town):
    """The row is added to the caller's session: a rollback takes it with the change."""
    with app.app_context():
        s = db.session
        staff = s.get(User, town["staff_a"])
        service.issue(s, staff, town["resident_1"])
        s.rollback()
        card = service.issue(s, staff, town["resident_1"])
        s.commit()
        assert [(action, after) for _, action, _, after, _ in logged(s)] == [
            ("issue", {"card_id": card.id})]


def test_a_village_with_no_one_missing_a_card_logs_nothing(app, town):
    with app.app_context():
        s = db.session
        staff = s.get(User, town["staff_a"])
        issued = service.issue_missing(s, staff, town["village_1"])
        s.commit()
        assert service.issue_missing(s, staff, town["village_1"]) == 0
        s.commit()
        assert logged(s) == [(f"card:village:{town['village_1']}:all", "issue_missing", None,
                              {"issued": issued}, None)]
