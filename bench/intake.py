"""Open311 intake under load: acknowledged reports per second, latency, and where the CPU goes.

    .venv/bin/python bench/intake.py                      # SQLite, 50 clients, 30 s
    .venv/bin/python bench/intake.py --rounds 2           # anchor and ours twice, alternating
    .venv/bin/python bench/intake.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/intake.py --workers 4 --threads 4 --clients 50 --duration 30 --json

Runs the real server (`python app.py serve --workers W --threads T`) on a fresh
database holding the demo county (a temporary SQLite file, or a new PostgreSQL
schema dropped afterwards), and N clients on keep-alive connections posting
reports at real grid points without pause, spread over a few load processes
(``bench/_load.py``). The first seconds warm the server's caches and are not
counted. Besides throughput and latency it prints the CPU used by the server,
by PostgreSQL, by the load generator and by the whole machine, to show what
saturates first.

The clients share one API key (default scopes, open311 among them) from one
address, so the server's per-key-and-address intake limit (GC_INTAKE_RATE,
300/minute by default) would answer almost everything with 429: the server is
started with GC_INTAKE_RATE=1000000/minute (--intake-rate) to measure the
intake itself, not the limiter's refusals.

The anchor: in the same run, under the same load generator and the same
gunicorn settings, a bare server (``bench/_bare_intake.py``: Flask, parse,
one durable INSERT into SQLite in WAL mode with synchronous=FULL, answer) is
measured first, and its figures are printed beside ours. On a shared machine
only figures from the same run compare; ``--rounds`` alternates the two.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from bench._bare_intake import connect as connect_bare
from bench._common import emit_json, fresh_database, seed, table
from bench._load import cpu_seconds, load_process, machine_busy, processes
from data.store import Store
from scripts.app_process import ROOT, app_process, free_port, stop, wait_until_healthy

ANCHOR, OURS = "bare anchor", "Grid Command"


def _server_pids(port: int) -> list[int]:
    """The gunicorn master and workers serving on ``port`` (ours or the anchor), and our
    intake writer."""
    wanted = f"PORT={port}".encode()
    return processes(
        lambda cmd, env: (
            (b"app.py" in cmd or b"gunicorn" in cmd or b"intake_writer" in cmd)
            and wanted in env.split(b"\0")
        )
    )


def _postgres_pids() -> list[int]:
    return processes(lambda cmd, _env: cmd.startswith(b"postgres"))


def _percentiles(latencies: list[float]) -> dict:
    if not latencies:
        return {}
    values = np.asarray(latencies) * 1000
    marks = (("p50", 50), ("p90", 90), ("p99", 99), ("max", 100))
    return {name: round(float(np.percentile(values, q)), 1) for name, q in marks}


@contextlib.contextmanager
def bare_server(args, path: str) -> Iterator[str]:
    """Run the anchor (``bench/_bare_intake.py``) with gunicorn as ``app.py serve`` runs
    ours: gthread workers, the same workers, threads and timeout; yields its base URL."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gthread",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--timeout",
        "120",
        "--bind",
        f"127.0.0.1:{port}",
        "bench._bare_intake:app",
    ]
    env = {**os.environ, "GC_BARE_DATABASE": path, "PORT": str(port)}
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, 60)
        yield base
    finally:
        stop(process)


def measure(
    args, base: str, key: str, points, count_stored: Callable[[], int], postgres: bool = False
) -> dict:
    """Load the server at ``base`` for the warm-up and the measured window; its figures."""
    before = count_stored()
    server = _server_pids(urlsplit(base).port)
    count = min(args.processes, args.clients)
    groups = [list(range(args.clients))[i::count] for i in range(count)]
    warm_at = time.monotonic() + 1.0  # time for the load processes to start
    start_at = warm_at + args.warmup
    stop_at = start_at + args.duration
    queue: mp.Queue = mp.Queue()
    procs = [
        mp.Process(
            target=load_process, args=(base, key, points, g, warm_at, start_at, stop_at, queue)
        )
        for g in groups
    ]
    for proc in procs:
        proc.start()
    time.sleep(max(0.0, start_at - time.monotonic()))
    # After the warm-up: PostgreSQL forks a backend per pooled connection on first use.
    database = _postgres_pids() if postgres else []
    cpu0 = cpu_seconds(server), cpu_seconds(database), machine_busy()
    time.sleep(max(0.0, stop_at - time.monotonic()))
    cpu1 = cpu_seconds(server), cpu_seconds(database), machine_busy()
    parts = [queue.get(timeout=args.duration + 120) for _ in procs]
    for proc in procs:
        proc.join()
    stored = count_stored() - before

    latencies = [x for part in parts for x in part["latencies"]]
    statuses: dict[int, int] = {}
    for part in parts:
        for status, n in part["statuses"].items():
            statuses[status] = statuses.get(status, 0) + n
    busy, total = (cpu1[2][0] - cpu0[2][0]), (cpu1[2][1] - cpu0[2][1])
    return {
        "server_processes": len(server),
        "acknowledged": len(latencies),
        "acknowledged_per_s": round(len(latencies) / args.duration, 1),
        "errors": {str(k): v for k, v in sorted(statuses.items()) if k != 200},
        "latency_ms": _percentiles(latencies),
        "acknowledged_all": sum(p["acked_all"] for p in parts),
        "stored": stored,
        "cpu_cores": {
            "server": round((cpu1[0] - cpu0[0]) / args.duration, 2),
            "postgres": round((cpu1[1] - cpu0[1]) / args.duration, 2),
            "clients": round(sum(p["cpu_s"] for p in parts) / args.duration, 2),
            "machine": round(busy / args.duration, 2),
            "machine_busy_pct": round(100 * busy / total, 1) if total else None,
        },
    }


