"""Headless Debian Chromium through Playwright, for tests, screenshots and benchmarks.

A browser cannot be downloaded here, so Playwright drives the system Chromium
(``GC_BROWSER`` or /usr/bin/chromium) with the flags that keep it quiet on a
closed network.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--use-angle=swiftshader",
    "--enable-unsafe-swiftshader",
]

# State of the command map, read from plotly's graph div and its MapLibre map.
MAP_STATE_JS = """
() => {
    const gd = document.querySelector('#command-map .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullLayout.map || !gd.data) return null;
    const map = gd._fullLayout.map._subplot.map;
    const style = map.getStyle();
    if (!style || !style.sources || !style.layers) return null;  // between two styles
    // The grid choropleth: plotly hands MapLibre one feature per grid it matched.
    const gridSource = map.getSource('source-grids');
    const gridData = gridSource ? gridSource.serialize().data : null;
    const grids = gridData && gridData.features ? gridData.features.length : 0;
    // Features MapLibre really drew for a trace (uid prefix) in layers of one kind.
    const rendered = (uid, kind) => {
        const ids = style.layers.map(l => l.id)
            .filter(id => id.includes('trace-layer-' + uid) && id.endsWith('-' + kind));
        return ids.length ? map.queryRenderedFeatures({layers: ids}).length : 0;
    };
    const points = (uid) => {
        const t = gd.data.find(t => t.uid === uid);
        return t && t.lon ? t.lon.length : 0;
    };
    return {
        loaded: map.loaded() && map.areTilesLoaded(),
        grids: grids,
        incidentPoints: points('incidents'),
        cadrePoints: points('cadres'),
        incidentsDrawn: rendered('incidents-', 'circle'),
        cadresDrawn: rendered('cadres-', 'circle'),
        townLabelsDrawn: rendered('town-labels', 'symbol'),
        zoom: map.getZoom(),
    };
}
"""


def chromium_path() -> str | None:
    """The system Chromium to drive, or None when there is none."""
    configured = os.environ.get("GC_BROWSER")
    if configured:
        return configured if Path(configured).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def launch(playwright):
    """A headless system Chromium."""
    path = chromium_path()
    if path is None:
        raise RuntimeError("no Chromium found: apt-get install chromium (or set GC_BROWSER)")
    return playwright.chromium.launch(executable_path=path, args=FLAGS)


def wait_for_map(page, *, min_grids: int = 1, timeout_s: float = 120) -> tuple[dict, float]:
    """Wait until the map has drawn its grids and points, then until it is quiet.

    Returns the map state (see ``MAP_STATE_JS``) and the seconds it took from
    the call until the map first reported itself drawn.
    """
    started = time.perf_counter()
    deadline = started + timeout_s
    state = None
    while time.perf_counter() < deadline:
        state = page.evaluate(MAP_STATE_JS)
        if (
            state
            and state["loaded"]
            and state["grids"] >= min_grids
            and state["incidentsDrawn"] > 0
            and state["cadresDrawn"] > 0
        ):
            drawn_at = time.perf_counter() - started
            page.wait_for_timeout(500)  # responsive graphs redraw once or twice more
            return page.evaluate(MAP_STATE_JS), drawn_at
        page.wait_for_timeout(100)
    raise TimeoutError(f"the map did not finish drawing in {timeout_s} s: {state}")


def wait_for_labels(page, expected: int, *, timeout_s: float = 30) -> dict:
    """The map state once MapLibre has placed ``expected`` town labels.

    Labels are placed a few frames after the map reports itself loaded, later
    still on a busy machine; returns the last state read if they never are.
    """
    deadline = time.perf_counter() + timeout_s
    state = page.evaluate(MAP_STATE_JS)
    while time.perf_counter() < deadline and (state or {}).get("townLabelsDrawn") != expected:
        page.wait_for_timeout(200)
        state = page.evaluate(MAP_STATE_JS)
    return state
