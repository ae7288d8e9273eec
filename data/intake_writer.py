"""One writer process for the reports of a SQLite file, fed by the server's workers.

SQLite lets one transaction write at a time. With several worker processes,
each with its own group-commit writer (``data.group_commit``), the writers
take turns at the lock, and the one holding it waits for its own process's
interpreter between statements while that process's request threads parse
and place reports. Measured, that turn-taking, not the disk, bounded the
intake. ``python app.py serve`` on SQLite therefore starts one more process
that does nothing but write reports: the workers prepare each report fully
(its statement's driver-ready values and its audit and feed entries' JSON but
for the row id, ``data.store_intake.ReportWrite``) and send it over a Unix
socket; the writer runs whatever has arrived as one transaction, commits once
and answers each worker with the new row's ids. A report is acknowledged
only once the writer has answered, that is once it is committed.

The workers fall back to writing themselves when the writer cannot be
reached (not started, or restarting), so the writer is a speed-up and never a
single point of failure. A connection lost after a report was sent leaves its
outcome unknown: that report is refused with ``OutcomeUnknown`` (HTTP 503),
never written a second time by the worker, so nothing is stored twice by us
and nothing acknowledged is lost. Writes other than plain reports (dispatch,
imports, reports with an idempotency key) stay in the workers.

A frame is a 4-byte big-endian length and a ``marshal``-ed dict of plain
values (three times cheaper than JSON for a report, whose audit text would
be escaped again). Only this user can reach the socket (its directory is
0700, the socket 0600), and such a user can write the database file anyway.
One request is in flight per connection; each request thread of a worker
has its own.

    python -m data.intake_writer sqlite:///gridcommand.db /tmp/gc-intake/writer.sock

The server's master starts it through ``data.intake_writer_process.WriterProcess``.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import selectors
import signal
import socket
import struct
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future

from domain.errors import Unavailable

log = logging.getLogger(__name__)

_LENGTH = struct.Struct("!I")
_TIMEVAL = struct.Struct("@ll")  # struct timeval, for SO_RCVTIMEO and SO_SNDTIMEO
MAX_FRAME = 1 << 20  # a report is a few kB; anything larger is not one of ours
ANSWER_TIMEOUT = 90.0  # s a worker waits for its report's commit (a long import may hold the lock)
RETRY_AFTER = 1.0  # s a worker writes itself before trying an unreachable writer again
COMMIT_DELAY = 0.0015  # s a small batch waits for company (WriterServer._gather)
GATHER = 16  # reports that make a batch worth writing at once
DIRECTORY_PREFIX = "gc-intake-"  # of the directory WriterProcess makes for the socket
STOP_GRACE = 10.0  # s at most a stopping writer waits for a frame half sent


class OutcomeUnknown(Unavailable):
    """The writer took a report and went away before answering: it may or may
    not be stored. Refused (HTTP 503), not written again: a client that must
    not file twice retries with an Idempotency-Key."""

    def __init__(self):
        super().__init__(
            "the report may not have been stored (the writer stopped); please send it again",
            zh="报事可能未保存（写入进程中断），请重新提交",
        )


class WriteFailed(RuntimeError):
    """The writer refused a report, storing nothing of it (its message says why)."""


# ------------------------------------------------------------------ frames


def encode(message: dict) -> bytes:
    data = marshal.dumps(message)
    return _LENGTH.pack(len(data)) + data


def _read_exactly(conn: socket.socket, size: int) -> bytes:
    chunks, left = [], size
    while left:
        chunk = conn.recv(left)
        if not chunk:
            raise EOFError("the writer closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(conn: socket.socket) -> dict:
    (size,) = _LENGTH.unpack(_read_exactly(conn, _LENGTH.size))
    if size > MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes")
    return _message(_read_exactly(conn, size))


def read_answer(conn: socket.socket) -> dict:
    """The one frame the writer answers a report with, in as few reads as it
    came in (one, nearly always: an answer is tens of bytes). Nothing follows
    it on the connection, which carries one report at a time."""
    data = conn.recv(4096)
    while True:
        if not data:
            raise EOFError("the writer closed the connection")
        if len(data) >= _LENGTH.size:
            (size,) = _LENGTH.unpack_from(data)
            if size > MAX_FRAME:
                raise ValueError(f"a frame of {size} bytes")
            if len(data) >= _LENGTH.size + size:
                return _message(data[_LENGTH.size : _LENGTH.size + size])
        chunk = conn.recv(4096)
        if not chunk:
            raise EOFError("the writer closed the connection")
        data += chunk


def split_frames(buffer: bytearray) -> list[dict]:
    """The whole frames at the head of ``buffer``, removed from it.

    Raises ValueError for a frame too large or not a dict (the sender is not a worker).
    """
    messages = []
    while len(buffer) >= _LENGTH.size:
        (size,) = _LENGTH.unpack_from(buffer)
        if size > MAX_FRAME:
            raise ValueError(f"a frame of {size} bytes")
        end = _LENGTH.size + size
        if len(buffer) < end:
            break
        messages.append(_message(bytes(buffer[_LENGTH.size : end])))
        del buffer[:end]
    return messages


def _message(data: bytes) -> dict:
    try:
        message = marshal.loads(data)
    except (EOFError, TypeError) as exc:
        raise ValueError("not a frame of ours") from exc
    if not isinstance(message, dict):
        raise ValueError("not a frame of ours")
    return message


# ------------------------------------------------------------------ worker side


class WriterClient:
    """A worker's way to the writer: ``send(message)`` → the writer's answer.

    Each thread keeps its own connection. ``send`` returns None when the
    writer cannot be reached, with nothing sent whole, so the caller writes
    the report itself; it raises ``OutcomeUnknown`` when the connection broke
    after the report went out.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = str(path)
        self._local = threading.local()
        self._unreachable_until = 0.0
        self._counting = threading.Lock()
        self.answered = 0  # reports the writer answered (stored or refused)
        self._open: set[socket.socket] = set()  # every thread's, closed by close()

    def send(self, message: dict) -> dict | None:
        if time.monotonic() < self._unreachable_until:
            return None
        frame = encode(message)
        for _ in range(2):  # a kept connection may be to a writer since restarted
            conn = self._connection()
            if conn is None:
                return None
            try:
                conn.sendall(frame)
            except OSError:  # the frame did not go out whole: the writer stores nothing of it
                self._drop()
                continue
            try:
                answer = read_answer(conn)
            except ConnectionResetError:
                # Linux resets a Unix stream socket whose peer closed with data
                # unread or before accepting it (af_unix.c, unix_release_sock):
                # the writer did not take the whole frame, so stored nothing.
                self._drop()
                continue
            except (OSError, EOFError, ValueError) as exc:
                self._drop()
                raise OutcomeUnknown() from exc
            with self._counting:
                self.answered += 1
            return answer
        return None

    def close(self) -> None:
        """Close every thread's connection (of this process)."""
        with self._counting:
            connections, self._open = self._open, set()
        for conn in connections:
            conn.close()

    def _connection(self) -> socket.socket | None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.settimeout(ANSWER_TIMEOUT)
        try:
            conn.connect(self.path)
        except OSError:
            conn.close()
            self._unreachable_until = time.monotonic() + RETRY_AFTER
            return None
        # The kernel keeps the time limit: with Python's own, each send and
        # read polled first, twice the system calls, and each lets go of the
        # GIL, which 16 request threads pass round. Out of time, a read raises
        # BlockingIOError, an OSError as socket.timeout is.
        conn.settimeout(None)
        limit = _TIMEVAL.pack(int(ANSWER_TIMEOUT), 0)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, limit)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, limit)
        self._local.conn, self._local.pid = conn, os.getpid()
        with self._counting:
            self._open.add(conn)
        return conn

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None and self._local.pid == os.getpid():
            with self._counting:
                self._open.discard(conn)
            conn.close()


