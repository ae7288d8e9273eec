"""`python app.py notify`: the delivery worker of notifications, and the child
process `serve` keeps it in (started with the server, started again if it
dies, stopped with the server).

Several workers may run against one database (a second host, say): they
claim disjoint notifications (``Store.due_notifications``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from data.child_process import stop_child
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RESTART_AFTER = 5.0  # s before a worker that died is started again
STOP_WAIT = 15.0  # s a stopping worker has to finish the sends under way


def notify_command(settings: Settings, args) -> None:
    """Deliver until SIGTERM or SIGINT (Ctrl+C); with ``--once`` one round and the scans."""
    from data.store import Store
    from services.notification_transports import Transports
    from services.notifications import deliver_once, run_forever, scan

    store = Store.open(settings.database_url, sla_policy=settings.sla_policy)
    try:
        if getattr(args, "once", False):
            written = scan(store, settings.ack_minutes)
            outcome = deliver_once(store, Transports.from_settings(settings))
            print(
                f"{written} notices found by the scans; {outcome.claimed} due: "
                f"{outcome.sent} sent, {outcome.retrying} to retry, {outcome.failed} failed",
                flush=True,
            )
            return
        stop = threading.Event()

        def stop_now(_signum, _frame):
            stop.set()

        signal.signal(signal.SIGTERM, stop_now)
        signal.signal(signal.SIGINT, stop_now)
        print(f"notify: delivering notifications ({store.backend})", file=sys.stderr, flush=True)
        run_forever(store, settings, stop)
        if getattr(args, "stopped_mark", None):
            # Told to stop, not dead: the server's watcher leaves it stopped.
            Path(args.stopped_mark).touch()
    finally:
        store.close()


class NotifierProcess:
    """``python app.py notify`` as a child of the server's master."""

    def __init__(
        self,
        command: list[str] | None = None,
        *,
        env: dict[str, str] | None = None,
        restart_after: float = RESTART_AFTER,
    ):
        self.directory = tempfile.mkdtemp(prefix="gridcommand-notify-")  # 0700
        self.stopped_mark = os.path.join(self.directory, "stopped")
        self.command = command or [sys.executable, str(ROOT / "app.py"), "notify"]
        self.command = [*self.command, "--stopped-mark", self.stopped_mark]
        self.env = env  # None: this process's environment, hence its settings
        self.restart_after = restart_after
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()  # a restart and a stop never cross
        self._watcher: threading.Thread | None = None
        self._owner = os.getpid()

    @property
    def pid(self) -> int | None:
        """The worker's process id now (it changes when it is started again)."""
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        self._owner = os.getpid()
        with self._lock:
            self._process = subprocess.Popen(self.command, cwd=ROOT, env=self.env)
        self._watcher = threading.Thread(target=self._watch, name="notifier", daemon=True)
        self._watcher.start()

    def stop(self, wait: float = STOP_WAIT) -> None:
        if os.getpid() != self._owner:
            return  # a forked copy (a gunicorn worker): the worker is not its child
        self._stopping.set()
        with self._lock:
            stop_child(self._process, wait)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.stopped_mark)
        with contextlib.suppress(OSError):
            os.rmdir(self.directory)

    def _watch(self) -> None:
        """Start the worker again if it died while the server runs. One that
        stopped in order (Ctrl+C or SIGTERM to the server's whole process
        group) left its mark and is left stopped: the server is stopping too.
        Its exit status cannot tell: gunicorn's master reaps every child of its own."""
        while not self._stopping.is_set():
            process = self._process
            if process is not None:
                process.wait()
            if self._stopping.wait(self.restart_after) or os.path.exists(self.stopped_mark):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                print(
                    "the notification worker died; starting it again", file=sys.stderr, flush=True
                )
                self._process = subprocess.Popen(self.command, cwd=ROOT, env=self.env)
