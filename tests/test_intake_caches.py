"""Issue 16, item 13: the intake reads nothing per report, yet stays correct.

The intake was three times slower than its README said: every report read its
API key and the geometry version from the database, each in a transaction of
its own. Now a worker remembers both, and these tests hold it to what that may
cost: a key revoked elsewhere is refused within ``KEY_CACHE_SECONDS`` and never
after, and a report posted after an import by another process lands in the new
grid at once. Each runs a real HTTP server on SQLite and PostgreSQL; the other
worker is a second store on the same database.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests
from sqlalchemy import event

from app import create_app
from data.store import Store
from data.store_keys import KEY_CACHE_SECONDS
from settings import Settings
from tests.servers import thread_server
from tests.test_import_apply import REDRAWN, apply_file, grids_file
from tests.tiny_city import tiny_city

IN_A2 = {"lat": "36.010", "long": "120.015"}  # grid A-2; after the redrawing, A-3


@pytest.fixture
def served(database_url):
    app = create_app(Settings.from_env({"DATABASE_URL": database_url}))
    store = app.server.extensions["gridcommand.store"]
    store.load_city(tiny_city())
    key = store.create_api_key("小程序", actor="test", scopes="open311")
    other = Store.open(database_url)  # another worker, or the command line
    with thread_server(app.server) as base:
        yield {
            "url": f"{base}/open311/v2/requests.json",
            "key": key,
            "store": store,
            "other": other,
        }
    other.close()
    store.close()


def post(served, **fields) -> requests.Response:
    data = {
        "api_key": served["key"],
        "service_code": "garbage",
        "description": "垃圾未清运",
        **IN_A2,
        **fields,
    }
    return requests.post(served["url"], data=data, timeout=30)


def grid_of(store, answer: requests.Response) -> str:
    assert answer.status_code == 200, answer.text
    public_id = answer.json()[0]["service_request_id"]
    return store.incidents(public_ids=[public_id])["grid_code"].iloc[0]


def test_request_threads_run_no_sql_and_the_writer_checks_once_per_transaction(served):
    """The regression: each report read its key and the geometry version (two
    transactions of their own) before its write."""
    for _ in range(3):
        assert post(served).status_code == 200  # the worker learns its key and boundaries
    seen: list[tuple[str, str]] = []

    def record(_conn, _cursor, statement, *_):
        seen.append((threading.current_thread().name, statement))

    engine = served["store"].engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(5):
            assert post(served).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    outside_writer = [s for thread, s in seen if thread != "group-commit"]
    assert outside_writer == [], "a report's request thread must not touch the database"
    checks = sum("max(change_feed.seq)" in s for _, s in seen)
    inserts = sum(s.startswith("INSERT INTO incidents") for _, s in seen)
    assert inserts == 5 and 1 <= checks <= inserts  # one per transaction, at most


def test_a_new_geometry_is_used_at_once_after_another_worker_imports(served, tmp_path):
    assert grid_of(served["store"], post(served)) == "A-2"
    apply_file(served["other"], "grids", grids_file(tmp_path, REDRAWN))
    assert grid_of(served["store"], post(served)) == "A-3"  # not a moment later: at once


def test_a_key_revoked_elsewhere_is_refused_within_the_bound_and_never_after(served):
    assert post(served).status_code == 200  # the worker now remembers the key
    served["other"].revoke_api_keys("小程序", actor="cli:test")
    revoked = time.monotonic()
    answers: list[tuple[float, int]] = []
    while time.monotonic() < revoked + KEY_CACHE_SECONDS + 1.5:
        sent = time.monotonic()
        answers.append((sent - revoked, post(served).status_code))
        time.sleep(0.1)
    assert {status for _, status in answers} <= {200, 403}
    accepted_late = [at for at, status in answers if status == 200 and at >= KEY_CACHE_SECONDS]
    assert accepted_late == [], f"accepted {accepted_late} s after revocation"
    refused = [at for at, status in answers if status == 403]
    assert any(at >= KEY_CACHE_SECONDS for at in refused), "no post was sent after the bound"
    after_first_refusal = [status for at, status in answers if at >= refused[0]]
    assert set(after_first_refusal) == {403}, "once refused, refused for good"
