"""`python app.py notify` and the worker `serve` keeps beside it, as real
processes delivering to a robot on 127.0.0.1: one round with --once, a worker
killed and started again, and a server whose stop leaves no worker behind."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cli.notify import NotifierProcess
from data.store import Store
from data.store_outbox import enqueue
from scripts.app_process import app_process
from tests.http_receivers import OK, receiving

ROOT = Path(__file__).resolve().parent.parent


def _desk_notice(url: str, text: str) -> int:
    store = Store.open(url)
    try:
        with store._transaction() as conn:
            return enqueue(
                conn,
                kind="decline",
                recipient_kind="desk",
                recipient=None,
                incident_id=None,
                payload={"text_zh": text, "text_en": text},
                at=dt.datetime.now(dt.UTC),
            )
    finally:
        store.close()


def _states(url: str) -> list[str]:
    store = Store.open(url)
    try:
        return [e["state"] for e in store.outbox_entries()]
    finally:
        store.close()


def _wait(condition, timeout=30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def _workers_of(database_url: str) -> list[int]:
    """Running `app.py notify` processes whose DATABASE_URL is ``database_url``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            environ = (entry / "environ").read_bytes().split(b"\0")
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        mine = f"DATABASE_URL={database_url}".encode() in environ
        if b"notify" in argv and mine and state != "Z":  # a zombie has stopped already
            found.append(int(entry.name))
    return found


def test_notify_once_delivers_what_is_due_and_says_so(tiny_url):
    _desk_notice(tiny_url, "一次送达")
    with receiving(OK) as robot:
        done = subprocess.run(
            [sys.executable, str(ROOT / "app.py"), "notify", "--once"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": tiny_url, "GC_NOTIFY_WEBHOOK": robot.url},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stderr
    assert "1 due: 1 sent" in done.stdout
    assert len(robot.requests) == 1
    assert _states(tiny_url) == ["sent"]


def test_a_worker_that_dies_is_started_again_and_stops_with_the_server(tiny_url):
    with receiving(OK) as robot:
        env = {**os.environ, "DATABASE_URL": tiny_url, "GC_NOTIFY_WEBHOOK": robot.url}
        notifier = NotifierProcess(env=env, restart_after=0.2)
        notifier.start()
        try:
            _desk_notice(tiny_url, "第一条")
            # Killed once it has recorded the send: killed between the robot's
            # answer and that record, the notice would stay claimed until its
            # lease runs out and then go again (at least once, by design).
            assert _wait(lambda: len(robot.requests) == 1 and _states(tiny_url) == ["sent"])
            first = notifier.pid
            os.kill(first, signal.SIGKILL)
            assert _wait(lambda: notifier.pid != first)
            _desk_notice(tiny_url, "第二条")
            assert _wait(lambda: len(robot.requests) == 2)
        finally:
            notifier.stop()
        assert _workers_of(tiny_url) == []
    assert _states(tiny_url) == ["sent", "sent"]


def test_serve_runs_the_worker_and_leaves_none_behind(tiny_url, tmp_path):
    _desk_notice(tiny_url, "服务器送达")
    with receiving(OK) as robot:
        env = {
            "DATABASE_URL": tiny_url,
            "GC_NOTIFY_WEBHOOK": robot.url,
            "GC_TEST_LOG": str(tmp_path / "server.log"),
        }
        with app_process(env, args=("serve", "--workers", "1", "--threads", "4")):
            assert _wait(lambda: len(robot.requests) == 1, timeout=60)
            assert len(_workers_of(tiny_url)) == 1
            stopping = time.monotonic()
        # Regression: each gunicorn worker ran the master's clean-up too and waited
        # 15 s for children not its own (then killed the intake writer).
        assert time.monotonic() - stopping < 10
        assert _wait(lambda: _workers_of(tiny_url) == [], timeout=30)
    assert _states(tiny_url) == ["sent"]
