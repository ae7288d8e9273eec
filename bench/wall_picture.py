"""The wall's picture after each new report: what a worker does when the feed moves.

    .venv/bin/python bench/wall_picture.py [--reports N] [--database-url URL] [--json]

Seeds the county demo into a temporary SQLite file (not timed) unless
--database-url names a seeded one (it then gains the reports), builds the
wall's picture once, then N times: stores one report at a real grid point
(``Store.add_incident``: one transaction with its audit and feed entries, as
the intake writes it), builds the picture for that feed position
(``dashboard.view_cache.shared_view`` with the panels, as the first screen
to ask does) and the point edits a screen showing the previous picture gets
(``map_updates``). Prints the median, p90 and minimum of those builds.

One process, no server and no browser: on a shared machine compare two
checkouts by running it from each, alternately.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, seed, table  # noqa: E402


def measure(url: str, reports: int) -> dict:
    from dashboard.pages.command_map import map_updates, panels_of
    from dashboard.view_cache import shared_view
    from data.store import Store

    store = Store.open(url)
    try:
        grids = store.grids(geometry=False).sample(reports, replace=True, random_state=7)
        screen = {"width": 1920, "height": 1080}

        def picture():
            return shared_view(
                store, lang="zh", screen=screen, focus=None, scope=None, prepare=panels_of("zh")
            )

        shown, times = picture(), []
        for n, grid in enumerate(grids.itertuples()):
            store.add_incident(
                {
                    "public_id": f"BENCH-{time.time_ns()}-{n}",
                    "channel": "app",
                    "category": "garbage",
                    "description": "垃圾",
                    "lon": float(grid.lon),
                    "lat": float(grid.lat),
                    "grid_code": grid.code,
                    "town_code": grid.town_code,
                    "priority": 3,
                },
                actor="bench",
            )
            started = time.perf_counter()
            view = picture()
            map_updates(view, shown.digests)
            times.append(time.perf_counter() - started)
            shown = view
    finally:
        store.close()
    ordered = sorted(times)
    return {
        "reports": reports,
        "median_ms": round(statistics.median(times) * 1000, 1),
        "p90_ms": round(ordered[int(0.9 * (len(ordered) - 1))] * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=60)
    parser.add_argument("--database-url", help="an already seeded database (county)")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args()
    if args.database_url:
        figures = measure(args.database_url, args.reports)
    else:
        with fresh_database(None) as url:
            seed(url, "county")
            figures = measure(url, args.reports)
    print(table([[k, v] for k, v in figures.items()], ["figure", "value"]))
    if args.json:
        emit_json({"benchmark": "wall_picture", **figures})
    return 0


if __name__ == "__main__":
    sys.exit(main())
