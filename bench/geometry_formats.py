"""Would the grids travel better as geobuf, or simplified on the server? (issue 17)

    .venv/bin/python bench/geometry_formats.py [--scale county,region]
        [--database-url URL] [--repeat N] [--json]

For the grids of a seeded city (a temporary SQLite file seeded first, not
timed, unless --database-url names a seeded one), the text the server sends
today (every grid's GeoJSON with the properties /api/v1/grids.geojson
carries) against:

- geobuf (the ``geobuf`` package, if installed: dash-leaflet's GeoJSON reads
  it with ``format="geobuf"``): bytes, raw and gzipped;
- the same GeoJSON after shapely's coverage simplification (shared edges stay
  shared, no gaps or slivers) at a tolerance of about one screen pixel when
  the whole city fills a 1920 px wall (``--pixels``): bytes, and how much
  of the shape moved (the largest Hausdorff distance, metres).

Then in headless Chromium, --repeat times each, the browser's cost to take
each GeoJSON text in: fetch from 127.0.0.1 and JSON.parse (median ms). The
draw itself (Leaflet on a canvas) is what bench/map_draw.py times.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import statistics
import sys
import tempfile
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, scales_arg, seed, table  # noqa: E402
from scripts.chromium import launch  # noqa: E402
from services.feeds import GRID_PROPERTIES  # noqa: E402

PROPERTIES = GRID_PROPERTIES[:9]  # the grids feed's, less the live load columns
PARSE_JS = """async (url) => {
    const t0 = performance.now();
    const text = await (await fetch(url, {cache: 'no-store'})).text();
    const t1 = performance.now();
    const data = JSON.parse(text);
    return {fetch_ms: t1 - t0, parse_ms: performance.now() - t1, features: data.features.length};
}"""


def texts(store, pixels: float) -> dict:
    """The grids as served, and coverage-simplified at ``pixels`` px of a 1920 px wall."""
    from services.feeds import feature_collection

    grids = store.grids()
    frame = grids[PROPERTIES]
    served = feature_collection(grids.geometry.to_numpy(), frame)
    minx, _, maxx, _ = grids.total_bounds
    tolerance = (maxx - minx) / 1920 * pixels  # degrees per pixel when the city fills 1920 px
    simple = shapely.coverage_simplify(grids.geometry.to_numpy(), tolerance)
    moved = shapely.hausdorff_distance(grids.geometry.to_numpy(), simple)
    metres = float(np.nanmax(moved)) * 111_000 * np.cos(np.radians(grids.total_bounds[1]))
    return {
        "served": served,
        "simplified": feature_collection(simple, frame),
        "tolerance_deg": tolerance,
        "moved_m": metres,
    }


def geobuf_bytes(text: str) -> tuple[int, int] | None:
    """Raw and gzipped bytes of the text as geobuf (None without the package)."""
    try:
        import geobuf
    except ImportError:
        return None
    import json

    packed = geobuf.encode(json.loads(text))
    return len(packed), len(gzip.compress(packed, 6))


def measure(browser, directory: Path, name: str, text: str, repeat: int) -> dict:
    from bench.folium_map import serve_directory

    (directory / f"{name}.geojson").write_text(text, encoding="utf-8")
    runs = []
    with serve_directory(directory) as base:
        for _ in range(repeat):
            page = browser.new_page()
            try:
                page.goto(f"{base}/")  # same origin as the file it fetches
                runs.append(page.evaluate(PARSE_JS, f"{base}/{name}.geojson"))
            finally:
                page.close()
    raw = text.encode()
    return {
        "bytes": len(raw),
        "gzip_bytes": len(gzip.compress(raw, 6)),
        "parse_ms": statistics.median(r["parse_ms"] for r in runs),
        "fetch_ms": statistics.median(r["fetch_ms"] for r in runs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=scales_arg, default=["county", "region"])
    parser.add_argument("--database-url", help="an already seeded database (one scale)")
    parser.add_argument("--pixels", type=float, default=1.0, help="simplify to this many px")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from data.store import Store

    results, rows = {}, []
    with tempfile.TemporaryDirectory(prefix="gc-geometry-") as tmp, sync_playwright() as pw:
        browser = launch(pw)
        try:
            for scale in args.scale:
                with contextlib.ExitStack() as stack:
                    url = args.database_url or stack.enter_context(fresh_database(None))
                    seed(url, scale)
                    store = Store.open(url)
                    try:
                        found = texts(store, args.pixels)
                    finally:
                        store.close()
                out = {
                    name: measure(browser, Path(tmp), f"{scale}-{name}", found[name], args.repeat)
                    for name in ("served", "simplified")
                }
                out["geobuf_bytes"] = geobuf_bytes(found["served"])
                out["moved_m"], out["tolerance_deg"] = found["moved_m"], found["tolerance_deg"]
                results[scale] = out
                for name in ("served", "simplified"):
                    r = out[name]
                    rows.append(
                        [
                            scale,
                            name,
                            f"{r['bytes']:,}",
                            f"{r['gzip_bytes']:,}",
                            f"{r['parse_ms']:.0f}",
                        ]
                    )
                packed = out["geobuf_bytes"]
                rows.append(
                    [
                        scale,
                        "geobuf (served's content)",
                        f"{packed[0]:,}" if packed else "(no geobuf package)",
                        f"{packed[1]:,}" if packed else "",
                        "decoded by JS, not timed",
                    ]
                )
                print(
                    f"{scale}: simplified at {args.pixels:g} px moves a grid's edge by at "
                    f"most {out['moved_m']:.0f} m",
                    flush=True,
                )
        finally:
            browser.close()
    print()
    print(table(rows, ["scale", "grids as", "bytes", "gzip bytes", "JSON.parse ms"]))
    if args.json:
        emit_json({"benchmark": "geometry_formats", "scales": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
