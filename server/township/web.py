"""The township blueprint: who may enter, CSRF on every form, language, and the login form.

Pages need a session cookie of township staff or an admin of the township; anonymous
callers go to the login form, village doctors get 403. Every POST carries the session's
CSRF token (docs/adr/0025-township-pages.md).
"""
from __future__ import annotations

import hmac
import re
import secrets
import uuid
from urllib.parse import urlparse

from flask import (
    Blueprint,
    abort,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from core.clock import today_local
from core.models import ROLE_ADMIN, ROLE_STAFF
from core.serialize import mask_national_id, mask_phone
from server.auth import sessions
from server.extensions import db
from server.metrics.definitions import BY_KEY
from server.metrics.population import CST
from server.metrics.read import today_periods
from server.problems import ApiError
from server.services import accounts
from server.township import charts
from server.township.i18n import LANGS, indicator_name, word

bp = Blueprint("township", __name__, url_prefix="/township", template_folder="templates",
               static_folder="static")
# The first-run page is open: it asks for the instance's set-up token and closes for good
# once a township exists (server/township/setup.py).
OPEN_ENDPOINTS = ("township.login", "township.static", "township.first_run")
_UNSAFE_IN_NEXT = re.compile(r"[\x00-\x1f\x7f\\]")
# All a person on a one-time password may do: choose their own, or leave.
PASSWORD_ENDPOINTS = ("township.password_page", "township.change_password", "township.logout")


@bp.before_request
def _guard():
    """Language first (the login page needs it), then the login and the CSRF check."""
    asked = request.args.get("lang")
    g.lang = asked if asked in LANGS else request.cookies.get("lang")
    if g.lang not in LANGS:
        g.lang = "zh"
    g.set_lang_cookie = asked in LANGS
    if request.method == "POST":
        _check_csrf()
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    if g.get("user") is None or g.get("device") is not None:
        return redirect(url_for("township.login", next=request.full_path.rstrip("?")))
    if g.user.role not in (ROLE_STAFF, ROLE_ADMIN):
        abort(403)
    if g.user.must_change_password and request.endpoint not in PASSWORD_ENDPOINTS:
        return redirect(url_for("township.password_page"))
    return None


@bp.after_request
def _remember_lang(response):
    """Keep the chosen language in a cookie (not personal data)."""
    if g.get("set_lang_cookie"):
        response.set_cookie("lang", g.lang, max_age=365 * 86400, samesite="Lax",
                            httponly=True)
    if request.endpoint != "township.static":  # pages carry names: never cached
        response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.errorhandler(403)
def _forbidden(_e):
    """A page, not JSON: the person is in a browser."""
    return render_template("township/forbidden.html"), 403


@bp.errorhandler(400)
@bp.errorhandler(404)
def _refused(e):
    """A Chinese page saying why (a stale form, or something not in this township)."""
    key = "not_found" if e.code == 404 else "bad_form"
    return render_template("township/refused.html", key=key), e.code


def csrf_token() -> str:
    """The session's CSRF token, made on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return session["csrf"]


def _check_csrf() -> None:
    """Refuse a POST whose form token is not the session's."""
    sent = request.form.get("csrf_token", "")
    if not sent or not hmac.compare_digest(sent, session.get("csrf", "")):
        abort(400, "CSRF token missing or wrong")


def admin_only() -> None:
    """Actions that change the assessment or close periods are the admin's."""
    if g.user.role != ROLE_ADMIN:
        abort(403)


@bp.app_template_global("t")
def _t(key: str) -> str:
    return word(key, g.get("lang", "zh"))


@bp.app_context_processor
def _helpers():
    """Names templates use everywhere."""
    return {"csrf_token": csrf_token, "mask_id": mask_national_id, "mask_phone": mask_phone,
            "ind_name": lambda ind: indicator_name(ind, g.get("lang", "zh")),
            "pct": lambda v: "—" if v is None else f"{v * 100:.1f}%", "charts": charts,
            "lang": g.get("lang", "zh"), "cst": CST, "by_key": BY_KEY,
            "lang_url": _lang_url, "resident_url": _resident_url}


def _resident_url(resident_id) -> str | None:
    """The register page of a resident listed by a figure or a check (None without one).
    Ids from SQL over subqueries can come back as hex text: made a UUID first."""
    if not resident_id:
        return None
    try:
        rid = resident_id if isinstance(resident_id, uuid.UUID) else uuid.UUID(str(resident_id))
    except ValueError:
        return None
    return url_for("township.resident_page", resident_id=rid)


def _lang_url(lang: str) -> str:
    """This page in another language (the query string kept, lang replaced)."""
    # The path's own parameters win over a query parameter of the same name (which would
    # otherwise be passed twice: a 500 on any page so linked).
    args = {k: v for k, v in request.args.items() if k != "lang"}
    return url_for(request.endpoint, **{**args, **(request.view_args or {}), "lang": lang})


def current_period(kind: str = "quarter") -> str:
    """?period= if valid, else this month, quarter or year."""
    from server.metrics.definitions import parse_period

    key = request.args.get("period", "")
    try:
        return parse_period(key).key
    except ValueError:
        return today_periods(today_local())[kind]


def _safe_next(target: str | None) -> str:
    """Only a path inside the township pages; never another site, and never a control
    character or backslash (a CR/LF cannot go into the Location header: it was a 500)."""
    if target and target.startswith("/township") and not urlparse(target).netloc \
            and not _UNSAFE_IN_NEXT.search(target):
        return target
    return url_for("township.overview")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """The staff login form (session cookie, the same accounts as the API)."""
    from server.auth.views import authenticate
    from server.services.setup import township_count

    if not township_count(db.session):  # a fresh instance: nobody to log in yet
        return redirect(url_for("township.first_run"))
    error = None
    if request.method == "POST":
        try:
            user = authenticate(request.form.get("username", "").strip(),
                                request.form.get("password", ""))
        except ApiError as e:
            error = e.message
        else:
            sessions.start(user)  # a fresh session (and CSRF token) after login
            db.session.commit()
            if user.must_change_password:
                return redirect(url_for("township.password_page"))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("township/login.html", error=error,
                           demo=accounts.is_demo_instance(db.session)), (401 if error else 200)


@bp.post("/logout")
def logout():
    """End the session, and every other browser session of the same person."""
    if g.get("user") is not None and g.get("device") is None:
        sessions.end_all(g.user.id, "logout")
        db.session.commit()
    session.clear()
    return redirect(url_for("township.login"))
