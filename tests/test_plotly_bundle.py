"""The small plotly.js bundle in dashboard/assets/vendor/ (scripts/plotly_bundle/build.sh).

Dash does not load it with the assets (the wall at / draws no plotly and must
not wait for it): dcc.Graph fetches plotly.js itself when a graph mounts, from
Dash's plotly.min.js URL, and the server answers that URL with this bundle, so
no page gets the 4.8 MB plotly.min.js of the python package.
These tests fail when the bundle falls behind the python package's plotly.js
(rebuild: scripts/plotly_bundle/build.sh --update) or lacks a trace type the
app draws (add it to scripts/plotly_bundle/entry.js, then make plotly-bundle).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

from scripts.chromium import wait_for_labels, wait_for_map
from tests.servers import ROOT, browser_sign_in, demo_county_server, display_key

BUNDLE = ROOT / "dashboard" / "assets" / "vendor" / "plotly-custom.min.js"
BUNDLE_URL_PATH = "/assets/vendor/plotly-custom.min.js"
DCC_PLOTLY_URL_PATH = "/_dash-component-suites/plotly/package_data/plotly.min.js"  # dcc.Graph's
PACKAGE_JSON = ROOT / "scripts" / "plotly_bundle" / "package.json"
HEADER = re.compile(
    r"\* plotly\.js \(grid-command: (?P<traces>[a-z0-9, ]+) - minified\) v(?P<v>\S+)"
)
LOCAL_PREFIXES = ("http://127.0.0.1", "data:", "blob:", "about:")


def bundle_header() -> re.Match:
    with BUNDLE.open(encoding="utf-8") as f:
        head = f.read(600)
    match = HEADER.search(head)
    assert match, f"no version header in {BUNDLE}: {head[:200]!r}"
    return match


def bundled_traces() -> set[str]:
    return {t.strip() for t in bundle_header()["traces"].split(",")}


def trace_types_in_app_code() -> set[str]:
    """Plotly trace types named in layers/ and dashboard/ (dict traces or go.* classes)."""
    known = {
        name.lower()
        for name in go.__all__
        if isinstance(getattr(go, name), type) and issubclass(getattr(go, name), BaseTraceType)
    }
    found = set()
    for source in [*ROOT.glob("layers/**/*.py"), *ROOT.glob("dashboard/**/*.py")]:
        text = source.read_text(encoding="utf-8")
        found.update(re.findall(r"""["']type["']\s*:\s*["'](\w+)["']""", text))
        found.update(re.findall(r"""\btype\s*=\s*["'](\w+)["']""", text))
        found.update(n.lower() for n in re.findall(r"\bgo\.(\w+)\(", text))
    return found & known  # map layer types (fill, line, raster...) are not traces


# --- fast: no browser ---------------------------------------------------------


def test_bundle_header_names_the_python_packages_plotly_js_version():
    assert BUNDLE.stat().st_size > 500_000
    assert bundle_header()["v"] == get_plotlyjs_version()
    pinned = json.loads(PACKAGE_JSON.read_text())["devDependencies"]["plotly.js"]
    assert pinned == get_plotlyjs_version()


def test_bundle_is_much_smaller_than_the_full_plotly_js():
    full = Path(go.__file__).resolve().parent.parent / "package_data" / "plotly.min.js"
    assert BUNDLE.stat().st_size < 0.75 * full.stat().st_size


def test_bundle_has_every_trace_type_the_app_draws():
    used = trace_types_in_app_code()
    assert "bar" in used  # the scan itself still finds the charts' traces
    assert used <= bundled_traces(), "add them to scripts/plotly_bundle/entry.js and rebuild"


MAP_TRACES = {
    "scattermap",
    "choroplethmap",
    "densitymap",
    "scattermapbox",
    "choroplethmapbox",
    "densitymapbox",
    "scattergeo",
    "choropleth",
}


