"""The demo's targets are keyed by real indicators, so the township pages judge by them."""
from __future__ import annotations

from server.demo.generate import TARGETS
from server.metrics.definitions import BY_KEY


def test_every_demo_target_names_an_indicator():
    assert [key for key, _, _ in TARGETS if key not in BY_KEY] == []


def test_every_demo_setting_is_one_the_indicators_read():
    from server.demo.generate import SETTINGS
    from server.metrics.definitions import DEFAULT_SETTINGS

    for key, value in SETTINGS:
        assert key in DEFAULT_SETTINGS
        assert set(value) <= set(DEFAULT_SETTINGS[key]), (key, value)
