"""Every page declares its language in <html lang>, as the screen shows it
(WCAG 3.1.1: a screen reader speaks Chinese text with a Chinese voice)."""

from __future__ import annotations

import re

import pytest

from tests.servers import add_user, signed_in_client, tiny_app

PAGES = ["/", "/dispatch", "/review", "/events", "/admin", "/data", "/login", "/no-such-page"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """Signed in as an administrator, who may open every page."""
    app, store = tiny_app(tmp_path_factory.mktemp("lang"))
    yield signed_in_client(app.server, add_user(store, "admin"))
    store.close()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(
    ("asked", "declared"), [("", "zh-CN"), ("?lang=en", "en"), ("?lang=zh", "zh-CN")]
)
def test_each_page_declares_the_language_it_is_shown_in(client, path, asked, declared):
    answer = client.get(path + asked)
    if path == "/login":  # signed in already: sent on; the form itself is signed out
        answer = client.application.test_client().get(path + asked)
    page = answer.get_data(as_text=True)
    assert answer.status_code in (200, 404), answer.status_code
    assert re.findall(r"<html[^>]*>", page) == [f'<html lang="{declared}">']
