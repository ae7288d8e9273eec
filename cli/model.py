"""`python app.py model train`: the models learnt from the history (breach risk,
and whatever else ``services.predictions.TRAINERS`` holds), trained now; and the
schedule on which `serve` trains them again while it runs.

The schedule runs the command in a child process (``--if-older HOURS
--background``): it trains only when the newest run is older than that (or
there is none, so a new server trains once at start), at a low CPU priority so
that it never slows the screens, and never in the server's own processes.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
import subprocess
import sys
import threading
from pathlib import Path

from data.child_process import stop_child
from domain.errors import InvalidInput
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
STOP_WAIT = 10.0  # s a training child has to stop before it is killed
CHECK_EVERY_MAX = 3600.0  # s: the schedule looks at least this often


def model_command(settings: Settings, args) -> int:
    """`python app.py model train [--if-older HOURS] [--background]`."""
    from data.store import Store
    from services.predictions import TRAINERS, train

    hours = getattr(args, "if_older", None)
    if hours is not None and not hours > 0:
        raise InvalidInput(f"--if-older takes a number of hours above 0, not {hours:g}")
    if getattr(args, "background", False):
        os.nice(10)
    store = Store.open(settings.database_url, sla_policy=settings.sla_policy)
    try:
        now = dt.datetime.now(dt.UTC)
        if hours is not None:
            fresh = _fresh_runs(store, [kind for kind, _ in TRAINERS], now, hours)
            if fresh:
                print(f"models trained within {hours:g} h ({fresh}): not trained again", flush=True)
                return 0
        actor = "system" if hours is not None else f"cli:{getpass.getuser()}"
        print(f"training on the history in {store.backend}…", flush=True)
        summary = train(store, now, actor=actor)
    finally:
        store.close()
    print(f"read {summary['history_rows']:,} incidents in {summary['read_s']:.1f} s")
    for kind, _ in TRAINERS:
        print(describe(kind, summary[kind]))
    return 0


def _fresh_runs(store, kinds: list[str], now: dt.datetime, hours: float) -> str:
    """When every kind's newest run is younger than ``hours``: their times, else ''."""
    times = []
    for kind in kinds:
        run = store.latest_model_run(kind)
        if run is None or now - run["trained_at"] > dt.timedelta(hours=hours):
            return ""
        times.append(f"{kind} {run['trained_at']:%Y-%m-%d %H:%M} UTC")
    return ", ".join(times)


def describe(kind: str, run: dict) -> str:
    """What one trainer made: its status, its size and time, and its note."""
    metrics = run.get("metrics", {})
    head = f"{kind}: {run['status']}, run {run['run_id']}, {run['rows']:,} rows"
    if "incidents" in metrics:
        head += f" of {metrics['incidents']:,} incidents ({metrics.get('breaches', 0):,} late)"
    head += f", trained in {run['seconds']:.1f} s"
    if run["status"] != "ok":
        head += " — not shown (no figure rather than a guess)"
    return f"{head}\n  {run['note']}" if run.get("note") else head


class RetrainSchedule:
    """``python app.py model train --if-older HOURS --background`` now and then,
    as a child of the server's master, while the server runs.

    ``hours`` 0 turns the schedule off. The child is started at once (a first
    model when there is none) and then every ``check_every`` seconds (a quarter
    of ``hours``, an hour at most); it trains only when the newest run is older
    than ``hours``, so several servers on one database train about once a period.
    """

    def __init__(
        self,
        hours: float,
        *,
        command: list[str] | None = None,
        env: dict[str, str] | None = None,
        check_every: float | None = None,
    ):
        self.hours = hours
        self.check_every = check_every or min(CHECK_EVERY_MAX, hours * 3600 / 4)
        train = [sys.executable, str(ROOT / "app.py"), "model", "train"]
        self.command = command or [*train, "--if-older", f"{hours:g}", "--background"]
        self.env = env  # None: this process's environment, hence its settings
        self.runs = 0  # children started
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a start and a stop never cross
        self._thread: threading.Thread | None = None
        self._owner = os.getpid()

    def start(self) -> None:
        if self.hours <= 0:
            return
        self._owner = os.getpid()
        self._thread = threading.Thread(target=self._run, name="model-retrain", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self._process = subprocess.Popen(self.command, cwd=ROOT, env=self.env)
                except OSError as error:
                    print(f"model training did not start: {error}", file=sys.stderr, flush=True)
                    self._process = None
                self.runs += 1
            if self._process is not None:
                self._process.wait()
            if self._stopping.wait(self.check_every):
                return

    def stop(self, wait: float = STOP_WAIT) -> None:
        if os.getpid() != self._owner:
            return  # a forked copy (a gunicorn worker): the child is not its own
        self._stopping.set()
        with self._lock:
            stop_child(self._process, wait)
        if self._thread is not None:
            self._thread.join(wait)
