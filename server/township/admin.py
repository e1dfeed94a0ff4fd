"""Settings, assessment points and targets: staff see them, the township admin changes them.

A form is validated whole first (server.metrics.editing); with any bad field the page
comes back with 422, the values as typed and a Chinese error beside each bad field, and
nothing is stored. A good form is stored and logged in one commit
(docs/adr/0028-editing-settings-and-targets.md).
"""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for

from core.clock import today_local
from core.models import Village
from server.extensions import db
from server.metrics import assessment, editing
from server.metrics.definitions import SUPPORTED, settings_for, targets_for
from server.numbers import form_id, whole
from server.services import audit
from server.township.i18n import word
from server.township.web import admin_only, bp


def _villages() -> list:
    return db.session.execute(db.select(Village.id, Village.name).where(
        Village.township_id == g.user.township_id).order_by(Village.code)).all()


def _settings_page(form=None, errors=None, rule_errors=None, status: int = 200):
    """The settings page; `form` holds what was typed when a save was refused."""
    tid = g.user.township_id
    page = render_template(
        "township/settings.html", settings=settings_for(db.session, tid),
        rules=assessment.rules_for(db.session, tid), fields=editing.FIELDS,
        villages=_villages(), form=form, errors=errors or {}, rule_errors=rule_errors or {},
        changes=audit.admin_changes(db.session, tid, "setting:", 20)
        + audit.admin_changes(db.session, tid, "rule:", 20))
    return page, status


@bp.get("/settings")
def settings_page():
    """The township's settings and assessment points (staff read, the admin edits)."""
    return _settings_page()


@bp.post("/settings")
def save_settings():
    """Store the settings form whole, or refuse it whole with an error per field."""
    admin_only()
    values, errors = editing.parse_settings(request.form, [v.id for v in _villages()])
    if errors:
        return _settings_page(form=request.form, errors=errors, status=422)
    changed = editing.save_settings(db.session, g.user, values)
    db.session.commit()
    flash(f"{word('saved', g.lang)} {len(changed)} · {word('next_recompute', g.lang)}")
    return redirect(url_for("township.settings_page"))


@bp.post("/assessment/rules")
def save_rules():
    """Store the assessment's points whole, or refuse them whole with an error per rule."""
    admin_only()
    values, errors = editing.parse_rules(request.form)
    if errors:
        return _settings_page(form=request.form, rule_errors=errors, status=422)
    changed = editing.save_rules(db.session, g.user, values)
    db.session.commit()
    flash(f"{word('saved', g.lang)} {len(changed)}")
    return redirect(url_for("township.settings_page") + "#points")


def _scope() -> tuple[int, int | None]:
    """?year= (default this year) and ?village= (a village of the township, else none)."""
    source = request.form if request.method == "POST" else request.args
    year = whole(source.get("year", ""))
    if year is None or not 2000 <= year <= 2100:
        year = today_local().year
    raw = source.get("village", "")
    if not raw:
        return year, None
    village_id = form_id(raw)
    if village_id not in {v.id for v in _villages()}:
        abort(404)
    return year, village_id


def _targets_page(year: int, village_id: int | None, form=None, errors=None,
                  status: int = 200):
    tid = g.user.township_id
    targets = targets_for(db.session, tid, year)
    page = render_template(
        "township/targets.html", year=year, village_id=village_id, villages=_villages(),
        indicators=SUPPORTED, own={k: t for (k, v), t in targets.items() if v == village_id},
        township={k: t for (k, v), t in targets.items() if v is None},
        form=form, errors=errors or {},
        changes=audit.admin_changes(db.session, tid, "target:", 30))
    return page, status


@bp.get("/targets")
def targets_page():
    """One year's targets for the township or one village, against the national ones."""
    year, village_id = _scope()
    return _targets_page(year, village_id)


@bp.post("/targets")
def save_targets():
    """Store one scope's targets for a year whole, or refuse them with an error per field."""
    admin_only()
    year, village_id = _scope()
    values, errors = editing.parse_targets(request.form)
    if errors:
        return _targets_page(year, village_id, form=request.form, errors=errors, status=422)
    changed = editing.save_targets(db.session, g.user, year, village_id, values)
    db.session.commit()
    flash(f"{word('saved', g.lang)} {len(changed)} · {word('targets_now', g.lang)}")
    return redirect(url_for("township.targets_page", year=year, village=village_id or None))
