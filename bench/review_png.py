"""Time the review's static map (PNG export and print view) at county scale.

    .venv/bin/python bench/review_png.py [--repeat N] [--database-url URL] [--json]

Seeds the county demo into a temporary SQLite file (not timed) unless
--database-url names a seeded one, then runs --repeat fresh Python processes.
Each process creates the app (not timed) and, as a city leader over the last
90 days, draws through ``services.review_files.map_png``, the function behind
/api/v1/review/export.png and /review/print:

1. cold: the first PNG of the process (1600 x 1200, the export's default),
   with whatever the drawing needs started on first use;
2. warm: one PNG for each other map metric (distinct images, so no cache hit);
3. print: the print view's map (1000 x 750 laid out, drawn at scale 2);
4. cached: the first image again (the answer of the bounded cache, if any).

Peak resident memory is reported for the Python process (ru_maxrss) and for
its child processes (a browser, if one is started), read from /proc before
the process ends; shared pages are counted once per process, so the sum of
children overstates. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, peak_rss_mb, seed, table  # noqa: E402

SIZE = (1600, 1200)
PRINT = (1000, 750, 2)


def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (Linux /proc)."""
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.append(child)
                    queue.append(child)
    return found


def peak_kib(pid: int) -> int:
    """VmHWM (peak resident set) of one process in KiB, 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def child(url: str) -> dict:
    """One fresh process: the timings of one pass, as a dict."""
    from app import create_app
    from domain.access import for_user
    from domain.review_metrics import METRICS
    from domain.review_query import parse_query
    from services.review import build_review, map_metrics
    from services.review_files import map_png
    from settings import Settings

    app = create_app(Settings.from_env({"DATABASE_URL": url}))
    store = app.server.extensions["gridcommand.store"]
    leader = for_user(900001, "bench city leader", "city_leader", None)
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    start = (today - dt.timedelta(days=89)).isoformat()
    codes = list(map_metrics())
    reviews = {}
    for code in codes:
        query = parse_query(
            {"from": start, "to": today.isoformat(), "metric": code}, today=today, metrics=METRICS
        )
        reviews[code] = build_review(store, query, leader, now=now, lang="zh")
    out: dict = {"grids": len(reviews[codes[0]].grids), "metrics": len(codes)}
    with app.server.app_context():
        started = time.perf_counter()
        first = map_png(store, reviews[codes[0]], "zh", *SIZE)
        out["cold_s"] = time.perf_counter() - started
        out["bytes"] = len(first)
        warm = []
        for code in codes[1:]:
            started = time.perf_counter()
            map_png(store, reviews[code], "zh", *SIZE)
            warm.append(time.perf_counter() - started)
        out["warm_s"] = warm
        started = time.perf_counter()
        map_png(store, reviews[codes[1]], "zh", PRINT[0], PRINT[1], scale=PRINT[2])
        out["print_s"] = time.perf_counter() - started
        started = time.perf_counter()
        map_png(store, reviews[codes[0]], "zh", *SIZE)
        out["cached_s"] = time.perf_counter() - started
    kids = descendants(os.getpid())
    out["python_peak_mb"] = peak_rss_mb()
    out["children"] = len(kids)
    out["children_peak_mb"] = sum(peak_kib(pid) for pid in kids) / 1024
    store.close()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an already seeded county database; read only")
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes (default 3)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child)), flush=True)
        return 0
    runs = []
    with contextlib.ExitStack() as stack:
        url = args.database_url or stack.enter_context(fresh_database(None))
        seed(url, "county")
        for number in range(args.repeat):
            done = subprocess.run(
                [sys.executable, __file__, "--child", url],
                cwd=ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                return 1
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"  run {number + 1}: cold {runs[-1]['cold_s']:.2f} s", flush=True)
    warm = [t for run in runs for t in run["warm_s"]]
    median = statistics.median
    rows = [
        [
            "cold (first PNG of a process)",
            median(r["cold_s"] for r in runs),
            max(r["cold_s"] for r in runs),
        ],
        ["warm (another metric)", median(warm), max(warm)],
        [
            "print view map (2000 x 1500 px)",
            median(r["print_s"] for r in runs),
            max(r["print_s"] for r in runs),
        ],
        [
            "cached (the same image again)",
            median(r["cached_s"] for r in runs),
            max(r["cached_s"] for r in runs),
        ],
    ]
    print(
        f"\ncounty: {runs[0]['grids']:,} grids, {len(runs)} processes, "
        f"{runs[0]['metrics']} metrics, PNG {SIZE[0]} x {SIZE[1]} ({runs[0]['bytes']:,} bytes)"
    )
    print(table(rows, ["seconds per PNG", "median", "max"]))
    python_mb = max(r["python_peak_mb"] for r in runs)
    children_mb = max(r["children_peak_mb"] for r in runs)
    print(
        f"peak RSS: Python {python_mb:.0f} MB, child processes "
        f"{children_mb:.0f} MB ({max(r['children'] for r in runs)} processes)"
    )
    if args.json:
        emit_json({"runs": runs, "python_peak_mb": python_mb, "children_peak_mb": children_mb})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
