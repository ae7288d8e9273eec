"""The UI's words in both languages."""

from __future__ import annotations

from dashboard.i18n import TEXT, pick_language, t


def test_both_languages_have_every_key():
    assert set(TEXT["zh"]) == set(TEXT["en"])


def test_english_units_are_empty_not_chinese():
    assert t("unit.items", "en") == "" and t("unit.items", "zh") == "件"
    assert t("no.such.key", "en") == "no.such.key"


def test_only_known_languages_are_picked():
    assert pick_language("en", "zh") == "en"
    assert pick_language("fr", "zh") == "zh" and pick_language(None, "en") == "en"