# ------------------------------------------------------------------ the writer


class WriterServer:
    """Answers workers' reports, writing each batch that arrived as one transaction."""

    def __init__(self, store, path: str | os.PathLike):
        from data.group_commit import MAX_BATCH

        self.store, self.path, self.max_batch = store, str(path), MAX_BATCH
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)  # left by a writer that was killed
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        os.chmod(self.path, 0o600)
        self.listener.listen(256)
        self.listener.setblocking(False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.listener, selectors.EVENT_READ)
        self.buffers: dict[socket.socket, bytearray] = {}
        self.inbox: deque[tuple[socket.socket, dict]] = deque()
        self.stopping_since: float | None = None
        self.parent = os.getppid()

    def stop(self) -> None:
        """Take no new connections; answer the reports already sent, then end ``serve``."""
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()
            self.selector.unregister(self.listener)
            self.listener.close()
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.path)

    def serve(self) -> None:
        while True:
            quiet = 0.05 if self.stopping_since is not None else 0.5
            self._poll(0 if self.inbox else quiet)
            if self.inbox:
                self._gather()
                self._write_some()
            elif self.stopping_since is not None:
                # Quiet for a moment with no frame half come: every report sent
                # before the stop is answered. Idle workers find the connection
                # closed at their next report and write it themselves.
                if not any(self.buffers.values()) or self._grace_over():
                    break
            elif os.getppid() != self.parent:  # the server that started us is gone
                self.stop()
        for conn in list(self.buffers):
            self._close(conn)

    def _gather(self) -> None:
        """Wait up to COMMIT_DELAY for more reports before writing a small batch.

        Each transaction costs the writer about as much CPU as a few reports
        (the lock, the boundary check, the commit and its flush), and the
        workers need that CPU. PostgreSQL's ``commit_delay`` makes the same trade.
        """
        deadline = time.monotonic() + COMMIT_DELAY
        while len(self.inbox) < GATHER and self.stopping_since is None:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._poll(left)

    def _grace_over(self) -> bool:
        return time.monotonic() - self.stopping_since > STOP_GRACE

    def _poll(self, timeout: float) -> None:
        for key, _ in self.selector.select(timeout):
            if key.fileobj is self.listener:
                self._accept()
                continue
            conn = key.fileobj
            try:
                data = conn.recv(1 << 16)
            except OSError:
                data = b""
            if not data:  # the worker closed it; a partial frame in the buffer is dropped
                self._close(conn)
                continue
            buffer = self.buffers[conn]
            buffer += data
            try:
                self.inbox.extend((conn, message) for message in split_frames(buffer))
            except ValueError:
                log.warning("intake writer: closed a connection that sent no frame of ours")
                self._close(conn)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            conn.setblocking(True)  # answers are small: sendall never waits long
            self.buffers[conn] = bytearray()
            self.selector.register(conn, selectors.EVENT_READ)

    def _close(self, conn: socket.socket) -> None:
        if self.buffers.pop(conn, None) is not None:
            self.selector.unregister(conn)
        conn.close()

    def _write_some(self) -> None:
        owners: dict[Future, socket.socket] = {}
        batch: list = []

        def take(into: list) -> None:
            while self.inbox and len(into) < self.max_batch:
                conn, message = self.inbox.popleft()
                future: Future = Future()
                try:
                    work, together = self.store.report_work(message)
                except Exception as exc:  # not a report this writer can run
                    future.set_exception(exc)
                    self._answer(conn, future)
                    continue
                owners[future] = conn
                into.append((work, future, together))

        def take_more(into: list) -> None:  # under the write lock: what came meanwhile
            self._poll(0)
            take(into)

        take(batch)
        if not batch:
            return
        self.store.commit_reports(batch, take_more)
        for _, future, _ in batch:
            self._answer(owners[future], future)

    def _answer(self, conn: socket.socket, future: Future) -> None:
        answer = self.store.report_answer(future)
        if conn not in self.buffers:
            return  # the worker went away; its report's outcome stays unknown to it
        try:
            conn.sendall(encode(answer))
        except OSError:
            self._close(conn)


def run_writer(database_url: str, path: str) -> None:
    """The writer process: serve until SIGTERM or until the server is gone."""
    from data.store import Store
    from data.wal_checkpoint import checkpointer_for

    store = Store.open(database_url)
    server = WriterServer(store, path)
    signal.signal(signal.SIGTERM, lambda *_: server.stop())
    signal.signal(signal.SIGINT, lambda *_: server.stop())  # Ctrl+C reaches the whole group
    checkpoints = checkpointer_for(database_url)  # off the commits (data.wal_checkpoint)
    try:
        server.serve()  # returns once stopped, the socket removed
    finally:
        if checkpoints is not None:
            checkpoints.stop()
        store.close()  # after an error the socket stays: the server starts a writer again
    if os.path.basename(os.path.dirname(path)).startswith(DIRECTORY_PREFIX):
        with contextlib.suppress(OSError):  # the server's own stop may have been first
            os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    run_writer(sys.argv[1], sys.argv[2])
