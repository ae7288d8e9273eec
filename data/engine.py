"""Database engines: one code path for SQLite and PostgreSQL.

SQLite runs in WAL mode (once the schema is checked) with ``synchronous=FULL`` (a killed writer loses nothing
that was acknowledged) and a busy timeout; write transactions start with
``BEGIN IMMEDIATE`` so that two writers never both read and then fail to
upgrade their lock ("database is locked"). PostgreSQL uses its defaults.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from domain.errors import Unavailable

WRITE = "gridcommand_write"  # execution option marking a write transaction


def make_engine(url: str, *, check: bool = True) -> Engine:
    """Create an engine for ``url`` and, with ``check``, prove it answers.

    Raises
    ------
    Unavailable
        The URL is malformed, its driver is missing or the server cannot be
        reached; the message says what to do and shows no password.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise Unavailable(
            f"DATABASE_URL {url!r} is not a database URL: use sqlite:///path/to/file.db or "
            "postgresql+psycopg://user@host:5432/dbname"
        ) from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = _sqlite_engine(parsed)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=20)
    except NoSuchModuleError:
        raise Unavailable(f"no driver for {shown}: use sqlite or postgresql+psycopg") from None
    if check:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except DBAPIError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            engine.dispose()
            raise Unavailable(
                f"cannot reach the database at {shown} ({reason}): check DATABASE_URL "
                "and that the database server is running"
            ) from None
    return engine


WAL_CHECKPOINT_PAGES = 10_000  # 40 MB of 4 kB pages (SQLite's default is 1,000)
WAL_KEPT_BYTES = 64 * 1024 * 1024


def _sqlite_engine(parsed) -> Engine:
    database = parsed.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from the driver so BEGIN is ours to issue.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        # A checkpoint copies the WAL's pages into the database inside a commit,
        # under the write lock. Each batch of reports rewrites the same index
        # pages, which a checkpoint copies once however often they were written:
        # checkpointing every 40 MB instead of SQLite's 4 MB copies far fewer
        # pages (the intake acknowledged about 0.7 of its anchor's reports with
        # 4 MB, 0.8 with 40 MB or 400 MB; bench/intake.py). The file is cut back
        # to 64 MiB after a checkpoint.
        cursor.execute(f"PRAGMA wal_autocheckpoint={WAL_CHECKPOINT_PAGES}")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_KEPT_BYTES}")
        # A statement that may fail half-way (an INSERT into a table with
        # constraints and indexes, the intake's batches among them) saves the
        # pages it changes in a statement journal, which SQLite spills from
        # 64 kB into a temporary file: created, written a page at a time and
        # deleted in every such transaction (strace of the intake writer: about
        # 170 writes and an open, unlink and access a commit, as many pages as
        # the WAL got). Kept in memory, that journal costs no system call.
        # Temporary tables and sorts that outgrow the cache stay in memory too:
        # tens of MB for a sort of every incident of the region.
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class WriterLock:
    """One writer at a time across every thread and process on a SQLite file.

    SQLite makes a second writer wait in its busy handler, which polls with
    sleeps of up to 100 ms; under many concurrent writers those sleeps, not
    the work, set the tail latency. An exclusive ``flock`` on a file beside the
    database queues writers in the kernel instead, which wakes the next one the
    moment the lock is free. Each thread opens its own descriptor, because
    ``flock`` locks belong to open file descriptions; the kernel drops the lock
    of a killed process. Readers never take it (WAL lets them run alongside).
    """

    def __init__(self, database: str | None):
        self.path = f"{database}-writer.lock" if database and database != ":memory:" else None
        self._local = threading.local()

    @contextlib.contextmanager
    def __call__(self) -> Iterator[None]:
        if self.path is None:
            yield
            return
        fd = getattr(self._local, "fd", None)
        if fd is None or getattr(self._local, "pid", None) != os.getpid():
            fd = self._local.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            self._local.pid = os.getpid()
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def writer_lock(engine: Engine) -> WriterLock:
    """A writer lock for ``engine``: real on a SQLite file, a no-op elsewhere."""
    return WriterLock(engine.url.database if engine.dialect.name == "sqlite" else None)


def use_wal(engine: Engine) -> None:
    """Switch a SQLite database to WAL mode (persistent in the file).

    Called only once the database is known to be ours: the switch rewrites the
    file header, and a database we refuse must be left byte for byte as it was.
    """
    if engine.dialect.name == "sqlite":
        # On the driver's connection: through SQLAlchemy it would run inside
        # a transaction, where SQLite refuses to change the journal mode.
        raw = engine.raw_connection()
        try:
            raw.driver_connection.execute("PRAGMA journal_mode=WAL")
        finally:
            raw.close()


def backend_name(engine: Engine) -> str:
    """'sqlite' or 'postgresql'."""
    return engine.dialect.name
