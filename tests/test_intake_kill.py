"""No acknowledged report is lost when the server is killed in the middle of intake.

The real server (`python app.py serve`, gunicorn with two workers) takes
reports from eight concurrent clients; after a few seconds its whole process
group gets SIGKILL. Every report that was answered 200 must be in the
database afterwards, on SQLite and on PostgreSQL, and the server must start
again on the same database.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
import requests

from data.store import Store
from scripts.app_process import ROOT, free_port, wait_until_healthy
from tests.tiny_city import tiny_city

pytestmark = pytest.mark.slow

CLIENTS = 8
POINTS = [(120.005, 36.005), (120.015, 36.012), (120.025, 36.008), (120.035, 36.015)]


@contextlib.contextmanager
def server(url: str, log_path):
    """`python app.py serve` in its own process group; yields (base URL, process)."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "PORT": str(port), "HOST": "127.0.0.1"}
    with open(log_path, "a") as log:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), "serve"], cwd=ROOT, env=env,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_healthy(base, process, timeout=60)
            yield base, process
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)


def client(base: str, key: str, number: int, acked: list, stop: threading.Event) -> None:
    session = requests.Session()
    sent = 0
    while not stop.is_set():
        lon, lat = POINTS[(number + sent) % len(POINTS)]
        form = {"api_key": key, "service_code": "garbage", "lat": lat, "long": lon,
                "description": f"垃圾未清运 client {number} report {sent}"}  # fmt: skip
        try:
            answer = session.post(f"{base}/open311/v2/requests.json", data=form, timeout=10)
        except requests.RequestException:
            return  # the server is gone
        sent += 1
        if answer.status_code == 200:
            acked.append(answer.json()[0]["service_request_id"])


def test_every_acknowledged_report_survives_a_sigkill(database_url, tmp_path):
    store = Store.open(database_url)
    store.load_city(tiny_city())
    key = store.create_api_key("kill-test", actor="test")
    before = store.count_reports()
    store.close()

    acked: list[str] = []
    stop = threading.Event()
    with server(database_url, tmp_path / "server.log") as (base, process):
        threads = [threading.Thread(target=client, args=(base, key, n, acked, stop))
                   for n in range(CLIENTS)]  # fmt: skip
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acked) < 150 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # mid-intake, no warning
        process.wait(timeout=30)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)

    assert len(acked) >= 50, "too few reports were acknowledged before the kill to prove much"
    store = Store.open(database_url)
    found = set(store.incidents_by_public_ids(acked)["public_id"])
    stored_new = store.count_reports() - before
    store.close()
    assert found == set(acked)  # nothing acknowledged is lost
    assert len(acked) <= stored_new <= len(acked) + CLIENTS  # at most one in flight per client

    with server(database_url, tmp_path / "restart.log") as (base, _):
        health = requests.get(f"{base}/api/v1/health", timeout=10).json()
    assert health["counts"]["incidents"] == before + stored_new
