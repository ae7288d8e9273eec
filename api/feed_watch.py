"""Waiting for the change feed to move: one watcher per worker, many waiters.

A wall that waits here hears of a new report within ``PERIOD`` seconds
instead of at its next check (``GC_REFRESH_S``). One thread per worker
process reads the feed's newest position every ``PERIOD`` seconds while
anyone waits (a max over an index: well under a millisecond), and wakes the
waiters when it moves; no thread runs while nobody waits. Each waiter holds
one of the worker's threads, so at most ``MAX_WAITERS`` wait at once per
worker: the others are answered at once as ``busy`` and keep to their checks,
and the worker keeps threads for the screens' callbacks.

A worker told to stop (``stop_waiting``, from serve's SIGTERM) answers every
wait at once: gunicorn lets a stopping worker finish the requests under way,
and waits of up to ``MAX_WAIT_S`` each held the server's stop that long.
"""

from __future__ import annotations

import os
import threading
import time

PERIOD = 0.1  # seconds between two reads of the feed's position while someone waits
MAX_WAITERS = 10  # per worker process, of serve's 16 threads: GC_LIVE_WAITERS
LIVE_WAITERS = "GC_LIVE_WAITERS"  # the Flask config key of the setting
MAX_WAIT_S = 25  # a wait answers after this at the latest, moved or not
_STOPPING = threading.Event()  # set once in a stopping worker: no wait holds it


class FeedWatch:
    """Wakes the waiters of one worker when the store's change feed moves."""

    def __init__(self, store, period: float = PERIOD, max_waiters: int = MAX_WAITERS):
        self.store, self.period, self.max_waiters = store, period, max_waiters
        self.cond = threading.Condition()
        self.seq: int | None = None  # the position last read by the watcher
        self.waiters = 0
        self.thread: threading.Thread | None = None
        self.pid = os.getpid()

    def wait(self, after: int, timeout: float) -> tuple[int, bool]:
        """The feed's position once it is past ``after``, or when ``timeout``
        seconds have passed; and False when too many wait here already (the
        position is then the current one, answered at once)."""
        seq = self.store.latest_seq()
        if seq > after or timeout <= 0 or _STOPPING.is_set():
            return seq, True
        with self.cond:
            if self.waiters >= self.max_waiters:
                return seq, False
            self.waiters += 1
            self._watch()
            deadline = time.monotonic() + timeout
            try:
                while True:
                    seq = self.seq if self.seq is not None else seq
                    left = deadline - time.monotonic()
                    if seq > after or left <= 0 or _STOPPING.is_set():
                        return seq, True
                    self.cond.wait(left)
            finally:
                self.waiters -= 1

    def _watch(self) -> None:
        """Start the watcher thread unless it runs (the lock is held)."""
        if os.getpid() != self.pid:  # a forked worker: the parent's thread is not here
            self.pid, self.thread, self.seq = os.getpid(), None, None
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._run, name="feed-watch", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        while True:
            with self.cond:
                if self.waiters == 0:  # the last waiter left: stop reading
                    self.thread, self.seq = None, None
                    return
            try:
                seq = self.store.latest_seq()
            except Exception:  # the database is away for a moment: the waits time out
                seq = None
            with self.cond:
                if seq is not None and seq != self.seq:
                    self.seq = seq
                    self.cond.notify_all()
                elif _STOPPING.is_set():  # the waiters see it and answer
                    self.cond.notify_all()
            time.sleep(self.period)


_WATCHES: dict[int, FeedWatch] = {}  # id(store) -> its watch
_LOCK = threading.Lock()


def watch_of(store, max_waiters: int = MAX_WAITERS) -> FeedWatch:
    """The worker's watch of ``store``'s change feed, letting ``max_waiters`` wait."""
    with _LOCK:
        watch = _WATCHES.get(id(store))
        if watch is None or watch.store is not store:
            watch = _WATCHES[id(store)] = FeedWatch(store, max_waiters=max_waiters)
        watch.max_waiters = max_waiters
        return watch


def stop_waiting() -> None:
    """Answer every wait of this process within ``PERIOD`` seconds, and every
    new one at once: the worker is stopping. Safe in a signal handler: it takes
    no lock a request's thread may hold (the watcher wakes the waiters)."""
    _STOPPING.set()
