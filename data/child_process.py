"""Stopping the server's helper processes: the intake writer, the notification
worker, model training. Each is a child of the server's master and is stopped
the same way."""

from __future__ import annotations

import contextlib
import subprocess


def stop_child(process: subprocess.Popen | None, wait: float) -> None:
    """Ask ``process`` to stop (SIGTERM); kill it if it has not within ``wait``
    seconds. Nothing happens to a process that is gone already, or to None."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(wait)
    except subprocess.TimeoutExpired:
        process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait)
