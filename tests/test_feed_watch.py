"""Live screens hear at once that the change feed moved (api.feed_watch, GET /api/v1/changes/wait)."""

from __future__ import annotations

import threading
import time

from api.feed_watch import FeedWatch, watch_of
from app import create_app
from settings import Settings

# One report, as tests/tiny_city.py places them (grid A-1 of town 370281001).
NEW_REPORT = dict(public_id="N1", channel="app", category="garbage", description="垃圾")
NEW_REPORT |= dict(lon=120.001, lat=36.001, grid_code="A-1", town_code="370281001", priority=3)


def stopped(watch: FeedWatch, within: float = 3.0) -> bool:
    """True once the watcher thread has stopped (before the test's store closes)."""
    deadline = time.monotonic() + within
    while watch.thread is not None and time.monotonic() < deadline:
        time.sleep(0.02)
    return watch.thread is None and watch.waiters == 0


def _until(condition, within: float = 5.0) -> bool:
    deadline = time.monotonic() + within
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_a_wait_answers_at_once_when_the_feed_is_already_past(city_store):
    latest = city_store.latest_seq()
    watch = FeedWatch(city_store)
    started = time.monotonic()
    assert watch.wait(latest - 1, timeout=5) == (latest, True)
    assert watch.wait(-1, timeout=5) == (latest, True)
    assert time.monotonic() - started < 1
    assert watch.thread is None  # nobody waited: no watcher started


def test_a_waiter_wakes_within_a_fraction_of_a_second_of_a_write(city_store):
    watch = FeedWatch(city_store, period=0.05)
    latest = city_store.latest_seq()
    answers: list = []
    waiter = threading.Thread(
        target=lambda: answers.append((watch.wait(latest, timeout=20), time.monotonic()))
    )
    waiter.start()
    time.sleep(0.3)
    assert answers == [] and watch.waiters == 1  # still waiting: nothing was written
    wrote = time.monotonic()
    city_store.add_incident(NEW_REPORT, actor="test")  # one write: audit and feed
    waiter.join(timeout=10)
    (seq, waited), heard = answers[0]
    assert waited and seq > latest and seq == city_store.latest_seq()
    assert heard - wrote < 1.0  # not the 20 s timeout
    assert stopped(watch)  # the watcher stops with its last waiter


def test_a_wait_times_out_unchanged_and_too_many_waiters_are_told_busy(city_store):
    watch = FeedWatch(city_store, period=0.05, max_waiters=2)
    latest = city_store.latest_seq()
    answers: list = []
    waiters = [
        threading.Thread(target=lambda: answers.append(watch.wait(latest, timeout=1)))
        for _ in range(2)
    ]
    for waiter in waiters:
        waiter.start()
    deadline = time.monotonic() + 5
    while watch.waiters < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watch.wait(latest, timeout=1) == (latest, False)  # a third: busy, at once
    for waiter in waiters:
        waiter.join(timeout=10)
    assert answers == [(latest, True), (latest, True)]  # nothing written: the same position
    assert stopped(watch)


def test_the_wait_route_answers_the_position_and_checks_its_parameters(tiny_url):
    app = create_app(Settings.from_env({"DATABASE_URL": tiny_url}))
    store = app.server.extensions["gridcommand.store"]
    key = store.create_api_key("wall", actor="test", scopes="display")
    client = app.server.test_client()
    latest = store.latest_seq()
    headers = {"X-API-Key": key}
    now = client.get("/api/v1/changes/wait", headers=headers)
    assert now.status_code == 200 and now.json == {"seq": latest, "moved": True, "busy": False}
    assert now.headers["Cache-Control"] == "no-store"
    started = time.monotonic()
    same = client.get(f"/api/v1/changes/wait?after={latest}&wait=1", headers=headers)
    assert same.json == {"seq": latest, "moved": False, "busy": False}
    assert 0.9 < time.monotonic() - started < 5
    assert client.get("/api/v1/changes/wait?wait=99", headers=headers).status_code == 400
    assert client.get("/api/v1/changes/wait").status_code in (401, 403)  # nobody signed in
    assert stopped(watch_of(store))
    store.close()


