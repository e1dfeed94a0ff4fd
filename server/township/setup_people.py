"""Set-up pages for the admin: villages with their groups, clinic and population; accounts
with the villages each doctor serves or each staff member is 包村 for; and moving a person
between villages from the accounts page. Writes go through server/services/setup.py."""
from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, session, url_for
from sqlalchemy import select

from core.models import ROLE_ADMIN, ROLE_DOCTOR, ROLE_STAFF, Setting, User, Village, VillageGroup
from server.extensions import db
from server.metrics.editing import POPULATION_KEY
from server.services import audit, setup
from server.township.i18n import word
from server.township.web import admin_only, bp

ROLES = (ROLE_DOCTOR, ROLE_STAFF, ROLE_ADMIN)


def _villages() -> list[Village]:
    return db.session.scalars(select(Village).where(Village.township_id == g.user.township_id)
                              .order_by(Village.code)).all()


@bp.route("/setup/villages", methods=["GET", "POST"])
def setup_villages():
    """The township's villages; the form adds one or brings one (by its code) up to date."""
    admin_only()
    errors: dict[str, str] = {}
    if request.method == "POST":
        f = request.form
        try:
            village, changes = setup.ensure_village(
                db.session, g.user.township, f.get("code"), f.get("name"),
                f.get("groups", "").replace("，", ",").replace("、", ",").split(","),
                f.get("clinic"), f.get("population"))
        except setup.SetupError as e:
            errors = e.errors
            db.session.rollback()
        else:
            if changes:
                audit.record_change(db.session, g.user, f"village:{village.id}", "setup",
                                    None, {"changes": changes})
            db.session.commit()
            flash("；".join(changes) or word("setup_no_change", g.lang))
            return redirect(url_for("township.setup_villages"))
    villages = _villages()
    groups: dict[int, list[str]] = {}
    for vid, name in db.session.execute(select(VillageGroup.village_id, VillageGroup.name)
                                        .order_by(VillageGroup.id)):
        groups.setdefault(vid, []).append(name)
    population = db.session.scalar(select(Setting.value).where(
        Setting.township_id == g.user.township_id, Setting.key == POPULATION_KEY)) or {}
    return render_template("township/setup_villages.html", villages=villages, groups=groups,
                           population=population, errors=errors,
                           form=request.form if errors else {}), (422 if errors else 200)


@bp.route("/setup/people", methods=["GET", "POST"])
def setup_people():
    """The township's accounts; the form adds one with its villages and a one-time password
    shown once on the next page."""
    admin_only()
    errors: dict[str, str] = {}
    villages = _villages()
    if request.method == "POST":
        f = request.form
        chosen = _chosen(villages)
        try:
            user, one_time, changes = setup.ensure_account(
                db.session, g.user.township, f.get("username"), f.get("full_name"),
                f.get("role", ""), f.get("phone"), current_app.config["PASSWORD_HASH_METHOD"])
            changes += setup.assign_villages(db.session, g.user, user, chosen)
        except setup.SetupError as e:
            errors = e.errors
            db.session.rollback()
        else:
            if changes:
                audit.record_change(db.session, g.user, f"user:{user.id}", "setup", None,
                                    {"changes": changes})
            db.session.commit()
            if one_time:
                session["one_time"] = (user.full_name, one_time)
            flash("；".join(changes) or word("setup_no_change", g.lang))
            return redirect(url_for("township.setup_people", shown=1 if one_time else None))
    users = db.session.scalars(select(User).where(User.township_id == g.user.township_id)
                               .order_by(User.role.desc(), User.username)).all()
    one_time = session.pop("one_time", None) if request.args.get("shown") else None
    return render_template("township/setup_people.html", users=users, villages=villages,
                           roles=ROLES, doctor=ROLE_DOCTOR, staff=ROLE_STAFF, errors=errors,
                           form=request.form if errors else {}, one_time=one_time), \
        (422 if errors else 200)


def _chosen(villages: list[Village]) -> list[Village]:
    """The villages ticked on the form, only of this township."""
    ticked = set(request.form.getlist("village"))
    return [v for v in villages if str(v.id) in ticked]


@bp.post("/accounts/<int:user_id>/villages")
def set_account_villages(user_id: int):
    """Move a doctor between villages (their phones start a fresh copy at the next sync) or
    change whom a staff member is 包村 for."""
    admin_only()
    user = db.session.get(User, user_id)
    if user is None or user.township_id != g.user.township_id or user.role == ROLE_ADMIN:
        abort(404)
    changes = setup.assign_villages(db.session, g.user, user, _chosen(_villages()))
    db.session.commit()
    flash("；".join(changes) or word("setup_no_change", g.lang))
    back = "township.setup_people" if request.form.get("back") == "setup" else \
        "township.accounts_page"
    return redirect(url_for(back))
