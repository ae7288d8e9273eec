"""Checkpoints of a SQLite file's WAL, off the writer's commits.

SQLite copies the WAL back into the database (a checkpoint) inside the commit
that grows the WAL past ``wal_autocheckpoint`` pages (``data.engine``: 40 MB).
Measured in the intake writer alone, that commit then held the write lock for
40 to 60 ms instead of 3 to 6, and every report in flight waited for it: the
tail of the intake's latency. The intake writer process therefore runs this
thread beside its commits: every ``PERIOD`` it makes a passive checkpoint on
a connection of its own, which copies what the WAL holds while the writer
goes on appending (SQLite lets a passive checkpoint run beside a writer; the
driver lets go of the GIL while it runs). The WAL then starts again from its
head long before it reaches the commits' own threshold, which stays as the
backstop should this thread fall behind or stop.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

log = logging.getLogger(__name__)

PERIOD = 0.5  # seconds between two checkpoints


class Checkpointer:
    """Passive checkpoints of the SQLite file ``path`` every ``period`` seconds."""

    def __init__(self, path: str, period: float = PERIOD):
        self.path, self.period = path, period
        self.done = 0  # checkpoints made
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)

    def start(self) -> Checkpointer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        conn = None
        try:
            while not self._stop.wait(self.period):
                try:
                    if conn is None:  # mode=rw: never make a database where there was none
                        conn = sqlite3.connect(
                            f"file:{self.path}?mode=rw", uri=True, isolation_level=None
                        )
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.done += 1
                except sqlite3.Error as exc:  # the commits' own checkpoints remain
                    log.warning("WAL checkpoint of %s failed: %s", self.path, exc)
        finally:
            if conn is not None:
                conn.close()


def checkpointer_for(database_url: str) -> Checkpointer | None:
    """A started checkpointer for a SQLite file's URL; None for anything else."""
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Checkpointer(url.database).start()