def test_no_map_is_drawn_by_plotly_and_the_bundle_carries_no_map_code():
    """Every map is Leaflet: no plotly map trace in the app, none in the bundle,
    and no MapLibre (its WebGL was the maps' slowness without a GPU)."""
    assert not trace_types_in_app_code() & MAP_TRACES
    assert not bundled_traces() & MAP_TRACES
    text = BUNDLE.read_text(encoding="utf-8")
    assert "maplibre-gl" not in text and "webglcontextlost" not in text


# --- in headless Chromium against the real server ---------------------------------

CITY_LEADER = "qian"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    users = [("city_leader", CITY_LEADER, None)]
    with demo_county_server(tmp_path_factory.mktemp("bundle"), users) as served:
        yield {**served, "key": display_key(served["url"])}


def plotly_requests(requests: list[str]) -> list[str]:
    return [u for u in requests if BUNDLE_URL_PATH in u or DCC_PLOTLY_URL_PATH in u]


def watched_page(browser):
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    return page


@pytest.mark.browser
@pytest.mark.slow
def test_the_wall_draws_without_loading_any_plotly_js(served, browser):
    with urllib.request.urlopen(f"{served['base']}/api/v1/health", timeout=30) as response:
        grids = json.loads(response.read())["counts"]["grids"]
    page = watched_page(browser)
    try:
        page.goto(f"{served['base']}/?key={served['key']}")  # a wall's display key
        state, _ = wait_for_map(page, min_grids=grids)
        state = wait_for_labels(page, 12)
        page.wait_for_timeout(1500)  # a late chart would have asked by now
        shown = page.evaluate(
            """() => ({
                plotly: typeof window.Plotly,
                labels: [...document.querySelectorAll('#command-map .gc-town-name')]
                    .map(e => e.textContent),
            })"""
        )
    finally:
        page.close()

    assert shown["plotly"] == "undefined"  # the wall parses no plotly.js at all
    assert plotly_requests(page.requests) == []
    assert [u for u in page.requests if not u.startswith(LOCAL_PREFIXES)] == []
    assert state["grids"] == grids
    assert state["incidentsDrawn"] > 0 and state["cadresDrawn"] > 1000
    assert state["townLabelsDrawn"] == 12  # every town label on the (Leaflet) wall...
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in shown["labels"])  # ...in Chinese
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.slow
def test_charts_get_the_small_bundle_when_a_graph_mounts(served, browser):
    page = watched_page(browser)
    try:
        browser_sign_in(page, served["base"], CITY_LEADER, then="/review")
        page.wait_for_function("() => window.Plotly !== undefined", timeout=60_000)
        page.wait_for_selector("#review-trend .js-plotly-plot", timeout=60_000)
        plotly = page.evaluate(
            """() => ({
                version: window.Plotly.version,
                traces: Object.keys(window.Plotly.PlotSchema.get().traces),
                scripts: [...document.scripts].map(s => s.src),
            })"""
        )
    finally:
        page.close()

    assert plotly["version"] == get_plotlyjs_version()
    assert set(plotly["traces"]) == bundled_traces()  # this bundle, not the full one
    assert not [s for s in plotly["scripts"] if BUNDLE_URL_PATH in s]  # not an eager asset
    asked = plotly_requests(page.requests)
    assert len(asked) == 1 and DCC_PLOTLY_URL_PATH in asked[0]  # once, by dcc.Graph
    assert [u for u in page.requests if not u.startswith(LOCAL_PREFIXES)] == []
    assert page.errors == []


def test_dccs_plotly_url_answers_the_bundle_and_revalidates(served):
    url = served["base"] + DCC_PLOTLY_URL_PATH
    with urllib.request.urlopen(url, timeout=30) as response:
        body, etag = response.read(), response.headers["ETag"]
    assert body == BUNDLE.read_bytes()
    request = urllib.request.Request(url, headers={"If-None-Match": etag})
    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.urlopen(request, timeout=30)
    answer.value.close()
    assert answer.value.code == 304