def test_the_walls_listener_ticks_the_walls_own_refresh_interval():
    """assets/gc_live.js makes the wall's dcc.Interval tick: it must name it."""
    from pathlib import Path

    from dashboard import ids
    from dashboard.command_map_layout import layout

    script = (Path(__file__).parent.parent / "dashboard/assets/gc_live.js").read_text()
    assert f'const CHECK = "{ids.REFRESH}";' in script
    assert "eval(" not in script and "new Function" not in script  # the strict CSP
    assert ids.REFRESH in str(layout("zh"))


def test_gc_live_waiters_bounds_the_waits_and_serve_keeps_threads_free(tiny_url, capsys):
    from cli.serve import THREADS_KEPT, _fit_live_waiters

    app = create_app(Settings.from_env({"DATABASE_URL": tiny_url, "GC_LIVE_WAITERS": "0"}))
    store = app.server.extensions["gridcommand.store"]
    try:
        key = store.create_api_key("wall", actor="test", scopes="display")
        client = app.server.test_client()
        latest = store.latest_seq()
        started = time.monotonic()
        answer = client.get(
            f"/api/v1/changes/wait?after={latest}&wait=5", headers={"X-API-Key": key}
        )
        assert answer.status_code == 200 and answer.get_json()["busy"] is True  # none may wait
        assert time.monotonic() - started < 2
    finally:
        store.close()
    settings = Settings.from_env({"GC_LIVE_WAITERS": "10"})
    assert _fit_live_waiters(settings, 16).live_waiters == 10
    assert _fit_live_waiters(settings, 8).live_waiters == 8 - THREADS_KEPT
    assert "lowered to 2 for --threads 8" in capsys.readouterr().out
    assert _fit_live_waiters(settings, 4).live_waiters == 0


def test_a_worker_told_to_stop_answers_every_wait_at_once(city_store, monkeypatch):
    import api.feed_watch as feed_watch

    monkeypatch.setattr(feed_watch, "_STOPPING", threading.Event())  # this test's alone
    watch = FeedWatch(city_store, period=0.05)
    latest = city_store.latest_seq()
    answers: list = []
    waiter = threading.Thread(target=lambda: answers.append(watch.wait(latest, timeout=20)))
    waiter.start()
    assert _until(lambda: watch.waiters == 1)
    feed_watch.stop_waiting()
    waiter.join(timeout=5)
    assert answers == [(latest, True)]  # unchanged, answered long before its 20 s
    assert watch.wait(latest, timeout=20) == (latest, True)  # a new wait: at once
    assert stopped(watch)


def test_serve_stops_at_once_while_screens_wait_on_the_feed(tiny_url, tmp_path):
    """Regression: gunicorn lets a stopping worker finish its requests, and each
    wall's long wait (up to 25 s) held SIGTERM's stop that long; with the
    writer's and the notifier's stops after it, past a service manager's patience."""
    import json
    import urllib.request

    from data.store import Store
    from scripts.app_process import app_process

    store = Store.open(tiny_url)
    key = store.create_api_key("wall", actor="test", scopes="display")
    latest = store.latest_seq()
    store.close()
    env = {"DATABASE_URL": tiny_url, "GC_MODEL_RETRAIN_HOURS": "0"}
    env["GC_TEST_LOG"] = str(tmp_path / "server.log")
    answers: list = []

    def wait_on_the_feed(base):
        url = f"{base}/api/v1/changes/wait?after={latest}&wait=25"
        request = urllib.request.Request(url, headers={"X-API-Key": key})
        with urllib.request.urlopen(request, timeout=60) as response:
            answers.append((json.load(response), time.monotonic()))

    with app_process(env, args=("serve", "--workers", "1", "--threads", "16")) as base:
        waiters = [threading.Thread(target=wait_on_the_feed, args=(base,)) for _ in range(3)]
        for waiter in waiters:
            waiter.start()
        time.sleep(1.5)  # the waits are held in the worker
        assert answers == []
        stopping = time.monotonic()
    stopped_after = time.monotonic() - stopping
    for waiter in waiters:
        waiter.join(timeout=30)
    assert [answer for answer, _ in answers] == [dict(seq=latest, moved=False, busy=False)] * 3
    assert all(at - stopping < 5 for _, at in answers)  # not at their 25 s
    assert stopped_after < 15
