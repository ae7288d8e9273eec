"""How the product starts: settings reach the store, real bugs are not hidden,
and what a worker keeps of the city follows an import.

Each was a bug hiding in the structure (issue 18): the SLA policy was set on
the store after it was built, so the command line used the default one; the
command line caught every ``ValueError``, so a bug printed one line and no
traceback; the kiosk tour's town list was kept for the life of a worker.
"""

from __future__ import annotations

import ast

import pytest

from cli import main as cli_main
from dashboard.map_view import town_codes
from data.store import Store
from domain.sla import SlaPolicy
from tests.servers import ROOT
from tests.tiny_city import tiny_city


def store_opens(path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "open"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "Store"
    ]


def test_every_store_the_product_opens_gets_the_settings_sla_policy():
    """The server and every command open the store with the policy in force."""
    opens = {
        str(path.relative_to(ROOT)): store_opens(path)
        for room in ("server", "cli")
        for path in (ROOT / room).rglob("*.py")
    }
    assert sum(len(calls) for calls in opens.values()) >= 6
    missing = {
        name: [call.lineno for call in calls if "sla_policy" not in {k.arg for k in call.keywords}]
        for name, calls in opens.items()
    }
    assert {name: lines for name, lines in missing.items() if lines} == {}


def test_the_policy_given_when_the_store_opens_sets_the_deadlines(tiny_url):
    policy = SlaPolicy.default()
    store = Store.open(tiny_url, sla_policy=policy)
    try:
        assert store.sla_policy is policy
    finally:
        store.close()
    assert Store.open(tiny_url).sla_policy is None  # None: the default policy


def test_a_bad_setting_is_one_clear_line(monkeypatch, capsys):
    monkeypatch.setenv("PORT", "99999")
    assert cli_main.main(["calendar", "2027"]) == 2
    assert capsys.readouterr().err.strip() == (
        "grid-command: PORT must be between 1 and 65535, not 99999"
    )


def test_a_bug_in_a_command_is_not_hidden_as_a_message(monkeypatch):
    """A ValueError that is a bug, not a refusal, reaches the traceback."""

    def broken(settings, args):
        raise ValueError("a bug in the code")

    monkeypatch.setitem(cli_main.HANDLERS, "calendar", broken)
    with pytest.raises(ValueError, match="a bug in the code"):
        cli_main.main(["calendar", "2027"])


def test_the_kiosk_tour_follows_an_import_of_new_towns(tiny_url):
    store = Store.open(tiny_url)
    try:
        before = town_codes(store)
        assert before == store.towns()["code"].tolist()
        city = tiny_city()
        city.towns["code"] = [f"{code}9" for code in city.towns["code"]]
        for frame in vars(city).values():
            for column in ("town_code", "town"):
                if column in getattr(frame, "columns", ()):
                    frame[column] = frame[column].map(
                        lambda c: f"{c}9" if isinstance(c, str) else c
                    )
        store.load_city(city, replace=True)
        assert town_codes(store) == [f"{code}9" for code in before]
    finally:
        store.close()


def test_settings_refuse_with_their_own_error():
    from settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="GC_LANG"):
        Settings.from_env({"GC_LANG": "fr"})


def test_each_default_is_written_once_in_the_table_of_settings():
    """Settings' fields have no defaults of their own: ``SETTINGS`` holds them."""
    import dataclasses

    from settings import SETTINGS, Settings

    own = [
        f.name
        for f in dataclasses.fields(Settings)
        if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    ]
    assert own == ["calendar"]  # made from GC_CALENDAR_FILE, itself in SETTINGS
    assert "GC_CALENDAR_FILE" in {s.env for s in SETTINGS}
