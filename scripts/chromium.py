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
]

# State of the command map, read from Leaflet by dashboard/assets/gc_map.js:
# features on the map per layer, and those drawn inside the view.
MAP_STATE_JS = """
() => {
    const s = window.gc && window.gc.map && window.gc.map.state();
    if (!s) return null;
    const a = (id) => s.added['wall-' + id] || 0, d = (id) => s.drawn['wall-' + id] || 0;
    return {
        loaded: a('grids') > 0 && d('grids') === a('grids'),
        grids: a('grids'),
        gridsDrawn: d('grids'),
        incidentPoints: a('incidents'),
        cadrePoints: a('cadres'),
        incidentsDrawn: d('incidents'),
        cadresDrawn: d('cadres'),
        townLabelsDrawn: d('towns-labels'),
        townsDrawn: d('towns'),
        flashRings: a('incidents-flash'),
        cadreRadius: s.radius['wall-cadres'] || 0,
        gridFills: s.gridFills,
        zoom: s.zoom,
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
            page.wait_for_timeout(300)  # the first live update may follow
            return page.evaluate(MAP_STATE_JS), drawn_at
        page.wait_for_timeout(100)
    raise TimeoutError(f"the map did not finish drawing in {timeout_s} s: {state}")


def wait_for_labels(page, expected: int, *, timeout_s: float = 30) -> dict:
    """The map state once ``expected`` town labels are on the map (they come
    with the first live update); returns the last state read if they never are."""
    deadline = time.perf_counter() + timeout_s
    state = page.evaluate(MAP_STATE_JS)
    while time.perf_counter() < deadline and (state or {}).get("townLabelsDrawn") != expected:
        page.wait_for_timeout(200)
        state = page.evaluate(MAP_STATE_JS)
    return state
