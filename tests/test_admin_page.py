"""What the /admin page's buttons do, on a real store: the plain functions its
callbacks call (the browser test drives the page itself)."""

from __future__ import annotations

import re

import pytest

from dashboard import ids
from dashboard.i18n import t
from dashboard.pages.admin import (
    add_key,
    add_user,
    change_selected_key,
    change_selected_user,
    key_rows,
    user_rows,
)
from domain.access import for_user
from domain.errors import GridCommandError

ADMIN = for_user(1, "管理员", "admin", None)


def test_a_user_is_added_with_a_password_shown_once_that_signs_in(store):
    shown = add_user(
        store, {"username": "li", "display_name": "李娜", "role": "operator"}, None, "admin", "en"
    )
    password = re.search(r"li.*?(\S{12,})", shown).group(1).strip("。.,，")
    token, principal = store.sign_in("li", password)
    assert token and principal.role == "operator"
    assert [row["display_name"] for row in user_rows(store, "zh")] == ["李娜"]


def test_a_bad_user_is_refused_and_nothing_is_stored(store):
    with pytest.raises(GridCommandError):
        add_user(store, {"username": "", "display_name": None, "role": "operator"}, None, "a", "zh")
    with pytest.raises(GridCommandError):
        add_user(store, {"username": "wang", "display_name": None, "role": "king"}, None, "a", "zh")
    assert user_rows(store, "zh") == []


def test_the_selected_user_is_disabled_enabled_and_given_a_new_password(store):
    add_user(store, {"username": "li", "display_name": None, "role": "operator"}, None, "a", "en")
    row = user_rows(store, "zh")[0]
    change_selected_user(store, ids.ADMIN_TOGGLE_USER, row, "admin", "zh")
    row = user_rows(store, "zh")[0]
    assert row["state"] == t("admin.disabled", "zh")
    change_selected_user(store, ids.ADMIN_TOGGLE_USER, row, "admin", "zh")
    assert user_rows(store, "zh")[0]["state"] == t("admin.active", "zh")
    shown = change_selected_user(store, ids.ADMIN_RESET_PASSWORD, row, "admin", "en")
    password = re.search(r"li.*?(\S{12,})", shown).group(1).strip("。.,，")
    assert store.sign_in("li", password)[1].role == "operator"


def test_a_key_is_issued_narrowed_and_revoked(store):
    shown = add_key(store, "大屏", ("display",), None, "admin", "en")
    texts = [getattr(part, "children", part) for part in shown]
    assert any(str(text).startswith("/?key=") for text in texts)  # the wall's URL, once
    prefix = key_rows(store, "en")[0]["prefix"].rstrip("…")
    change_selected_key(store, ids.ADMIN_SET_SCOPES, prefix, ("open311",), ADMIN, "en")
    assert key_rows(store, "en")[0]["scopes"] == "open311"
    change_selected_key(store, ids.ADMIN_REVOKE_KEY, prefix, (), ADMIN, "en")
    assert key_rows(store, "en")[0]["state"] == "revoked"
