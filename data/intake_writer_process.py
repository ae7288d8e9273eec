"""The intake writer process seen from the server's master: start it, start it
again if it dies, stop it with the server (``data.intake_writer`` is the writer)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from data.child_process import stop_child
from data.intake_writer import DIRECTORY_PREFIX, RETRY_AFTER, STOP_GRACE


class WriterProcess:
    """The writer, started (and started again if it dies) by the server's master."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.directory = tempfile.mkdtemp(prefix=DIRECTORY_PREFIX)  # 0700: only this user
        self.path = os.path.join(self.directory, "writer.sock")
        self._process: subprocess.Popen | None = None
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        """The writer's process id now (it changes when the writer is started again)."""
        return self._process.pid if self._process is not None else None

    def start(self, ready_within: float = 30.0) -> bool:
        """Start the writer; True once it listens (else the workers write themselves)."""
        self._launch()
        self._watcher = threading.Thread(target=self._watch, name="intake-writer", daemon=True)
        self._watcher.start()
        deadline = time.monotonic() + ready_within
        while time.monotonic() < deadline:
            if os.path.exists(self.path):
                return True
            if self._process is not None and self._process.poll() is not None:
                break
            time.sleep(0.05)
        return False

    def stop(self, wait: float = STOP_GRACE + 5) -> None:
        self._stopping.set()
        stop_child(self._process, wait)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        with contextlib.suppress(OSError):
            os.rmdir(self.directory)

    def _launch(self) -> None:
        root = Path(__file__).resolve().parent.parent
        self._process = subprocess.Popen(
            [sys.executable, "-m", "data.intake_writer", self.database_url, self.path], cwd=root
        )

    def _watch(self) -> None:
        """Start the writer again if it died. One that stopped in order (a signal
        to the server's whole process group, as Ctrl+C sends) removed its socket
        and is left stopped. Its exit status cannot tell: gunicorn's master
        reaps every child of its own."""
        while not self._stopping.is_set():
            process = self._process
            if process is not None:
                process.wait()
            if self._stopping.wait(RETRY_AFTER) or not os.path.exists(self.path):
                return
            print("the intake writer died; starting it again", file=sys.stderr, flush=True)
            self._launch()
