"""The same layers as our big screen drawn as a folium (Leaflet) map, timed in Chromium.

    .venv/bin/python bench/folium_map.py [--repeat N] [--timeout S] [--json]

Issue 5: what a Python developer would otherwise reach for. Seeds the county
demo into a temporary SQLite file (not timed), writes one folium page with SVG
paths (folium's default) and one with ``prefer_canvas=True``, serves them from
a local ``http.server`` on 127.0.0.1 and times each at 1920x1080 and 3840x2160
in fresh browser contexts (see ``time_folium`` for what "drawn" means).

Leaflet's own files come from dash-leaflet's bundle (web/leaflet_files.py,
cached under ~/.cache/grid-command), never from a CDN or a registry: the page
makes no request that leaves this machine.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, gzip_size, seed, table  # noqa: E402
from bench.map_draw import leaves_host  # noqa: E402
from web.leaflet_files import LEAFLET_VERSION, leaflet_assets  # noqa: E402

VIEWPORTS = [(1920, 1080), (3840, 2160)]
RENDERERS = {"svg": False, "canvas": True}  # name -> prefer_canvas
URL_RE = re.compile(r"(?:https?:)?//[^\s\"'<>)]+")

# Truthy once the page has loaded, its Leaflet map holds ``expected`` vector
# layers and, with the SVG renderer, as many <path> elements exist.
LAYERS_ADDED_JS = """
(expected) => {
    if (document.readyState !== 'complete' || !window.L) return false;
    const key = Object.keys(window).find(k => k.startsWith('map_') && window[k] instanceof L.Map);
    if (!key) return false;
    let layers = 0;
    window[key].eachLayer(layer => { if (layer instanceof L.Path) layers += 1; });
    const pane = document.querySelector('.leaflet-overlay-pane');
    const canvas = !!pane.querySelector('canvas');
    const paths = pane.querySelectorAll('svg path').length;
    const done = layers >= expected && (canvas || paths >= expected);
    return done && {layers: layers, svg_paths: paths, renderer: canvas ? 'canvas' : 'svg'};
}
"""
# Resolves after two animation frames: Leaflet's canvas renderer redraws in a
# requestAnimationFrame, and a frame callback runs before that frame is painted,
# so the second callback comes after the frame holding every layer was produced.
TWO_FRAMES_JS = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


# --- the folium page ---------------------------------------------------------------


def build_folium_page(
    store, out_dir: Path, assets: Path, *, lang: str = "zh", prefer_canvas: bool = False
) -> Path:
    """Write ``out_dir/index.html``: our wall's layers as a folium map, Leaflet local.

    Layers, bottom to top, in the wall's colours:

    - grid polygons filled by open-incident load class: one ``folium.GeoJson`` of
      the grids GeoDataFrame with a ``style_function`` and a ``GeoJsonTooltip``;
    - town boundaries: one ``folium.GeoJson`` of the towns, outline only;
    - open incidents and placed cadres: one ``folium.CircleMarker`` per point,
      added in a loop with a tooltip, the way folium's docs and most tutorials
      do it.

    ``tiles=None`` (no tile requests). Leaflet's JS and CSS are copied from
    ``assets`` into ``out_dir`` and referenced relatively; folium's other
    defaults (jQuery, Bootstrap, Font Awesome, awesome-markers) are dropped, as
    nothing here needs them. Left out of the wall: town name labels, the urgent
    halo and the new-report flash ring. ``prefer_canvas`` draws with Leaflet's
    canvas renderer instead of folium's default SVG.
    """
    import folium

    zh = lang == "zh"
    towns = store.towns()
    fmap = folium.Map(tiles=None, prefer_canvas=prefer_canvas)
    fmap.default_js = [("leaflet", "leaflet.js")]  # instance attributes: folium's
    fmap.default_css = [("leaflet_css", "leaflet.css")]  # class lists stay untouched
    _add_grids(fmap, store, zh)
    _add_towns(fmap, towns)
    _add_incidents(fmap, store, zh)
    _add_cadres(fmap, store, zh)
    minx, miny, maxx, maxy = towns.total_bounds
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])

    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copytree(assets, out_dir, dirs_exist_ok=True)
    page = out_dir / "index.html"
    fmap.save(str(page))
    outside = external_urls(page.read_text(encoding="utf-8"))
    if outside:
        raise RuntimeError(f"the folium page references remote URLs: {outside[:5]}")
    return page


def _add_grids(fmap, store, zh: bool) -> None:
    import folium

    from layers.grids import LOAD_CLASSES, OUTLINE, with_load

    grids = with_load(store.grids(geometry=True), store.open_load())
    grids = grids[["code", "name", "community_name", "open", "load_class", "geometry"]]

    def style(feature: dict) -> dict:
        cls = LOAD_CLASSES[feature["properties"]["load_class"]]
        return {
            "fillColor": cls.colour,
            "fillOpacity": cls.opacity,
            "color": OUTLINE,
            "weight": 0.6,
        }

    aliases = ["网格", "社区", "未办结"] if zh else ["Grid", "Community", "Open"]
    tooltip = folium.GeoJsonTooltip(["name", "community_name", "open"], aliases=aliases)
    folium.GeoJson(grids, name="grids", style_function=style, tooltip=tooltip).add_to(fmap)


def _add_towns(fmap, towns) -> None:
    import folium

    from layers.towns import BOUNDARY

    folium.GeoJson(
        towns[["code", "name", "geometry"]],
        name="towns",
        style_function=lambda _: {"color": BOUNDARY, "weight": 1.6, "opacity": 0.95, "fill": False},
    ).add_to(fmap)


def _add_incidents(fmap, store, zh: bool) -> None:
    import folium

    from domain.categories import BY_CODE
    from domain.lifecycle import OPEN_STATUSES, STATUSES
    from layers.incidents import _SIZE, STATUS_COLOURS

    incidents = store.incidents(sorted(OPEN_STATUSES)).dropna(subset=["lon", "lat"])
    for row in incidents.itertuples():
        category = BY_CODE.get(row.category)
        label = (category.zh if zh else category.en) if category else row.category
        status = STATUSES.get(row.status, (row.status, row.status))[0 if zh else 1]
        folium.CircleMarker(
            location=[row.lat, row.lon],
            radius=_SIZE.get(int(row.priority), 9) / 2,  # plotly sizes are diameters
            stroke=False,
            fill=True,
            fill_color=STATUS_COLOURS.get(row.status, STATUS_COLOURS["done"]),
            fill_opacity=0.95,
            tooltip=f"{label} · {status}<br>{row.public_id}",
        ).add_to(fmap)


def _add_cadres(fmap, store, zh: bool) -> None:
    import folium

    from domain.cadres import CADRE_STATUSES
    from layers.cadres import COLOURS

    cadres = store.cadres().dropna(subset=["lon", "lat"])
    for row in cadres.itertuples():
        status = CADRE_STATUSES.get(row.status, (row.status, row.status))[0 if zh else 1]
        folium.CircleMarker(
            location=[row.lat, row.lon],
            radius=2.5,
            stroke=False,
            fill=True,
            fill_color=COLOURS.get(row.status, COLOURS["available"]),
            fill_opacity=0.75,
            tooltip=f"{row.name} · {status}",
        ).add_to(fmap)


def expected_paths(store) -> int:
    """Vector layers the folium page draws: grids, towns, open incidents, placed cadres.

    Leaflet draws each polygon, multipolygon and circle marker as one path.
    """
    from domain.lifecycle import OPEN_STATUSES

    incidents = store.incidents(sorted(OPEN_STATUSES)).dropna(subset=["lon", "lat"])
    cadres = store.cadres().dropna(subset=["lon", "lat"])
    return len(store.grids(geometry=False)) + len(store.towns()) + len(incidents) + len(cadres)


def external_urls(html: str) -> list[str]:
    """Absolute or protocol-relative URLs in ``html`` that leave 127.0.0.1."""
    found = []
    for url in URL_RE.findall(html):
        absolute = url if url.startswith("http") else "http:" + url
        if leaves_host(absolute):
            found.append(url)
    return found


# --- serving and timing --------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        """Keep the benchmark output clean."""


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 at a free port; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def time_folium(
    browser, url: str, viewport: tuple[int, int], expected_paths: int, timeout: float = 120
) -> dict:
    """Seconds from page.goto until the folium map at ``url`` is fully drawn.

    Opens ``url`` in a fresh browser context (empty cache) with that viewport.
    Drawn means, checked every animation frame: the load event has fired, the
    page's Leaflet map holds at least ``expected_paths`` vector layers and, with
    the SVG renderer, as many <path> elements exist in the overlay pane; then
    two more animation frames have passed, so the frame holding them all (for
    canvas: after Leaflet's own requestAnimationFrame redraw) was produced.

    Returns total_s (the headline), navigation_s (goto until load), html_bytes
    (the page itself, decoded), external_requests (must be 0), requests, the
    layers and SVG paths seen, the renderer, and JavaScript errors. Raises
    playwright's TimeoutError when the map is not drawn within ``timeout`` s.
    """
    context = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        started = time.perf_counter()
        response = page.goto(url, timeout=timeout * 1000)
        loaded = time.perf_counter()
        left_ms = max(1000, (timeout - (loaded - started)) * 1000)
        state = page.wait_for_function(
            LAYERS_ADDED_JS, arg=expected_paths, polling="raf", timeout=left_ms
        ).json_value()
        page.evaluate(TWO_FRAMES_JS)
        drawn = time.perf_counter()
        html_bytes = len(response.body()) if response else 0
    finally:
        context.close()
    return {
        "total_s": drawn - started,
        "navigation_s": loaded - started,
        "html_bytes": html_bytes,
        "external_requests": sum(leaves_host(u) for u in requests),
        "requests": len(requests),
        "layers": state["layers"],
        "svg_paths": state["svg_paths"],
        "renderer": state["renderer"],
        "errors": errors,
    }


# --- the command line ----------------------------------------------------------------


def build_pages(url: str, out: Path, assets: Path, lang: str) -> tuple[dict[str, Path], int]:
    """One page per renderer, and the number of paths each must draw."""
    from data.store import Store

    store = Store.open(url)
    try:
        pages = {
            name: build_folium_page(store, out / name, assets, lang=lang, prefer_canvas=canvas)
            for name, canvas in RENDERERS.items()
        }
        return pages, expected_paths(store)
    finally:
        store.close()


def time_pages(browser, base: str, pages: dict[str, Path], expected: int, args) -> dict:
    """Every renderer at every viewport, --repeat fresh contexts each."""
    results: dict = {}
    for name in pages:
        for viewport in VIEWPORTS:
            size = f"{viewport[0]}x{viewport[1]}"
            runs = [
                time_folium(browser, f"{base}/{name}/index.html", viewport, expected, args.timeout)
                for _ in range(args.repeat)
            ]
            print(f"  {name} {size}: {[round(r['total_s'], 2) for r in runs]} s", flush=True)
            results.setdefault(name, {})[size] = {
                "total_s": statistics.median(r["total_s"] for r in runs),
                "total_max_s": max(r["total_s"] for r in runs),
                "navigation_s": statistics.median(r["navigation_s"] for r in runs),
                "external_requests": sum(r["external_requests"] for r in runs),
                "runs": runs,
            }
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120, help="seconds per page")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    import folium
    from playwright.sync_api import sync_playwright

    from scripts.chromium import launch

    assets = leaflet_assets()
    with tempfile.TemporaryDirectory(prefix="gc-folium-") as tmp, fresh_database(None) as url:
        seed(url, "county")
        pages, expected = build_pages(url, Path(tmp), assets, args.lang)
        sizes = {name: page.stat().st_size for name, page in pages.items()}
        gzipped = {name: gzip_size(page.read_bytes()) for name, page in pages.items()}
        print(
            f"folium {folium.__version__}, Leaflet {LEAFLET_VERSION}: {expected:,} paths; "
            f"index.html {sizes['svg']:,} bytes",
            flush=True,
        )
        with sync_playwright() as pw, serve_directory(Path(tmp)) as base:
            browser = launch(pw)
            try:
                results = time_pages(browser, base, pages, expected, args)
            finally:
                browser.close()

    rows = [
        [
            name,
            size,
            r["total_s"],
            r["total_max_s"],
            r["navigation_s"],
            sizes[name],
            gzipped[name],
            r["external_requests"],
        ]
        for name, per_viewport in results.items()
        for size, r in per_viewport.items()
    ]
    headers = ["renderer", "viewport", "drawn med s", "drawn max s", "load med s"]
    headers += ["html bytes", "gzip bytes", "external"]
    print(
        f"\nfolium_map: county, {expected:,} paths, {args.repeat} run(s) each, fresh context "
        "per run; headline: svg (folium's default)\n"
    )
    print(table(rows, headers))
    if args.json:
        emit_json(
            {
                "benchmark": "folium_map",
                "folium": folium.__version__,
                "leaflet": LEAFLET_VERSION,
                "repeat": args.repeat,
                "paths": expected,
                "html_bytes": sizes,
                "html_gzip_bytes": gzipped,
                "renderers": results,
            }
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
