"""`python app.py model train`, and serve training the models on a schedule."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from cli.model import RetrainSchedule
from data.store import Store
from scripts.app_process import app_process
from tests.servers import ROOT

NOW = dt.datetime.now(dt.UTC)


def run_app(*args: str, url: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "app.py"), *args],
        env={**os.environ, "DATABASE_URL": url, **env},
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )


def latest(url: str) -> dict | None:
    """The newest breach-risk run in the database at ``url``."""
    store = Store.open(url)
    try:
        return store.latest_model_run("breach_risk")
    finally:
        store.close()


def wait_for(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    """The demo county with 8,000 incidents up to now, in a SQLite file."""
    from data.demo_city import SCALES, generate_city

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'grid.db'}"
    store = Store.open(url)
    store.load_city(generate_city(3, replace(SCALES["county"], incidents=8000), now=NOW))
    store.close()
    return url


def test_model_train_prints_the_backtest_against_the_baseline(demo_url):
    result = run_app("model", "train", url=demo_url)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "breach_risk: ok, run 1," in out and "late), trained in" in out
    assert "beats the category baseline: AUC 0." in out and "Brier 0." in out
    run = latest(demo_url)
    assert run["status"] == "ok" and run["trained_by"] == f"cli:{getpass.getuser()}"
    assert run["metrics"]["auc"] > run["metrics"]["baseline_auc"]

    again = run_app("model", "train", "--if-older", "24", url=demo_url)
    assert again.returncode == 0, again.stderr
    assert "not trained again" in again.stdout
    assert latest(demo_url)["id"] == run["id"]


def test_a_thin_history_says_why_and_exits_0(tiny_url):
    result = run_app("model", "train", url=tiny_url)
    assert result.returncode == 0, result.stderr
    assert "breach_risk: thin" in result.stdout and "no figure rather than a guess" in result.stdout
    assert "at least 2,000 rows" in result.stdout
    assert latest(tiny_url)["status"] == "thin"


@pytest.mark.parametrize(
    "args, phrase",
    [
        (("model",), "the following arguments are required: action"),
        (("model", "fit"), "invalid choice: 'fit'"),
        (("model", "train", "--if-older", "0"), "--if-older takes a number of hours above 0"),
        (("model", "train", "--if-older", "soon"), "invalid float value: 'soon'"),
    ],
)
def test_bad_usage_is_a_clear_message_and_writes_nothing(tiny_url, args, phrase):
    result = run_app(*args, url=tiny_url)
    assert result.returncode == 2 and phrase in result.stderr
    assert "Traceback" not in result.stderr
    assert latest(tiny_url) is None


def test_the_schedule_runs_the_command_again_and_stops_it(tmp_path):
    marks = tmp_path / "marks"
    command = [sys.executable, "-c", f"open({str(marks)!r}, 'a').write('x')"]
    schedule = RetrainSchedule(24, command=command, check_every=0.1)
    schedule.start()
    try:
        assert wait_for(lambda: marks.exists() and len(marks.read_text()) >= 3)
    finally:
        schedule.stop()
    stopped = len(marks.read_text())
    time.sleep(0.5)
    assert len(marks.read_text()) == stopped  # no run after stop

    sleeping = RetrainSchedule(24, command=[sys.executable, "-c", "import time; time.sleep(60)"])
    sleeping.start()
    assert wait_for(lambda: sleeping._process is not None)
    started = time.monotonic()
    sleeping.stop()
    assert time.monotonic() - started < 5 and sleeping._process.poll() is not None

    off = RetrainSchedule(0, command=command)
    off.start()
    assert off._thread is None and off.runs == 0


def test_serve_trains_a_first_model_at_start(tiny_url, tmp_path):
    log = tmp_path / "server.log"
    env = {"DATABASE_URL": tiny_url, "GC_TEST_LOG": str(log)}
    with app_process(env, args=("serve", "--workers", "1", "--threads", "4")):
        assert wait_for(lambda: latest(tiny_url) is not None, timeout=60)
        # The child prints its summary once every model is trained (the first
        # run is saved before the next model trains): wait for it before stopping.
        assert wait_for(lambda: "breach_risk: thin" in log.read_text(), timeout=60)
    run = latest(tiny_url)
    assert run["status"] == "thin" and run["trained_by"] == "system"


def test_serve_with_the_schedule_off_trains_nothing(tiny_url, tmp_path):
    env = {
        "DATABASE_URL": tiny_url,
        "GC_TEST_LOG": str(tmp_path / "server.log"),
        "GC_MODEL_RETRAIN_HOURS": "0",
    }
    with app_process(env, args=("serve", "--workers", "1", "--threads", "4")):
        time.sleep(3)
    assert latest(tiny_url) is None
