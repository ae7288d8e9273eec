"""Group commit: many small writes from many threads, one transaction and one flush.

Every acknowledged report must survive a crash, so each commit waits for the
disk (SQLite ``synchronous=FULL``, PostgreSQL's WAL flush). Committed one by
one, concurrent reports queue for the writer lock and pay a flush each; the
flush, not the work, sets the rate. Here the request threads of a process hand
their writes to one writer thread, which runs whatever has queued up as one
transaction, each write in its own savepoint, and commits once. A write that
fails rolls back to its savepoint and raises in its own caller only; the others
still commit. Callers return only after the commit, so nothing is acknowledged
before it is durable, and a crash before the commit loses only unanswered
writes.

A process forked after the writer started (a server worker) starts its own.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection

MAX_BATCH = 64  # writes per transaction; bounds the latency a batch adds to its first write

Work = Callable[[Connection], Any]


class GroupCommitter:
    """Run ``work(conn)`` callables in shared transactions made by ``transaction()``."""

    def __init__(self, transaction: Callable[[], AbstractContextManager[Connection]]):
        self._transaction = transaction
        self._queue: queue.SimpleQueue[tuple[Work, Future] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def run(self, work: Work) -> Any:
        """Run ``work`` in the next group transaction; its result once committed.

        Raises what ``work`` raised (nothing of it is stored), or the commit's
        error (nothing of the whole group is stored).
        """
        self._ensure_writer()
        future: Future = Future()
        self._queue.put((work, future))
        return future.result()

    def close(self) -> None:
        """Stop the writer thread once the writes queued so far are done."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None and self._pid == os.getpid():
            self._queue.put(None)
            thread.join(timeout=30)

    def _ensure_writer(self) -> None:
        with self._lock:
            if self._thread is None or self._pid != os.getpid() or not self._thread.is_alive():
                if self._pid != os.getpid():
                    self._queue = queue.SimpleQueue()  # a forked child owns nothing queued
                self._pid = os.getpid()
                self._thread = threading.Thread(
                    target=self._write_loop, name="group-commit", daemon=True
                )
                self._thread.start()

    def _batches(self) -> Iterator[list[tuple[Work, Future]]]:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(item)
            yield batch

    def _write_loop(self) -> None:
        for batch in self._batches():
            results: list[tuple[Future, Any, BaseException | None]] = []
            try:
                with self._transaction() as conn:
                    for work, future in batch:
                        savepoint = conn.begin_nested()
                        try:
                            value = work(conn)
                        except BaseException as exc:  # handed to its caller below
                            savepoint.rollback()
                            results.append((future, None, exc))
                        else:
                            savepoint.commit()
                            results.append((future, value, None))
            except BaseException as exc:  # the commit failed: nothing of the batch is stored
                for _, future in batch:
                    future.set_exception(exc)
                continue
            for future, value, error in results:
                if error is None:
                    future.set_result(value)
                else:
                    future.set_exception(error)
