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


def preloads_of(html: str) -> dict[str, str]:
    """The page's ``<link rel=preload>``: href to its ``as``."""
    found = re.findall(r'<link rel="preload" href="([^"]+)" as="(\w+)"', html)
    return {href.replace("&amp;", "&"): kind for href, kind in found}


def test_the_wall_preloads_what_it_needs_and_skips_ag_grid_and_no_other_page_does(sqlite_url):
    """The wall names the versioned grids and towns and dash-leaflet's GeoJSON
    chunk in its index, so the browser fetches them while Dash boots (issue 17);
    each URL is one the page really asks for (the map's own URL, a chunk the
    server serves), else the preload would be a wasted second download."""
    app = create_app(Settings.from_env({"DATABASE_URL": sqlite_url}))
    store = app.server.extensions["gridcommand.store"]
    try:
        store.load_city(tiny_city())
        client = signed_in_client(app.server, add_user(store, "city_leader"))
        version = store.geometry_version()
        wall = client.get("/").get_data(as_text=True)
        assert preloads_of(wall) == {
            "/_dash-component-suites/dash_leaflet/async-GeoJSON.js": "script",
            f"/api/v1/grids.geojson?v={version}": "fetch",
            f"/api/v1/towns.geojson?v={version}": "fetch",
        }
        # dash-leaflet's plain fetch(url) uses the preload only with these credentials
        assert wall.count('as="fetch" crossorigin="anonymous"') == 2
        for href in preloads_of(wall):
            assert client.get(href).status_code == 200, href
        console = client.get("/dispatch").get_data(as_text=True)
        assert preloads_of(console) == {}
        # AG Grid's 1.3 MB script: on the pages with a table, not on the wall
        assert any("/dash_ag_grid/" in path for path in script_paths(console))
        assert not any("/dash_ag_grid/" in path for path in script_paths(wall))
        assert any("/dash_leaflet/" in path for path in script_paths(wall))
    finally:
        store.close()


def test_every_page_loads_regenerators_runtime_instead_of_dashs_polyfill(sqlite_url):
    """Dash's @babel/polyfill took about 0.2 s of every first load to evaluate
    (issue 17); its scripts need only the ``regeneratorRuntime`` global of it.
    Every page loads that runtime alone, before any script that calls it, from
    this server."""
    app = create_app(Settings.from_env({"DATABASE_URL": sqlite_url}))
    store = app.server.extensions["gridcommand.store"]
    try:
        store.load_city(tiny_city())
        client = signed_in_client(app.server, add_user(store, "admin"))
        for path in ("/", "/dispatch", "/review", "/events", "/admin", "/data"):
            page = client.get(path).get_data(as_text=True)
            scripts = re.findall(r'<script src="([^"]+)"', page)
            assert not any("polyfill" in src for src in scripts), path
            runtime = [src for src in scripts if src.endswith("/regenerator-runtime.js")]
            assert len(runtime) == 1, path
            assert scripts.index(runtime[0]) == 0, path  # before Dash's and the components'
            answer = client.get(runtime[0])
            try:
                assert answer.status_code == 200
                assert b"regeneratorRuntime = runtime" in answer.get_data()
            finally:
                answer.close()
    finally:
        store.close()
