"""The small plotly.js bundle in dashboard/assets/vendor/ (scripts/plotly_bundle/build.sh).

Dash loads it on every page before its renderer, so dcc.Graph finds
window.Plotly and never fetches the 4.8 MB plotly.min.js of the python package.
These tests fail when the bundle falls behind the python package's plotly.js
(rebuild: scripts/plotly_bundle/build.sh --update) or lacks a trace type the
app draws (add it to scripts/plotly_bundle/entry.js, then make plotly-bundle).
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseTraceType
from plotly.offline import get_plotlyjs_version

from scripts.chromium import wait_for_labels, wait_for_map
from tests.servers import ROOT, app_process, display_key

BUNDLE = ROOT / "dashboard" / "assets" / "vendor" / "plotly-custom.min.js"
BUNDLE_URL_PATH = "/assets/vendor/plotly-custom.min.js"
FULL_PLOTLY_URL_PATH = "/plotly/package_data/plotly.min.js"  # what dcc.Graph would fetch
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
    assert "scattermap" in used  # the scan itself still finds the map's traces
    assert used <= bundled_traces(), "add them to scripts/plotly_bundle/entry.js and rebuild"


# --- in headless Chromium against the real server ---------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bundle")
    env = {
        "DATABASE_URL": f"sqlite:///{workdir / 'grid.db'}",
        "GC_TEST_LOG": str(workdir / "server.log"),
    }
    with app_process(env, timeout=300) as base:
        yield {"base": base, "key": display_key(env["DATABASE_URL"])}


@pytest.mark.browser
@pytest.mark.slow
def test_map_draws_with_the_small_bundle_and_never_fetches_full_plotly(served, browser):
    with urllib.request.urlopen(f"{served['base']}/api/v1/health", timeout=30) as response:
        grids = json.loads(response.read())["counts"]["grids"]
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"{served['base']}/?key={served['key']}")  # a wall's display key
        state, _ = wait_for_map(page, min_grids=grids)
        state = wait_for_labels(page, 12)
        plotly = page.evaluate(
            """() => ({
                version: window.Plotly.version,
                traces: Object.keys(window.Plotly.PlotSchema.get().traces),
                labels: [...document.querySelectorAll('#command-map .gc-town-name')]
                    .map(e => e.textContent),
            })"""
        )
    finally:
        page.close()

    assert plotly["version"] == get_plotlyjs_version()
    assert set(plotly["traces"]) == bundled_traces()  # this bundle, not the full one
    assert [u for u in requests if BUNDLE_URL_PATH in u] != []
    assert [u for u in requests if FULL_PLOTLY_URL_PATH in u] == []
    assert [u for u in requests if not u.startswith(LOCAL_PREFIXES)] == []

    assert state["grids"] == grids
    assert state["incidentsDrawn"] > 0 and state["cadresDrawn"] > 1000
    assert state["townLabelsDrawn"] == 12  # every town label on the (Leaflet) wall...
    assert all(re.search(r"[\u4e00-\u9fff]", label) for label in plotly["labels"])  # ...in Chinese
    assert errors == []
