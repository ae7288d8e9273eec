"""Residents reporting at once: each a 2 MB photo, POST /api/v1/public/reports.

    .venv/bin/python bench/resident.py                    # SQLite, 200 residents
    .venv/bin/python bench/resident.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/resident.py --residents 50 --mb 1 --json

Runs the real server (`python app.py serve`) on a fresh database holding the
demo county (a temporary SQLite file, or a new PostgreSQL schema dropped
afterwards), with a temporary media store. Makes one distinct JPEG of noise per
resident (Pillow, quality 95: noise does not compress, so each is at least
--mb MB), then --residents threads wait at a barrier and each sends one report
at once: its own X-GC-Device and Idempotency-Key, a category, a description,
a grid's interior point, the photo. GC_RESIDENT_RATE is set high for the run
(every request comes from 127.0.0.1; the per-address limit would otherwise
refuse all but the first few); the per-device limit stays as configured.

Reports the wall time per request (p50/p95/p99/max), the answers by status,
the reports stored (incidents of channel 'app' and follows: each exactly
once), the photos stored, and the server's CPU. Asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import requests
from PIL import Image
from sqlalchemy import create_engine, text

from bench._common import emit_json, fresh_database, seed, table
from bench._load import cpu_seconds, processes
from scripts.app_process import app_process

RATE = "1000000/minute"


def photos(count: int, mb: float) -> list[bytes]:
    """``count`` distinct JPEGs of noise, each at least ``mb`` MB."""
    side = int((mb * 1_000_000 / 2.2) ** 0.5)  # noise at q95: about 2.4 bytes a pixel
    rng = np.random.default_rng(21)
    out = []
    for _ in range(count):
        while True:
            pixels = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
            buffer = io.BytesIO()
            Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
            if buffer.tell() >= mb * 1_000_000:
                break
            side = int(side * 1.1)
        out.append(buffer.getvalue())
    return out


def _server_pids(port: int) -> list[int]:
    wanted = f"PORT={port}".encode()
    return processes(
        lambda cmd, env: (
            (b"app.py" in cmd or b"gunicorn" in cmd or b"intake_writer" in cmd)
            and wanted in env.split(b"\0")
        )
    )


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql)).scalar())
    finally:
        engine.dispose()


def measure(base: str, points, images: list[bytes], categories: list[dict]) -> dict:
    """Every resident sends at once; per request wall time and status."""
    n = len(images)
    barrier = threading.Barrier(n)
    times: list[float | None] = [None] * n
    statuses: list[object] = [None] * n
    cases: list[str | None] = [None] * n
    messages: set[str] = set()

    def resident(i: int) -> None:
        lon, lat = points[i % len(points)]
        service = categories[i % len(categories)]
        form = {
            **service,
            "description": f"基准测试 {i}: 路面有问题 / bench report {i}",
            "lon": f"{lon:.6f}",
            "lat": f"{lat:.6f}",
            "anonymous": "1",
            "website": "",
        }
        headers = {"Idempotency-Key": str(uuid.uuid4()), "X-GC-Device": f"bench-device-{i:04d}"}
        files = {"photos": (f"p{i}.jpg", images[i], "image/jpeg")}
        with requests.Session() as session:
            barrier.wait()
            started = time.perf_counter()
            try:
                answer = session.post(
                    f"{base}/api/v1/public/reports",
                    data=form,
                    files=files,
                    headers=headers,
                    timeout=600,
                )
                statuses[i] = answer.status_code
                if answer.status_code == 201:
                    cases[i] = answer.json().get("case")
                else:
                    messages.add(f"{answer.status_code}: {answer.text[:160]}")
            except requests.RequestException as error:
                statuses[i] = type(error).__name__
            times[i] = time.perf_counter() - started

    threads = [threading.Thread(target=resident, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for message in sorted(messages)[:5]:
        print(f"  refused: {message}", flush=True)
    return {"times": times, "statuses": statuses, "cases": cases}


def run(args) -> dict:
    images = photos(args.residents, args.mb)
    sizes = [len(b) for b in images]
    print(f"  {len(images)} photos, {min(sizes):,} to {max(sizes):,} bytes", flush=True)
    with fresh_database(args.database_url) as url, tempfile.TemporaryDirectory() as media:
        from data.store import Store
        from domain.services import SERVICES

        seed(url, "county")
        store = Store.open(url)
        try:
            grids = store.grids(geometry=False)
        finally:
            store.close()
        points = [(float(x), float(y)) for x, y in grids[["lon", "lat"]].itertuples(index=False)]
        # every service, its required questions answered as the page asks them
        categories = [
            {
                "category": s.code,
                **{f"attribute[{a.code}]": a.values[0][0] for a in s.attributes if a.required},
            }
            for s in SERVICES
        ]
        before = {
            "incidents": _count(url, "SELECT count(*) FROM incidents WHERE channel = 'app'"),
            "photos": _count(url, "SELECT count(*) FROM photos"),
        }
        env = {"DATABASE_URL": url, "GC_RESIDENT_RATE": RATE, "GC_MEDIA": media}
        if args.photo_max_bytes:
            env["GC_PHOTO_MAX_BYTES"] = str(args.photo_max_bytes)
        serve = ("serve", "--workers", str(args.workers), "--threads", str(args.threads))
        with app_process(env, args=serve, timeout=240) as base:
            server = _server_pids(urlsplit(base).port)
            cpu0, wall0 = cpu_seconds(server), time.perf_counter()
            got = measure(base, points, images, categories)
            cpu1, wall1 = cpu_seconds(server), time.perf_counter()
        stored = {
            "incidents": _count(url, "SELECT count(*) FROM incidents WHERE channel = 'app'")
            - before["incidents"],
            "photos": _count(url, "SELECT count(*) FROM photos") - before["photos"],
            "follows": _count(url, "SELECT count(*) FROM resident_follows WHERE kind = 'reporter'"),
        }
        media_files = sum(1 for p in Path(media).rglob("*") if p.is_file())
    ms = np.asarray([t for t in got["times"] if t is not None]) * 1000
    counts: dict[str, int] = {}
    for status in got["statuses"]:
        counts[str(status)] = counts.get(str(status), 0) + 1
    cases = [c for c in got["cases"] if c]
    return {
        "benchmark": "resident",
        "backend": url.split(":")[0].split("+")[0],
        "residents": args.residents,
        "photo_bytes": {"min": min(sizes), "max": max(sizes)},
        "workers": args.workers,
        "threads": args.threads,
        "settings": {k: v for k, v in env.items() if k.startswith("GC_") and k != "GC_MEDIA"},
        **{f"p{q}_ms": round(float(np.percentile(ms, q)), 1) for q in (50, 95, 99)},
        "max_ms": round(float(ms.max()), 1),
        "all_done_s": round(wall1 - wall0, 2),
        "statuses": counts,
        "distinct_cases": len(set(cases)),
        "stored": stored,
        "media_files": media_files,
        "server_cpu_s": round(cpu1 - cpu0, 1),
        "server_cpu_ms_per_report": round(1000 * (cpu1 - cpu0) / args.residents, 1),
    }


def report(f: dict) -> None:
    print(
        f"\nresident: {f['backend']}, {f['residents']} residents at once, one photo each "
        f"({f['photo_bytes']['min']:,}..{f['photo_bytes']['max']:,} bytes); server "
        f"{f['workers']} workers x {f['threads']} threads; set for the run: "
        + ", ".join(f"{k}={v}" for k, v in f["settings"].items())
        + "\n"
    )
    errors = ", ".join(f"{s}: {n}" for s, n in f["statuses"].items() if s != "201") or "-"
    row = [f["residents"], f["p50_ms"], f["p95_ms"], f["p99_ms"], f["max_ms"], errors]
    print(table([row], ["reports", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"]))
    print()
    rows = [
        ["answered 201", f["statuses"].get("201", 0)],
        ["distinct case numbers answered", f["distinct_cases"]],
        ["incidents stored (channel app)", f["stored"]["incidents"]],
        ["reporter follows stored", f["stored"]["follows"]],
        ["photo rows stored", f["stored"]["photos"]],
        ["files in the media store (photos, thumbnails, their .type)", f["media_files"]],
        ["all answered after, s", f["all_done_s"]],
        ["server CPU, s", f["server_cpu_s"]],
        ["server CPU per report, ms", f["server_cpu_ms_per_report"]],
    ]
    print(table(rows, ["figure", "value"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a PostgreSQL base URL (a fresh schema in it)")
    parser.add_argument("--residents", type=int, default=200, help="reports sent at once")
    parser.add_argument("--mb", type=float, default=2.0, help="photo size, MB (10^6 bytes)")
    parser.add_argument(
        "--photo-max-bytes", type=int, help="GC_PHOTO_MAX_BYTES for the run (default: as set)"
    )
    parser.add_argument("--workers", type=int, default=3, help="server worker processes")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker")
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args(argv)
    figures = run(args)
    report(figures)
    if args.json:
        emit_json(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
