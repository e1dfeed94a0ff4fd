"""Every word a township page asks for by name exists, in Chinese and in English (a
missing one would show its key on the page)."""
from __future__ import annotations

import re
from pathlib import Path

from server.township.i18n import LABELS, WORDS

TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "township" / "templates"


def test_every_named_word_of_the_templates_exists_in_both_languages():
    asked = {(path.name, key) for path in TEMPLATES.rglob("*.html")
             for key in re.findall(r"(?<![\w.])t\('([a-z_0-9]+)'\)", path.read_text())}
    assert len(asked) > 100  # the pattern does find the templates' words
    missing = sorted((name, key) for name, key in asked if key not in WORDS | LABELS)
    assert missing == []
    for key in {key for _, key in asked}:
        zh, en = (WORDS.get(key) or LABELS[key])[:2]
        assert zh and en, key
