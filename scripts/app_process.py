"""Run Grid Command as a user would (`python app.py serve`) and wait until it answers."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STOP_WAIT = 30  # s a server told to stop (SIGTERM) may take before it is killed


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def app_process(env: dict[str, str], args=("serve",), timeout: float = 240) -> Iterator[str]:
    """Run `python app.py serve` as a user would; yields its base URL when healthy."""
    port = free_port()
    full_env = {**os.environ, **env, "PORT": str(port), "HOST": "127.0.0.1"}
    log = open(Path(env.get("GC_TEST_LOG", os.devnull)), "w")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "app.py"), *args],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, timeout)
        url = full_env.get("DATABASE_URL")
        if args[:1] == ("serve",) and url and full_env.get("GC_MODEL_RETRAIN_HOURS") != "0":
            # serve trains the models once at start when there are none, in a
            # child that writes model runs: let it finish, so that what comes
            # next (a test that nothing changed, a benchmark) has the server alone.
            wait_for_models(url, process, timeout)
        yield base
    finally:
        try:
            stop(process)
        finally:
            log.close()


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, as a service manager stops it;
    one still running ``STOP_WAIT`` seconds later is killed and it is an error."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_WAIT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise RuntimeError(f"the server did not stop within {STOP_WAIT} s of SIGTERM") from None


def wait_until_healthy(base: str, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited early with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the server at {base} did not become healthy in {timeout} s")


def wait_for_models(
    database_url: str, process: subprocess.Popen | None = None, timeout: float = 600
) -> dict:
    """The newest run of every model (``services.predictions.TRAINERS``) once
    the server (``process``, if given, must stay up) has trained them all: serve
    trains them once at start when there are none; returns kind -> run."""
    from data.store import Store
    from services.predictions import TRAINERS

    deadline = time.monotonic() + timeout
    store = Store.open(database_url)
    try:
        while True:
            runs = {kind: store.latest_model_run(kind) for kind, _ in TRAINERS}
            if all(runs.values()):
                return runs
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited early with code {process.returncode}")
            if time.monotonic() > deadline:
                missing = [kind for kind, run in runs.items() if run is None]
                raise TimeoutError(f"the server trained no {', '.join(missing)} in {timeout} s")
            time.sleep(0.5)
    finally:
        store.close()


def run_small_flood(base: str, database_url: str, *extra: str):
    """`python app.py simulate flood` against the server at ``base``, small
    and fast (3 fields, 6 waterlogged streets, 14,400 simulated s per s)."""
    command = [sys.executable, str(ROOT / "app.py"), "simulate", "flood", "--url", base]
    command += ["--speed", "14400", "--fields", "3", "--water", "6", "--hours", "120", *extra]
    return subprocess.run(
        command,
        cwd=ROOT,
        env={"DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=600,
    )
