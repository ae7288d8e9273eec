"""The server side of the command map: building the figure and serving the GeoJSON.

    .venv/bin/python bench/map_figure.py [--scale county,region] [--repeat N]
        [--database-url URL] [--json]

For each scale, seeds a temporary SQLite database (the region takes minutes;
seeding is not timed) unless --database-url names an already seeded one, then
measures, at a 1920x1080 screen:

- dashboard.map_view.command_view (store reads + figure), and the figure as
  JSON (plotly.io.json.to_json_plotly, as Dash sends it): raw and gzip bytes;
- the GeoJSON the browser fetches for the map once per page (all grids and the
  towns) through the Flask test client: seconds, raw and gzip bytes, and the
  Content-Encoding the server chose for a browser's Accept-Encoding. The feeds
  need a key: the benchmark issues a display key (read-only) and sends it in
  X-API-Key; in a --database-url database it is revoked at the end.

One cold run comes first and is reported on its own; the median and p90 are of
the --repeat warm runs after it.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    emit_json,
    fresh_database,
    gzip_size,
    peak_rss_mb,
    scales_arg,
    seed,
    summary,
    table,
)
from bench.map_draw import display_key, revoke_key  # noqa: E402

SCREEN = {"width": 1920, "height": 1080}
# Chromium also offers br and zstd (a little smaller still); gzip keeps the
# figures decodable with the standard library and comparable between runs.
BROWSER_ENCODING = "gzip"
# What a screen fetches besides the figure: all grids once (their colours come
# with the figure), and the towns.
GEOJSON_URLS = ["/api/v1/grids.geojson", "/api/v1/towns.geojson"]


def timed(fn, repeat: int) -> tuple[float, list[float], object]:
    """Cold seconds, warm seconds per repeat, and the last result of ``fn()``."""
    started = time.perf_counter()
    result = fn()
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        warm.append(time.perf_counter() - started)
    return cold, warm, result


def measure_figure(url: str, repeat: int) -> dict:
    from plotly.io.json import to_json_plotly

    from dashboard.map_view import command_view
    from data.store import Store

    store = Store.open(url)
    try:
        build = lambda: command_view(store, lang="zh", screen=SCREEN)  # noqa: E731
        cold, warm, view = timed(build, repeat)
        _, json_warm, text = timed(lambda: to_json_plotly(view.layers), repeat)
        raw = text.encode()
        counts = store.table_counts()
    finally:
        store.close()
    layers = view.layers
    return {
        "counts": counts,
        "command_view_cold_s": cold,
        "command_view_s": summary(warm),
        "to_json_s": summary(json_warm),
        "figure_bytes": len(raw),  # every layer's live value: the map's first update
        "figure_gzip_bytes": gzip_size(raw),
        "traces": len(layers),
        "map_layers": len(layers),
        "points": sum(len(v.get("features", [])) for v in layers.values()),
        "trace_bytes": {name: len(to_json_plotly(v).encode()) for name, v in layers.items()},
    }


def measure_geojson(url: str, repeat: int, key: str) -> dict:
    from app import create_app
    from settings import Settings

    server = create_app(Settings.from_env({"DATABASE_URL": url})).server
    client = server.test_client()
    headers = {"Accept-Encoding": BROWSER_ENCODING, "X-API-Key": key}
    figures = {}
    for path in GEOJSON_URLS:

        def fetch(path=path):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code)
            return response

        cold, warm, response = timed(fetch, repeat)
        wire = response.get_data()
        encoding = response.headers.get("Content-Encoding", "identity")
        raw = gzip.decompress(wire) if encoding == "gzip" else wire
        figures[path] = {
            "cold_s": cold,
            "seconds": summary(warm),
            "bytes": len(raw),
            "gzip_bytes": gzip_size(raw),
            "wire_bytes": len(wire),
            "content_encoding": encoding,
            "features": raw.count(b'"type":"Feature"'),
        }
    server.extensions["gridcommand.store"].close()
    return figures


def report(scale: str, fig: dict, geo: dict) -> None:
    c = fig["counts"]
    print(
        f"\n== {scale}: {c['grids']:,} grids, {c['incidents']:,} incidents, "
        f"{c['cadres']:,} cadres =="
    )
    kb = [fig["figure_bytes"] / 1e3, fig["figure_gzip_bytes"] / 1e3]
    rows = [
        ["command_view", fig["command_view_cold_s"], *_stats(fig["command_view_s"]), "", ""],
        ["figure to JSON", "", *_stats(fig["to_json_s"]), *kb],
    ]
    for path, g in geo.items():
        kb = [g["bytes"] / 1e3, g["gzip_bytes"] / 1e3]
        rows.append([path.removeprefix("/api/v1/"), g["cold_s"], *_stats(g["seconds"]), *kb])
    total = geojson_totals(geo)
    kb = [total["bytes"] / 1e3, total["gzip_bytes"] / 1e3]
    rows.append(["GeoJSON, grids and towns", "", total["median_s"], "", *kb])
    print(table(rows, ["step", "cold s", "median s", "p90 s", "raw kB", "gzip kB"]))
    encodings = sorted({g["content_encoding"] for g in geo.values()})
    print(
        f"figure: {fig['traces']} traces, {fig['map_layers']} map layers, {fig['points']:,} "
        f"points; GeoJSON sent to a browser as Content-Encoding {', '.join(encodings)}"
    )
    print(
        "figure kB per trace: "
        + ", ".join(f"{k} {v / 1e3:,.0f}" for k, v in fig["trace_bytes"].items())
    )


def _stats(s: dict) -> list[float]:
    return [s["median"], s["p90"]]


def geojson_totals(geo: dict) -> dict:
    return {
        "median_s": sum(g["seconds"]["median"] for g in geo.values()),
        "bytes": sum(g["bytes"] for g in geo.values()),
        "gzip_bytes": sum(g["gzip_bytes"] for g in geo.values()),
        "wire_bytes": sum(g["wire_bytes"] for g in geo.values()),
        "grid_features": sum(g["features"] for p, g in geo.items() if "grids" in p),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=scales_arg, default=["county", "region"])
    parser.add_argument("--database-url", help="an already seeded database (one scale)")
    parser.add_argument("--repeat", type=int, default=7, help="warm runs after the cold one")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    if args.database_url and len(args.scale) != 1:
        parser.error("--database-url holds one city: give its --scale (county or region)")

    results = {}
    for scale in args.scale:
        with contextlib.ExitStack() as stack:
            url = args.database_url or stack.enter_context(fresh_database(None))
            seed(url, scale)  # only when the database is empty
            key = display_key(url)
            if args.database_url:  # a database that outlives the benchmark keeps no live key
                stack.callback(revoke_key, url, key)
            fig = measure_figure(url, args.repeat)
            geo = measure_geojson(url, args.repeat, key)
        report(scale, fig, geo)
        results[scale] = {**fig, "geojson": geo, "geojson_total": geojson_totals(geo)}

    print(f"\npeak RSS {peak_rss_mb():,.0f} MB; screen {SCREEN['width']}x{SCREEN['height']}")
    if args.json:
        emit_json(
            {
                "benchmark": "map_figure",
                "screen": SCREEN,
                "repeat": args.repeat,
                "scales": results,
                "peak_rss_mb": peak_rss_mb(),
            }
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
