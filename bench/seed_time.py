"""Time to make the demo city and store it.

    .venv/bin/python bench/seed_time.py [--scale county|region] [--repeat N]
        [--database-url URL] [--seed 2022] [--json]

Each run generates the city (data.demo_city.generate_city) and loads it into an
empty database (Store.load_city, one transaction), as `python app.py seed` does.
Without --database-url each run gets a new SQLite file in a temporary directory.
A PostgreSQL URL (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) gets a
new schema per run, dropped afterwards. A SQLite URL names a new file, which is
kept (only with --repeat 1), so that the other benchmarks can reuse it.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import (  # noqa: E402
    database_bytes,
    emit_json,
    fresh_database,
    peak_rss_mb,
    table,
)


def one_run(base_url: str | None, scale: str, seed: int) -> dict:
    """Generate and store the city once; returns the timings, counts and sizes."""
    from data.demo_city import generate_city
    from data.store import Store

    with fresh_database(base_url) as url:
        started = time.perf_counter()
        store = Store.open(url)  # connect and create the schema
        opened = time.perf_counter()
        frames = generate_city(seed=seed, scale=scale)
        generated = time.perf_counter()
        counts = store.load_city(frames)
        stored = time.perf_counter()
        store.close()  # SQLite folds its WAL back into the file here
        del frames
        gc.collect()
        return {
            "schema_s": opened - started,
            "generate_s": generated - opened,
            "store_s": stored - generated,
            "total_s": stored - started,
            "counts": counts,
            "rows": sum(counts.values()),
            "database_bytes": database_bytes(url),
            "peak_rss_mb": peak_rss_mb(),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=("county", "region"), default="county")
    parser.add_argument("--database-url", help="default: a new SQLite file in a temp dir")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    url = args.database_url
    if url and url.startswith("sqlite") and args.repeat > 1:
        parser.error("a SQLite URL is kept after the run: use it with --repeat 1")
    backend = (url or "sqlite").split(":")[0].split("+")[0]
    if args.scale == "region":
        print("the region city takes minutes per run…", flush=True)

    runs = []
    for i in range(args.repeat):
        run = one_run(url, args.scale, args.seed)
        runs.append(run)
        print(
            f"run {i + 1}/{args.repeat}: generate {run['generate_s']:.2f} s, "
            f"store {run['store_s']:.2f} s, total {run['total_s']:.2f} s",
            flush=True,
        )

    print(f"\nseed_time: {args.scale} scale, seed {args.seed}, {backend}, {args.repeat} run(s)\n")
    rows = [
        [
            i + 1,
            r["generate_s"],
            r["store_s"],
            r["schema_s"],
            r["total_s"],
            r["rows"],
            "-" if r["database_bytes"] is None else r["database_bytes"] / 1e6,
            r["peak_rss_mb"],
        ]
        for i, r in enumerate(runs)
    ]
    headers = ["run", "generate s", "store s", "schema s", "total s", "rows", "db MB", "peak MB"]
    print(table(rows, headers))
    print("\nrows per table:")
    print(table([[k, v] for k, v in runs[0]["counts"].items()], ["table", "rows"]))

    if args.json:
        med = {
            key: statistics.median(r[key] for r in runs)
            for key in ("generate_s", "store_s", "schema_s", "total_s")
        }
        emit_json(
            {
                "benchmark": "seed_time",
                "scale": args.scale,
                "seed": args.seed,
                "backend": backend,
                "repeat": args.repeat,
                "median": med,
                "runs": runs,
                "counts": runs[0]["counts"],
                "database_bytes": runs[-1]["database_bytes"],
                "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            }
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
