"""Real HTTP servers for tests: the app in a thread (the real process is in scripts/)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from werkzeug.serving import make_server

from scripts.app_process import (  # noqa: F401  (re-exported)
    ROOT,
    app_process,
    free_port,
    wait_for_models,
)


@contextlib.contextmanager
def thread_server(wsgi_app) -> Iterator[str]:
    """Serve ``wsgi_app`` on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def send_key_by_default(monkeypatch, base: str, key: str) -> None:
    """Make ``requests`` calls to ``base`` carry ``key`` in X-API-Key unless
    the test sets that header itself (to test a missing or wrong key, set it
    to "" or to the wrong key). For tests about what an API does, not who
    may call it (tests/test_access.py has those)."""
    import requests.api

    plain = requests.api.request

    def request(method, url, **kwargs):
        if str(url).startswith(base):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-API-Key", key)
            kwargs["headers"] = headers
        return plain(method, url, **kwargs)

    monkeypatch.setattr(requests.api, "request", request)


PASSWORD = "test password 2026"
_CSRF_FIELD = 'name="csrf_token" value="'


def csrf_from(html: str) -> str:
    """The CSRF token in a page's sign-in or sign-out form."""
    start = html.index(_CSRF_FIELD) + len(_CSRF_FIELD)
    return html[start : html.index('"', start)]


def add_user(store, role: str, town: str | None = None, username: str | None = None) -> str:
    """A user of ``role`` (password ``PASSWORD``); returns the user name."""
    username = username or f"{role}-{town or 'city'}"
    store.create_user(username, PASSWORD, role, town=town, actor="test")
    return username


def signed_in_client(server, username: str, password: str = PASSWORD):
    """A Flask test client of ``server`` signed in as ``username`` through /login."""
    client = server.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    answer = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/"},
    )
    if answer.status_code != 302:
        raise AssertionError(f"sign-in failed: HTTP {answer.status_code}")
    return client


def signed_in_session(base: str, username: str, password: str = PASSWORD):
    """A requests.Session signed in as ``username`` at ``base``, sending the
    CSRF token as dash-renderer does (X-CSRFToken from the _csrf_token cookie)."""
    import requests

    session = requests.Session()
    token = csrf_from(session.get(f"{base}/login", timeout=30).text)
    answer = session.post(
        f"{base}/login",
        timeout=30,
        allow_redirects=False,
        data={"username": username, "password": password, "csrf_token": token},
    )
    if answer.status_code != 302:
        raise AssertionError(f"sign-in failed: HTTP {answer.status_code}")
    session.get(f"{base}/", timeout=30)  # the page sets the _csrf_token cookie
    session.headers["X-CSRFToken"] = session.cookies.get("_csrf_token", "")
    return session


def display_key(database_url: str, town: str | None = None) -> str:
    """A new display key (read-only wall) in the database at ``database_url``."""
    from data.store import Store

    store = Store.open(database_url)
    try:
        return store.create_api_key("测试大屏", actor="test", scopes="display", town=town)
    finally:
        store.close()


def browser_sign_in(page, base: str, username: str, password: str = PASSWORD, then: str = "/"):
    """Sign ``page`` in through the sign-in form, then open ``then``."""
    from urllib.parse import quote

    page.goto(f"{base}/login?next={quote(then)}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url, timeout=30_000)


@contextlib.contextmanager
def demo_county_server(workdir, users: list[tuple[str, str, str | None]]) -> Iterator[dict]:
    """A server seeding the demo county on first start, with ``users`` given
    as (role, username, town); yields its base URL and database URL."""
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'grid.db'}",
        "GC_TEST_LOG": str(workdir / "server.log"),
    }
    with app_process(env, timeout=300) as base:
        from data.store import Store

        store = Store.open(env["DATABASE_URL"])
        for role, username, town in users:
            add_user(store, role, town=town, username=username)
        store.close()
        yield {"base": base, "url": env["DATABASE_URL"], "log": workdir / "server.log"}


def wait_text(page, selector: str, text: str, timeout_ms: int = 60_000) -> str:
    """The element's text once it contains ``text``."""
    page.wait_for_function(
        "([s, t]) => document.querySelector(s) && document.querySelector(s).innerText.includes(t)",
        arg=[selector, text],
        timeout=timeout_ms,
    )
    return page.inner_text(selector)


def tiny_app(tmp_path, intake_rate: str = "100/minute"):
    """The whole app on a fresh SQLite file holding the tiny city, with an
    intake limit of ``intake_rate``: (app, store)."""
    from app import create_app
    from settings import Settings
    from tests.tiny_city import tiny_city

    url = f"sqlite:///{tmp_path / 'grid.db'}"
    app = create_app(Settings.from_env({"DATABASE_URL": url, "GC_INTAKE_RATE": intake_rate}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    return app, store
