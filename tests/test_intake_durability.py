"""Every report the Open311 intake acknowledges survives a SIGKILL of the whole server.

The real server (`python app.py serve`: gunicorn, its default two workers of
eight threads) runs on a database holding the demo county; sixteen clients post
reports at real grid points without pause. After about three seconds of load the
server's whole process group gets SIGKILL, with no warning. Then, on SQLite and
on PostgreSQL:

- every service_request_id answered with HTTP 200 is stored;
- at most the requests in flight at the kill (one per client) were stored
  without an answer, and nothing else;
- the server starts again on the same database, its health counts match, and it
  takes a new report.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from cli.serve import seed_city
from data.store import Store
from scripts.app_process import ROOT, free_port, wait_until_healthy

pytestmark = pytest.mark.slow

CLIENTS = 16
LOAD_SECONDS = 3.0  # of load, counted from the first acknowledgement, before the kill
AT_LEAST = 60  # acknowledgements before the kill, so the test cannot pass vacuously
INTAKE = "/open311/v2/requests.json"


@contextlib.contextmanager
def server(url: str, log_path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`python app.py serve` in its own process group; yields (base URL, process).

    Like ``scripts.app_process.app_process``, but hands out the process so the
    test can kill its whole group; whatever is left is SIGKILLed on the way out.
    """
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "GC_INTAKE_RATE": "1000000/minute",
    }  # a load test, not a rate-limit test
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, process, timeout=90)
            yield base, process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


@dataclass
class Load:
    """What the clients saw: ids acknowledged, other answers, requests cut off."""

    acked: list[str] = field(default_factory=list)
    other: dict[int, int] = field(default_factory=dict)  # non-200 status -> count
    cut_off: int = 0  # requests that got no answer (the kill, or a timeout)
    first_ack: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


def post_until_gone(base: str, key: str, points: list, number: int, load: Load) -> None:
    """One client: post reports one after another until the server stops answering."""
    session = requests.Session()
    sent = 0
    while True:
        lon, lat = points[(number * 131 + sent) % len(points)]
        form = {
            "api_key": key,
            "service_code": "garbage",
            "lat": lat,
            "long": lon,
            "description": f"垃圾未清运 client {number} report {sent}",
        }
        sent += 1
        try:
            answer = session.post(base + INTAKE, data=form, timeout=10)
        except requests.RequestException:
            with load.lock:
                load.cut_off += 1
            return  # the server is gone; this request may or may not be stored
        with load.lock:
            if answer.status_code == 200:
                load.acked.append(answer.json()[0]["service_request_id"])
                load.first_ack = load.first_ack or time.monotonic()
            else:
                load.other[answer.status_code] = load.other.get(answer.status_code, 0) + 1


def wait_for_load(load: Load) -> None:
    """Until LOAD_SECONDS after the first acknowledgement and AT_LEAST acks (at most 60 s)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with load.lock:
            started, acked = load.first_ack, len(load.acked)
        if started and time.monotonic() - started >= LOAD_SECONDS and acked >= AT_LEAST:
            return
        time.sleep(0.05)


def test_every_acknowledged_report_survives_a_sigkill(database_url, tmp_path):
    store = Store.open(database_url)
    seed_city(store, scale="county", seed=2022)
    key = store.create_api_key("durability-test", actor="test")
    grids = store.grids(geometry=False)
    points = [(float(x), float(y)) for x, y in grids[["lon", "lat"]].itertuples(index=False)]
    before = store.count_reports()
    store.close()

    load = Load()
    with server(database_url, tmp_path / "server.log") as (base, process):
        clients = [
            threading.Thread(target=post_until_gone, args=(base, key, points, n, load))
            for n in range(CLIENTS)
        ]
        for client in clients:
            client.start()
        wait_for_load(load)
        os.killpg(process.pid, signal.SIGKILL)  # mid-intake, the whole group, no warning
        process.wait(timeout=30)
        for client in clients:
            client.join(timeout=30)
        assert not any(c.is_alive() for c in clients), "a client kept running after the kill"

    acked = list(load.acked)
    assert len(acked) >= AT_LEAST, f"only {len(acked)} acknowledged before the kill"
    assert len(set(acked)) == len(acked), "a service_request_id was handed out twice"
    assert not load.other, f"answers other than 200 under load: {load.other}"
    assert load.cut_off <= CLIENTS

    store = Store.open(database_url)
    try:
        stored = store.incidents_by_public_ids(acked)
        stored_new = store.count_reports() - before
    finally:
        store.close()
    print(f"{len(acked)} acknowledged, {stored_new} stored, {load.cut_off} cut off by the kill")
    missing = set(acked) - set(stored["public_id"])
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged reports were lost"
    assert stored["grid_code"].notna().all(), "a report at a grid's point landed in no grid"
    # Stored but never answered: only requests cut off by the kill (one per client at most).
    assert 0 <= stored_new - len(acked) <= load.cut_off, (
        f"{stored_new} stored, {len(acked)} acknowledged, {load.cut_off} in flight at the kill"
    )

    with server(database_url, tmp_path / "restart.log") as (base, _):
        health = requests.get(f"{base}/api/v1/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["counts"]["incidents"] == before + stored_new
        lon, lat = points[0]
        form = {
            "api_key": key,
            "service_code": "garbage",
            "lat": lat,
            "long": lon,
            "description": "垃圾未清运，重启以后",
        }
        again = requests.post(base + INTAKE, data=form, timeout=10)
        assert again.status_code == 200, again.text
