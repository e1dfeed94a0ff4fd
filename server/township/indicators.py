"""The definitions page (docs/indicators.md, each figure's 定义 link points into it) and
one doctor's figures: every indicator for the doctor, read from the rollups."""
from __future__ import annotations

import functools
import re
from pathlib import Path

from flask import abort, g, render_template, url_for
from markupsafe import Markup, escape

from core.models import ROLE_DOCTOR, User
from server.extensions import db
from server.metrics import read
from server.metrics.definitions import parse_period
from server.metrics.keys import definition_anchor
from server.township.web import bp, current_period

DEFINITIONS = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"
# "## <a id="key"></a>Title": the explicit anchor GitHub and the page both honour.
_HEADING = re.compile(r'^## (?:<a id="([a-z0-9_]+)"></a>)?(.+)$')


@bp.app_template_global("definition_url")
def definition_url(key: str) -> str:
    """Where an indicator's definition is: its section of the definitions page."""
    return url_for("township.indicators") + "#" + definition_anchor(key)


def _inline(text: str) -> Markup:
    """Escaped text with `code` and **bold** marked up (all the document uses inline)."""
    html = str(escape(text))
    html = re.sub(r"`([^`]+)`", r"<code>\1</code>", html)
    return Markup(re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", html))


@functools.cache
def sections() -> list[dict]:
    """docs/indicators.md as [{title, anchor, blocks: [("p", text) | ("ul", [items])]}]:
    the few shapes the document uses, read once per process."""
    if not DEFINITIONS.exists():  # an install without docs/: the page says so
        return []
    out: list[dict] = [{"title": "", "anchor": "top", "blocks": []}]
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks = out[-1]["blocks"]
            if para[0].startswith("- "):
                items: list[str] = []
                for line in para:
                    if line.startswith("- "):
                        items.append(line[2:])
                    else:  # a continuation line of the item above
                        items[-1] += " " + line.strip()
                blocks.append(("ul", [_inline(i) for i in items]))
            else:
                blocks.append(("p", _inline(" ".join(x.strip() for x in para))))
            para.clear()

    for line in DEFINITIONS.read_text(encoding="utf-8").splitlines():
        heading = _HEADING.match(line)
        if heading or line.startswith("# "):
            flush()
            if heading:
                out.append({"title": heading.group(2), "anchor": heading.group(1) or "",
                            "blocks": []})
            continue
        if not line.strip():
            flush()
        else:
            para.append(line)
    flush()
    return out


@bp.get("/indicators")
def indicators():
    """What each figure counts: docs/indicators.md, one section per indicator."""
    return render_template("township/indicators.html", sections=sections())


@bp.get("/doctors/<int:doctor_id>")
def doctor_page(doctor_id: int):
    """Every indicator for one village doctor (their residents, households and
    activities), for one period, against the township's targets."""
    doctor = db.session.get(User, doctor_id)
    if doctor is None or doctor.township_id != g.user.township_id or doctor.role != ROLE_DOCTOR:
        abort(404)
    period = current_period("year")
    cards = read.scorecard(db.session, g.user.township_id, period, "doctor", doctor_id)
    status = read.period_status(db.session, g.user.township_id, period)
    return render_template("township/doctor.html", period=period, cards=cards,
                           status=status, p=parse_period(period), doctor=doctor)
