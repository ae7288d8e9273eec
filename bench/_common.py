"""What the benchmarks share: fresh databases, seeding, statistics and output."""

from __future__ import annotations

import contextlib
import gzip
import json
import resource
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SCALES = ("county", "region")


def scales_arg(value: str) -> list[str]:
    """Parse ``county,region`` for argparse."""
    scales = [s.strip() for s in value.split(",") if s.strip()]
    bad = [s for s in scales if s not in SCALES]
    if bad or not scales:
        raise ValueError(f"scales are county and/or region, not {value!r}")
    return scales


def sqlite_files(url: str) -> list[Path]:
    """The files of a SQLite database (main, WAL, shared memory); [] for other backends."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return []
    main = Path(parsed.database)
    return [main, main.with_name(main.name + "-wal"), main.with_name(main.name + "-shm")]


def database_bytes(url: str) -> int | None:
    """Bytes on disk of a SQLite database, or of the search-path schema in PostgreSQL."""
    files = sqlite_files(url)
    if files:
        return sum(f.stat().st_size for f in files if f.exists())
    options = make_url(url).query.get("options", "")
    if "search_path=" not in options:
        return None
    schema = options.split("search_path=", 1)[1].split(",")[0]
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = :s AND c.relkind IN ('r', 'm')"
                    ),
                    {"s": schema},
                ).scalar()
            )
    finally:
        engine.dispose()


@contextlib.contextmanager
def fresh_database(base_url: str | None) -> Iterator[str]:
    """Yield the URL of an empty database; remove it afterwards if we made it.

    None: a SQLite file in a temporary directory. A PostgreSQL URL: a new schema
    with a unique name, reached through ``options=-csearch_path=NAME``, dropped
    after. A SQLite URL: that file, which must not exist yet; it is kept.
    """
    if base_url is None:
        with tempfile.TemporaryDirectory(prefix="gc-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    parsed = make_url(base_url)
    if parsed.get_backend_name() == "sqlite":
        if sqlite_files(base_url) and sqlite_files(base_url)[0].exists():
            raise SystemExit(f"{parsed.database} exists: name a new file, or omit the URL")
        yield base_url
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
        url = parsed.update_query_dict({"options": f"-csearch_path={name}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        admin.dispose()


def seed(url: str, scale: str, seed_value: int = 2022) -> dict:
    """Make the demo city in the database at ``url`` unless it holds one already.

    Returns the rows per table. Seeds as `python app.py seed` does.
    """
    from cli.serve import seed_city
    from data.store import Store

    store = Store.open(url)
    try:
        if not store.is_empty():
            return store.table_counts()
        if scale == "region":
            print("seeding the region city: this takes minutes…", flush=True)
        started = time.perf_counter()
        counts = seed_city(store, scale=scale, seed=seed_value)
        print(f"  (seeding took {time.perf_counter() - started:.1f} s, not timed)", flush=True)
        return counts
    finally:
        store.close()


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def gzip_size(data: bytes) -> int:
    """Bytes after gzip at level 6, the level flask-compress uses."""
    return len(gzip.compress(data, compresslevel=6))


def summary(values: list[float]) -> dict:
    """Median, 90th percentile, min and max of a list of timings."""
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return {
        "median": statistics.median(ordered),
        "p90": p90,
        "min": ordered[0],
        "max": ordered[-1],
        "n": len(ordered),
    }


def table(rows: list[list[object]], headers: list[str]) -> str:
    """A plain text table, numbers right-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in cells)]) for i, h in enumerate(headers)]

    def line(values, numeric):
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        )

    numeric = [
        all(isinstance(r[i], int | float) or r[i] in ("", "-") for r in rows)
        for i in range(len(headers))
    ]
    out = [line(headers, numeric), "  ".join("-" * w for w in widths)]
    out += [line(r, numeric) for r in cells]
    return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def emit_json(figures: dict) -> None:
    """The figures as one JSON object on the last line of output."""
    sys.stdout.flush()
    print(json.dumps(figures, ensure_ascii=False, separators=(",", ":")), flush=True)
