"""Importing a region's 12,000 grids from a GeoPackage: time, progress, memory.

    .venv/bin/python bench/import_grids.py [--database URL] [--json]

The region demo city (12,000 grids, 300,000 incidents) is seeded into a
fresh database (not timed; about a minute). Its grids are written to a
GeoPackage in CGCS2000 / Gauss-Krüger CM 120°E (EPSG:4549), as a surveying
bureau would deliver them, under new codes, so that importing it replaces
every grid: 12,000 added, 12,000 removed, every incident moved to its new
grid. Then the same file again (nothing changes), and the undo of the first
import. Each step is what ``python app.py import grids FILE`` runs, with its
progress bar on stderr: read and check, then write.

Aim (issue 9): a 12,000-grid GeoPackage imports with progress in under a
minute on the 2-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench._common import emit_json, fresh_database, peak_rss_mb, seed, table  # noqa: E402

AIM_S = 60.0


class CountingBar:
    """The command line's progress bar, also counting its updates."""

    def __init__(self, what: str):
        from cli.imports import ProgressBar

        self.bar, self.updates, self.last = ProgressBar(what), 0, (0, 0)

    def __call__(self, done: int, total: int, stage: str) -> None:
        self.updates += 1
        self.last = (done, total)
        self.bar(done, total, stage)

    def close(self) -> None:
        self.bar.close()


def recoded_grids_file(store, folder: Path) -> Path:
    """The store's grids under new codes, in a GeoPackage in EPSG:4549 (not timed)."""
    from data.export_files import write_layer

    grids = store.grids()
    frame = grids[["code", "name", "community_code", "population", "households", "geometry"]].copy()
    frame["code"] = "N" + frame["code"].astype(str)
    frame = frame.rename(columns={"community_code": "parent"})
    return write_layer(frame, folder / "grids-4549.gpkg", crs="EPSG:4549")


def timed_import(store, path: Path, label: str) -> dict:
    from services.boundary_import import apply_check, check_file

    started = time.perf_counter()
    found = check_file(store, "grids", path)
    checked = time.perf_counter()
    if not found.ok:
        raise SystemExit(f"{label}: the file has blocking problems: {found.result.blocking[:3]}")
    bar = CountingBar(f"{label}")
    try:
        counts = apply_check(store, found, actor="bench", source=path.name, progress=bar)
    finally:
        bar.close()
    done = time.perf_counter()
    return {
        "step": label,
        "read_check_s": checked - started,
        "write_s": done - checked,
        "total_s": done - started,
        "progress_updates": bar.updates,
        "counts": counts,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database",
        help="a PostgreSQL base URL, or a new SQLite file's URL "
        "(default: a SQLite file in a temporary folder)",
    )
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    from data.store import Store

    with fresh_database(args.database) as url, tempfile.TemporaryDirectory() as folder:
        seed(url, "region")
        store = Store.open(url)
        try:
            path = recoded_grids_file(store, Path(folder))
            size_mb = path.stat().st_size / 2**20
            print(f"{path.name}: {size_mb:.1f} MB, 12,000 grids under new codes", flush=True)
            steps = [timed_import(store, path, "import, new codes")]
            steps.append(timed_import(store, path, "same file again"))
            store.undo_import(steps[1]["counts"]["import_id"], actor="bench")
            started = time.perf_counter()
            undone = store.undo_import(steps[0]["counts"]["import_id"], actor="bench")
            steps.append(
                {
                    "step": "undo the import",
                    "read_check_s": 0.0,
                    "write_s": time.perf_counter() - started,
                    "total_s": time.perf_counter() - started,
                    "progress_updates": 0,
                    "counts": undone,
                }
            )
        finally:
            store.close()
    rows = [
        [
            s["step"],
            round(s["read_check_s"], 1),
            round(s["write_s"], 1),
            round(s["total_s"], 1),
            s["counts"].get("added", 0),
            s["counts"].get("updated", 0),
            s["counts"].get("unchanged", 0),
            s["counts"].get("removed", 0),
            s["counts"].get("incidents_moved", 0),
            s["progress_updates"],
        ]
        for s in steps
    ]
    print(
        table(
            rows,
            [
                "step",
                "read+check s",
                "write s",
                "total s",
                "added",
                "updated",
                "unchanged",
                "removed",
                "incidents moved",
                "progress updates",
            ],
        )
    )
    worst = max(s["total_s"] for s in steps)
    print(
        f"peak RSS {peak_rss_mb():,.0f} MB; slowest step {worst:.1f} s "
        f"({'within' if worst < AIM_S else 'OVER'} the {AIM_S:.0f} s aim)"
    )
    if args.json:
        emit_json({"steps": steps, "peak_rss_mb": peak_rss_mb(), "gpkg_mb": size_mb})
    return 0


if __name__ == "__main__":
    sys.exit(main())
