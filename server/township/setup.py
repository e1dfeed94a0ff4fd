"""First run: a fresh instance (no township) opens on a form for the township and its first
admin, behind the token `flask setup-token` prints; then the admin's set-up checklist
(villages, accounts, targets). The pages only load forms and call
server/services/setup.py, as `flask setup-township` does (docs/adr/0063-township-setup.md).
"""
from __future__ import annotations

import datetime as dt

from flask import current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, select

from core.models import (
    ROLE_ADMIN,
    ROLE_DOCTOR,
    ROLE_STAFF,
    Setting,
    Target,
    User,
    VaccineScheduleDose,
    Village,
    VillageClinic,
    VillageGroup,
    doctor_villages,
)
from server.auth import sessions
from server.extensions import db
from server.metrics.definitions import SUPPORTED
from server.metrics.editing import POPULATION_KEY
from server.services import accounts, audit, setup
from server.services.passwords import hash_password
from server.township.i18n import word
from server.township.web import admin_only, bp

FIRST_RUN_FIELDS = ("token", "county_code", "county_name", "township_code", "township_name",
                    "health_center", "username", "full_name", "password", "confirm")


@bp.route("/first-run", methods=["GET", "POST"])
def first_run():
    """The township and its first admin, on an instance that has no township yet."""
    if setup.township_count(db.session):
        return redirect(url_for("township.login"))
    errors: dict[str, str] = {}
    form = request.form
    if request.method == "POST":
        errors = _first_run(form)
        if not errors:
            return redirect(url_for("township.setup_page"))
        db.session.rollback()
    shown = {k: v for k, v in form.items() if k in FIRST_RUN_FIELDS[1:8]}
    return render_template("township/setup_first_run.html", errors=errors, form=shown), \
        (422 if errors else 200)


def _first_run(form) -> dict[str, str]:
    """Create the township and the admin from the form; {field: message} when refused."""
    if not setup.token_ok(current_app.config["SECRET_KEY"], form.get("token", "")):
        return {"token": word("setup_bad_token", g.lang)}
    errors: dict[str, str] = {}
    try:
        township, _ = setup.ensure_township(
            db.session, form.get("county_code"), form.get("county_name"),
            form.get("township_code"), form.get("township_name"), form.get("health_center"))
    except setup.SetupError as e:
        return e.errors
    try:
        admin, _, _ = setup.ensure_account(db.session, township, form.get("username"),
                                           form.get("full_name"), ROLE_ADMIN, None,
                                           current_app.config["PASSWORD_HASH_METHOD"])
    except setup.SetupError as e:
        return e.errors
    password = form.get("password", "")
    problem = accounts.password_problem(admin, password)
    if problem:
        errors["password"] = word("pwerr_" + problem.partition("|")[0], g.lang)
    elif password != form.get("confirm", ""):
        errors["confirm"] = word("pwerr_mismatch", g.lang)
    if errors:
        return errors
    admin.password_hash = hash_password(password, current_app.config["PASSWORD_HASH_METHOD"])
    admin.must_change_password = False  # they chose it just now
    db.session.flush()
    audit.record_change(db.session, admin, f"township:{township.id}", "setup", None,
                        {"township": township.name, "first_run": True})
    sessions.start(admin)
    db.session.commit()
    return {}


@bp.get("/setup")
def setup_page():
    """The admin's checklist: what the township has so far, each step a link."""
    admin_only()
    tid = g.user.township_id
    villages = db.session.scalars(select(Village).where(Village.township_id == tid)).all()
    ids = [v.id for v in villages]
    count = db.session.scalar
    year = dt.date.today().year
    users = db.session.execute(select(User.role, func.count()).where(
        User.township_id == tid, User.active).group_by(User.role)).all()
    population = db.session.scalar(select(Setting.value).where(
        Setting.township_id == tid, Setting.key == POPULATION_KEY)) or {}
    facts = {
        "villages": len(villages),
        "groups": count(select(func.count(VillageGroup.id)).where(VillageGroup.village_id.in_(ids))),
        "clinics": count(select(func.count(VillageClinic.id)).where(VillageClinic.village_id.in_(ids))),
        "population": len(population),
        "roles": dict(users),
        "unassigned": count(select(func.count(User.id)).where(
            User.township_id == tid, User.role == ROLE_DOCTOR, User.active,
            ~User.id.in_(select(doctor_villages.c.user_id)))),
        "targets": count(select(func.count(Target.id)).where(Target.township_id == tid,
                                                             Target.year == year)),
        "doses": count(select(func.count(VaccineScheduleDose.id))),
        "editions": sorted(set(db.session.scalars(select(VaccineScheduleDose.edition)))),
    }
    return render_template("township/setup.html", facts=facts, year=year, doctor=ROLE_DOCTOR,
                           staff=ROLE_STAFF)


@bp.post("/setup/targets")
def setup_targets():
    """This year's targets at the national defaults, for each indicator that has none yet;
    the targets page then changes any of them, for the township or a village."""
    admin_only()
    year = dt.date.today().year
    township = g.user.township
    have = set(db.session.scalars(select(Target.indicator).where(
        Target.township_id == township.id, Target.year == year, Target.village_id.is_(None))))
    added = []
    for ind in SUPPORTED:
        if ind.target_kind and ind.key not in have:
            added += setup.ensure_target(db.session, township, ind.key, None, year,
                                         ind.target_kind, ind.target_value)
    if added:
        audit.record_change(db.session, g.user, f"township:{township.id}", "setup", None,
                            {"targets": len(added), "year": year})
    db.session.commit()
    flash(word("setup_targets_done", g.lang).replace("N", str(len(added))))
    return redirect(url_for("township.setup_page"))
