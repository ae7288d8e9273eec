"""Users, passwords, sessions and lock-out, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from data import store_auth
from domain.errors import Conflict, InvalidInput, NotFound, TooManyAttempts, Unauthenticated

PASSWORD = "correct horse 42"


def _sign_ins(store):
    audit = store.audit(limit=1000)
    return audit[audit["action"].isin(["sign_in", "sign_in_failed", "sign_out"])]


def test_a_user_signs_in_gets_a_session_and_signs_out(city_store):
    town = city_store.towns()["code"].iloc[0]
    city_store.create_user("li.zhen", PASSWORD, "town_leader", town=town, actor="test")
    seq = city_store.latest_seq()
    token, principal = city_store.sign_in("li.zhen", PASSWORD, client="127.0.0.1 test")
    assert principal.role == "town_leader" and principal.town == town
    assert city_store.session_principal(token) == principal
    city_store.sign_out(token)
    assert city_store.session_principal(token) is None
    assert list(_sign_ins(city_store)["action"])[::-1] == ["sign_in", "sign_out"]
    assert city_store.latest_seq() == seq  # sign-ins are audited, never broadcast
    users = city_store.users()
    assert "password_hash" not in users.columns


def test_wrong_passwords_are_audited_and_lock_the_account(city_store, monkeypatch):
    city_store.create_user("zhao", PASSWORD, "operator", actor="test")
    for _ in range(store_auth.MAX_FAILURES - 1):
        with pytest.raises(Unauthenticated, match="wrong user name or password"):
            city_store.sign_in("zhao", "not the password", client="10.0.0.9")
    with pytest.raises(TooManyAttempts, match="locked until"):
        city_store.sign_in("zhao", "not the password", client="10.0.0.9")
    with pytest.raises(TooManyAttempts):  # even the right password, while locked
        city_store.sign_in("zhao", PASSWORD)
    failed = _sign_ins(city_store)
    assert (failed["action"] == "sign_in_failed").sum() == store_auth.MAX_FAILURES + 1
    # After the lock-out the right password works again.
    later = store_auth.utcnow() + store_auth.LOCKOUT + dt.timedelta(seconds=1)
    monkeypatch.setattr(store_auth, "utcnow", lambda: later)
    token, _ = city_store.sign_in("zhao", PASSWORD)
    assert token


def test_unknown_and_disabled_users_get_the_same_answer_as_a_wrong_password(city_store):
    city_store.create_user("wang", PASSWORD, "city_leader", actor="test")
    token, _ = city_store.sign_in("wang", PASSWORD)
    city_store.set_disabled("wang", True, actor="admin")
    assert city_store.session_principal(token) is None  # disabling ends the session
    for name in ("wang", "nobody"):
        with pytest.raises(Unauthenticated, match="wrong user name or password"):
            city_store.sign_in(name, PASSWORD)


def test_bad_users_are_refused_and_nothing_is_written(city_store):
    before = len(city_store.audit(limit=1000))
    town = city_store.towns()["code"].iloc[0]
    bad = [
        (("x", PASSWORD, "operator"), {}, "user name"),
        (("ok.name", "short", "operator"), {}, "at least 10"),
        (("ok.name", "aaaaaaaaaaaa", "operator"), {}, "different characters"),
        (("ok.name", PASSWORD, "mayor"), {}, "unknown role"),
        (("ok.name", PASSWORD, "town_leader"), {}, "needs the code of their town"),
        (("ok.name", PASSWORD, "town_leader"), {"town": "999"}, "no town"),
        (("ok.name", PASSWORD, "operator"), {"town": town}, "give no town"),
    ]
    for args, extra, message in bad:
        with pytest.raises(InvalidInput, match=message):
            city_store.create_user(*args, actor="test", **extra)
    city_store.create_user("ok.name", PASSWORD, "operator", actor="test")
    with pytest.raises(Conflict):
        city_store.create_user("ok.name", PASSWORD, "admin", actor="test")
    assert len(city_store.users()) == 1
    assert len(city_store.audit(limit=1000)) == before + 1


def test_a_new_password_ends_sessions_and_the_first_admin_is_made_once(city_store):
    generated = city_store.ensure_first_admin(None)
    assert generated and len(generated) >= 16
    assert city_store.ensure_first_admin("another one 123") is None  # users exist
    token, principal = city_store.sign_in("admin", generated)
    assert principal.role == "admin"
    city_store.set_password("admin", "a brand new one 7", actor="user:admin")
    assert city_store.session_principal(token) is None
    with pytest.raises(Unauthenticated):
        city_store.sign_in("admin", generated)
    assert city_store.sign_in("admin", "a brand new one 7")[1].role == "admin"


def test_expired_sessions_end(city_store, monkeypatch):
    city_store.create_user("chen", PASSWORD, "operator", actor="test")
    token, _ = city_store.sign_in("chen", PASSWORD)
    later = store_auth.utcnow() + store_auth.SESSION_LENGTH + dt.timedelta(seconds=1)
    monkeypatch.setattr("data.store_auth.utcnow", lambda: later)
    assert city_store.session_principal(token) is None


def test_api_keys_carry_scopes_and_an_optional_town(city_store):
    town = city_store.towns()["code"].iloc[0]
    key = city_store.create_api_key("大屏-胶西", actor="test", scopes="display", town=town)
    client = city_store.client_for_key(key)
    assert client.scopes == ("display",) and client.town == town
    with pytest.raises(InvalidInput, match="unknown key scopes"):
        city_store.create_api_key("x", actor="test", scopes="display,root")
    with pytest.raises(InvalidInput, match="no town"):
        city_store.create_api_key("x", actor="test", scopes="display", town="999")


def test_lists_give_none_for_missing_values_and_flag_the_old_default(city_store):
    """Issue 16: NaT and NaN from pandas were shown as a revocation time and as
    "town nan"; lists for people say missing with None."""
    town = city_store.towns()["code"].iloc[0]
    add_user = city_store.create_user
    add_user("li", PASSWORD, "town_leader", town=town, actor="test")
    add_user("zhao", PASSWORD, "operator", actor="test")
    city_store.create_api_key("gone", actor="test", scopes="open311")
    city_store.create_api_key("wall", actor="test", scopes="display", town=town)
    city_store.create_api_key("legacy", actor="test", scopes="dispatch,open311,field")
    city_store.revoke_api_keys("gone", actor="test")
    users = city_store.users().set_index("username")
    assert users.loc["zhao", "town_code"] is None and users.loc["li", "town_code"] == town
    assert users.loc["zhao", "locked_until"] is None
    keys = city_store.api_keys().set_index("name")
    assert keys.loc["wall", "revoked_at"] is None and keys.loc["gone", "revoked_at"] is not None
    assert keys.loc["legacy", "town_code"] is None and keys.loc["wall", "town_code"] == town
    assert keys["old_default"].to_dict() == {"gone": False, "wall": False, "legacy": True}
    assert city_store.create_api_key("plain", actor="test")  # no scopes named: open311 only
    assert city_store.api_keys().set_index("name").loc["plain", "scopes"] == "open311"


def test_narrowing_a_key_keeps_it_working_with_less_and_refuses_bad_input(city_store):
    key = city_store.create_api_key("legacy", actor="test", scopes="open311,field,dispatch")
    with pytest.raises(InvalidInput, match="unknown key scopes"):
        city_store.set_api_key_scopes("legacy", "open311,root", actor="test")
    with pytest.raises(NotFound, match="no live API key"):
        city_store.set_api_key_scopes("nobody", "open311", actor="test")
    assert city_store.client_for_key(key).scopes == ("open311", "field", "dispatch")
    assert city_store.set_api_key_scopes("legacy", "open311", actor="admin") == 1
    assert city_store.client_for_key(key).scopes == ("open311",)
    entry = city_store.audit(1).iloc[0]
    assert entry["action"] == "set_api_key_scopes" and entry["actor"] == "admin"
    assert "open311,field,dispatch" in entry["before"]


def test_new_users_are_checked_before_any_password(city_store):
    city_store.create_user("zhao", PASSWORD, "operator", actor="test")
    with pytest.raises(Conflict, match="exists already"):
        city_store.check_new_user("zhao", "operator", None)
    with pytest.raises(InvalidInput, match="unknown role"):
        city_store.check_new_user("qian", "boss", None)
    assert city_store.check_new_user(" qian ", "operator", None) == ("qian", None)
    with pytest.raises(NotFound):
        city_store.check_user("nobody")
    assert len(city_store.users()) == 1


def test_a_narrowed_key_loses_its_old_scopes_at_once_in_the_process_that_narrowed_it(city_store):
    """Regression: the intake's key cache kept the old scopes for up to KEY_CACHE_SECONDS."""
    key = city_store.create_api_key("旧客户端", actor="test", scopes="open311,field,dispatch")
    assert city_store.client_for_key(key, cached=True).scopes == ("open311", "field", "dispatch")
    city_store.set_api_key_scopes("旧客户端", "open311", actor="test")
    assert city_store.client_for_key(key, cached=True).scopes == ("open311",)
