"""Group commit: many small writes from many threads, one transaction and one flush.

Every acknowledged report must survive a crash, so each commit waits for the
disk (SQLite ``synchronous=FULL``, PostgreSQL's WAL flush). Committed one by
one, concurrent reports queue for the writer lock and pay a flush each; the
flush, not the work, sets the rate. Here the request threads of a process hand
their writes to one writer thread, which runs whatever has queued up as one
transaction and commits once. A write that fails raises in its own caller
only: the batch is rolled back and run again with each write in a savepoint,
so the others still commit (savepoints cost two statements a write, so they
are only paid for when a write fails). Writes of one kind may also be run
together, e.g. one multi-row statement per table for a whole group of
reports (``run(..., together=...)``); the savepoint rerun still runs them
one by one. Callers return only after the commit,
so nothing is acknowledged before it is durable, and a crash before the commit
loses only unanswered writes.

A process forked after the writer started (a server worker) starts its own.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import Connection

MAX_BATCH = 64  # writes per transaction; bounds the latency a batch adds to its first write

Work = Callable[[Connection], Any]
# Runs several writes of one kind at once: their results, in their order.
Together = Callable[[Connection, list], list]


class GroupCommitter:
    """Run ``work(conn)`` callables in shared transactions made by ``transaction()``."""

    def __init__(self, transaction: Callable[[], AbstractContextManager[Connection]]):
        self._transaction = transaction
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._pid: int | None = None

    def run(self, work: Work, *, together: Together | None = None) -> Any:
        """Run ``work`` in the next group transaction; its result once committed.

        Raises what ``work`` raised (nothing of it is stored), or the commit's
        error (nothing of the whole group is stored). ``work`` may run twice,
        rolled back in between, when another write of its group fails: it must
        do nothing but its statements.

        ``together(conn, works)``, if given, does what ``work(conn)`` does for
        each of ``works`` (queued one after another with an equal
        ``together``) at once and returns their results in order; if it
        raises, each is run again alone, in its own savepoint, as ``work``.
        """
        self._ensure_writer()
        future: Future = Future()
        self._queue.put((work, future, together))
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

    def _write_loop(self) -> None:
        while (first := self._queue.get()) is not None:
            self.commit([first], self._take_queued)

    def commit(self, batch: list[_Item], take_more: Callable[[list[_Item]], None] | None = None):
        """Run ``batch``'s writes in one transaction and settle each one's future.

        ``take_more(batch)``, if given, is called once the transaction holds
        the write lock, to add the writes that queued meanwhile (up to
        MAX_BATCH in all). For a writer of its own (``data.intake_writer``);
        ``run`` calls it from this committer's thread.
        """
        try:
            results = self._run_plainly(batch, take_more)
            if results is None:  # a write failed: again, each write in its own savepoint
                results = self._run_isolated(batch)
        except BaseException as exc:  # the commit failed: nothing of the batch is stored
            for _, future, _ in batch:
                future.set_exception(exc)
            return
        for future, value, error in results:
            if error is None:
                future.set_result(value)
            else:
                future.set_exception(error)

    def _take_queued(self, batch: list[_Item]) -> None:
        """Add to ``batch`` the writes queued so far, up to MAX_BATCH in all."""
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is None:
                self._queue.put(None)  # stop after this batch
                return
            batch.append(item)

    def _run_plainly(self, batch: list[_Item], take_more) -> list[_Result] | None:
        """The batch in one transaction without savepoints, which cost two
        statements a write; None, with nothing stored, if a write of several failed.

        The batch is filled up once the transaction holds the write lock: the
        writes that queued while this writer waited for the lock (another
        worker's writer held it) go in with it, and share its flush.
        """
        failed: list[BaseException] = []
        try:
            with self._transaction() as conn:
                if take_more is not None:
                    take_more(batch)
                values: list = []
                for together, run in itertools.groupby(batch, key=lambda item: item[2]):
                    works = [work for work, _, _ in run]
                    try:
                        if together is None or len(works) == 1:
                            values.extend(work(conn) for work in works)
                        else:
                            done = together(conn, works)
                            if len(done) != len(works):
                                raise RuntimeError(
                                    "a together run did not return one result per write"
                                )
                            values.extend(done)
                    except BaseException as exc:
                        failed.append(exc)
                        raise _WriteFailed from exc  # rolls the whole batch back
        except _WriteFailed:
            if len(batch) == 1:
                return [(batch[0][1], None, failed[0])]
            return None
        return [(future, value, None) for (_, future, _), value in zip(batch, values, strict=True)]

    def _run_isolated(self, batch: list[_Item]) -> list[_Result]:
        """The batch in one transaction, each write in a savepoint: one that
        fails rolls back alone and the others commit."""
        results: list[_Result] = []
        with self._transaction() as conn:
            for work, future, _ in batch:
                savepoint = conn.begin_nested()
                try:
                    value = work(conn)
                except BaseException as exc:  # handed to its caller
                    savepoint.rollback()
                    results.append((future, None, exc))
                else:
                    savepoint.commit()
                    results.append((future, value, None))
        return results


class _WriteFailed(Exception):
    """A write of a batch run without savepoints failed."""


_Item = tuple[Work, Future, Together | None]
_Result = tuple[Future, Any, BaseException | None]
