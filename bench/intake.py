"""Open311 intake under load: acknowledged reports per second and latency.

    .venv/bin/python bench/intake.py                      # SQLite, 50 clients, 30 s
    .venv/bin/python bench/intake.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/intake.py --workers 4 --threads 4 --clients 50 --duration 30 --json

Runs the real server (`python app.py serve`) on a fresh database with the demo
county, and N clients (keep-alive sessions, spread over client processes so the
load generator is not the bottleneck) posting reports without pause.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import requests

from bench._common import emit_json, fresh_database, seed, table
from data.store import Store
from scripts.app_process import app_process


def _client_process(base, key, points, threads, duration, queue) -> None:
    """One load process: ``threads`` clients posting until the time is up."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + duration

    def run(number: int) -> None:
        session = requests.Session()
        sent = 0
        while time.monotonic() < stop_at:
            lon, lat = points[(number * 7919 + sent) % len(points)]
            form = {"api_key": key, "service_code": "garbage", "lat": lat, "long": lon,
                    "description": f"压测：垃圾未清运 {number}-{sent}"}  # fmt: skip
            started = time.perf_counter()
            try:
                status = session.post(f"{base}/open311/v2/requests.json", data=form,
                                      timeout=30).status_code  # fmt: skip
            except requests.RequestException:
                status = 0
            elapsed = time.perf_counter() - started
            sent += 1
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 200:
                    latencies.append(elapsed)

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    queue.put((latencies, statuses))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL base URL; default a temp SQLite file")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--processes", type=int, default=4, help="client processes")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with fresh_database(args.database_url) as url:
        seed(url, "county")
        store = Store.open(url)
        key = store.create_api_key("bench", actor="bench")
        points = store.grids(geometry=False)[["lon", "lat"]].itertuples(index=False, name=None)
        points = [tuple(map(float, p)) for p in points]
        before = store.count_reports()
        store.close()
        serve = ("serve", "--workers", str(args.workers), "--threads", str(args.threads))
        with app_process({"DATABASE_URL": url}, args=serve, timeout=120) as base:
            queue: mp.Queue = mp.Queue()
            per = [args.clients // args.processes + (i < args.clients % args.processes)
                   for i in range(args.processes)]  # fmt: skip
            procs = [mp.Process(target=_client_process,
                                args=(base, key, points, n, args.duration, queue))
                     for n in per if n]  # fmt: skip
            started = time.perf_counter()
            for proc in procs:
                proc.start()
            results = [queue.get() for _ in procs]
            for proc in procs:
                proc.join()
            wall = time.perf_counter() - started
        store = Store.open(url)
        stored = store.count_reports() - before
        store.close()

    latencies = [x for lat, _ in results for x in lat]
    statuses: dict[int, int] = {}
    for _, part in results:
        for status, count in part.items():
            statuses[status] = statuses.get(status, 0) + count
    ms = {}
    if latencies:
        values = np.asarray(latencies) * 1000
        ms = {name: round(float(np.percentile(values, q)), 1)
              for name, q in (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))}  # fmt: skip
    figures = {
        "benchmark": "intake", "backend": url.split(":")[0], "clients": args.clients,
        "duration_s": round(wall, 1), "workers": args.workers, "threads": args.threads,
        "acknowledged": len(latencies), "stored": stored,
        "acknowledged_per_s": round(len(latencies) / wall, 1),
        "statuses": {str(k): v for k, v in sorted(statuses.items())}, "latency_ms": ms,
    }  # fmt: skip
    rows = [[k, v] for k, v in figures.items() if k != "latency_ms"]
    rows += [[f"latency {k} ms", v] for k, v in ms.items()]
    print(table(rows, ["figure", "value"]))
    if args.json:
        emit_json(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
