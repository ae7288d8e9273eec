"""The folium (Leaflet) page of the benchmarks: built offline, drawn in headless Chromium.

Leaflet's files are taken from dash-leaflet's bundle (web/leaflet_files.py),
so nothing is fetched. Skips where Chromium is missing (the session
``browser`` fixture); .ci/run turns any skip into a failure.
"""

from __future__ import annotations

import re

import pytest

from bench.folium_map import build_folium_page, serve_directory, time_folium
from data.store import Store
from domain.lifecycle import OPEN_STATUSES
from tests.tiny_city import tiny_city
from web.leaflet_files import IMAGES, LEAFLET_VERSION, leaflet_assets

pytestmark = [pytest.mark.browser, pytest.mark.slow]

URL = re.compile(r"(?:https?:)?//[^\s\"'<>)]+")


@pytest.fixture(scope="module")
def assets(tmp_path_factory):
    """Leaflet's files written afresh from dash-leaflet's bundle (not a cache of
    an earlier run), so that every run reads the bundle."""
    return leaflet_assets(tmp_path_factory.mktemp("leaflet"))


@pytest.fixture
def tiny_store(sqlite_url):
    store = Store.open(sqlite_url)
    store.load_city(tiny_city())
    yield store
    store.close()


def paths_in(store) -> int:
    """Grids, towns, open incidents and cadres with a position: one path each."""
    open_incidents = store.incidents(sorted(OPEN_STATUSES))
    placed = store.cadres().dropna(subset=["lon", "lat"])
    return len(store.grids()) + len(store.towns()) + len(open_incidents) + len(placed)


def test_leaflet_assets_are_leaflets_files_and_are_cached(assets):
    assert leaflet_assets(assets.parent) == assets
    script = (assets / "leaflet.js").read_text(encoding="utf-8")
    assert len(script) > 100_000 and f'.version="{LEAFLET_VERSION}"' in script
    assert re.search(r"window\.L=\w+\}\(\{\}\);$", script.rstrip())  # a script, not a module
    css = (assets / "leaflet.css").read_text(encoding="utf-8")
    assert css.startswith("/* required styles */") and ".leaflet-container" in css
    assert sorted(re.findall(r"url\((images/[^)]+)\)", css)) == [
        "images/layers-2x.png",
        "images/layers.png",
        "images/marker-icon.png",
    ]
    pictures = sorted(p.name for p in (assets / "images").iterdir())
    assert pictures == sorted(IMAGES.values())
    assert all((assets / "images" / n).read_bytes().startswith(b"\x89PNG") for n in pictures)


@pytest.mark.parametrize("canvas", [False, True], ids=["svg", "canvas"])
def test_folium_page_is_local_and_draws_every_path(browser, assets, tiny_store, tmp_path, canvas):
    page = build_folium_page(tiny_store, tmp_path / "site", assets, prefer_canvas=canvas)
    html = page.read_text(encoding="utf-8")
    remote = [u for u in URL.findall(html) if not u.split("//", 1)[1].startswith("127.0.0.1")]
    assert remote == []
    assert '<script src="leaflet.js"></script>' in html
    assert "jquery" not in html.lower() and "bootstrap" not in html.lower()
    assert (page.parent / "leaflet.js").is_file()

    expected = paths_in(tiny_store)
    assert expected == 4 + 2 + 3 + 2  # the tiny city, as tests/tiny_city.py describes it
    with serve_directory(page.parent) as base:
        run = time_folium(browser, f"{base}/index.html", (800, 600), expected, timeout=30)
    assert run["external_requests"] == 0
    assert run["errors"] == []
    assert run["layers"] == expected
    assert run["renderer"] == ("canvas" if canvas else "svg")
    assert run["svg_paths"] == (0 if canvas else expected)
    assert run["html_bytes"] == page.stat().st_size
    assert 0 < run["total_s"] < 30
