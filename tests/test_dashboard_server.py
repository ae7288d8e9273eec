"""The Dash server under real HTTP: regression tests for start-up failures."""

from __future__ import annotations

import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from app import create_app
from settings import Settings
from tests.servers import add_user, signed_in_client, thread_server
from tests.tiny_city import tiny_city


def script_paths(html: str) -> list[str]:
    return re.findall(r'src="(/_dash-component-suites/[^"]+)"', html)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_parallel_first_requests_never_miss_dash_scripts(sqlite_url):
    """Regression: "dash is not a registered library" under threaded workers.

    Dash registers its script paths on its first request but marks itself set
    up before doing so; a second request in that window got HTTP 500 for the
    page's scripts, so a wall that loaded at the wrong moment stayed blank.
    """
    first = create_app(Settings.from_env({"DATABASE_URL": sqlite_url}))
    first.server.extensions["gridcommand.store"].load_city(tiny_city())
    user = add_user(first.server.extensions["gridcommand.store"], "city_leader")
    page = signed_in_client(first.server, user).get("/").get_data(as_text=True)
    paths = script_paths(page)
    assert len(paths) > 5
    first.server.extensions["gridcommand.store"].close()

    fresh = create_app(Settings.from_env({"DATABASE_URL": sqlite_url}))
    with thread_server(fresh.server) as base, ThreadPoolExecutor(16) as pool:
        statuses = list(pool.map(status_of, [base + path for path in paths * 2]))
    fresh.server.extensions["gridcommand.store"].close()
    assert set(statuses) == {200}