def run(args, url: str) -> dict:
    """Seed, then load the anchor and our server in turn; returns the figures of each."""
    seed(url, "county")
    store = Store.open(url)
    key = store.create_api_key("bench", actor="bench")
    grids = store.grids(geometry=False)
    points = [(float(x), float(y)) for x, y in grids[["lon", "lat"]].itertuples(index=False)]
    store.close()

    def ours_stored() -> int:
        store = Store.open(url)
        try:
            return store.count_reports()
        finally:
            store.close()

    backend = url.split(":")[0].split("+")[0]
    serve = ("serve", "--workers", str(args.workers), "--threads", str(args.threads))
    env = {"DATABASE_URL": url, "GC_INTAKE_RATE": args.intake_rate}
    runs = []
    with tempfile.TemporaryDirectory(prefix="gc-bench-bare-") as tmp:
        bare = str(Path(tmp) / "bare.db")
        connect_bare(bare).close()  # its table, in WAL mode, before its workers start

        def bare_stored() -> int:
            with contextlib.closing(sqlite3.connect(bare)) as conn:
                return conn.execute("SELECT count(*) FROM reports").fetchone()[0]

        for round_ in range(1, args.rounds + 1):
            with bare_server(args, bare) as base:
                figures = measure(args, base, key, points, bare_stored)
            runs.append({"server": ANCHOR, "backend": "sqlite", "round": round_, **figures})
            with app_process(env, args=serve, timeout=180) as base:
                figures = measure(args, base, key, points, ours_stored, backend == "postgresql")
            runs.append({"server": OURS, "backend": backend, "round": round_, **figures})
    return {
        "benchmark": "intake",
        "clients": args.clients,
        "duration_s": args.duration,
        "workers": args.workers,
        "threads": args.threads,
        "intake_rate": args.intake_rate,
        "client_processes": min(args.processes, args.clients),
        "runs": runs,
    }


def _rows(runs: list[dict]) -> list[list[object]]:
    """One row per figure, one column per run."""
    keys = [k for k, v in runs[0].items() if not isinstance(v, dict)]
    rows = [[k, *(r[k] for r in runs)] for k in keys]
    statuses = sorted({s for r in runs for s in r["errors"]})
    rows += [[f"errors, status {s}", *(r["errors"].get(s, 0) for r in runs)] for s in statuses]
    for group, label in (("latency_ms", "latency {} ms"), ("cpu_cores", "CPU cores, {}")):
        names = list(runs[0][group])
        rows += [[label.format(n), *(r[group].get(n, "") for r in runs)] for n in names]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="PostgreSQL base URL; default a temp SQLite file")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=30, help="seconds measured")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load not counted")
    parser.add_argument("--workers", type=int, default=3, help="server worker processes")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker")
    parser.add_argument("--processes", type=int, default=2, help="load-generating processes")
    parser.add_argument(
        "--rounds", type=int, default=1, help="times the anchor and ours are measured, alternating"
    )
    parser.add_argument(
        "--intake-rate",
        default="1000000/minute",
        help="GC_INTAKE_RATE of the server (its default 300/minute would refuse most of the load)",
    )
    parser.add_argument("--json", action="store_true", help="end with one line of JSON")
    args = parser.parse_args()

    with fresh_database(args.database_url) as url:
        figures = run(args, url)

    runs = figures["runs"]
    print(
        f"{figures['clients']} clients, {figures['duration_s']:g} s, "
        f"{figures['workers']} workers x {figures['threads']} threads"
    )
    print(table(_rows(runs), ["figure", *(r["server"] for r in runs)]))
    for r in runs:
        if r["stored"] < r["acknowledged_all"]:
            print(
                f"LOST REPORTS ({r['server']}, round {r['round']}): "
                f"{r['acknowledged_all']} acknowledged, {r['stored']} stored"
            )
        if r["cpu_cores"]["clients"] > 0.8 * figures["client_processes"]:
            print("the load generator saturates its cores: add --processes")
    if args.json:
        emit_json(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
