"""The intake writer's WAL checkpoints run beside its commits (data.wal_checkpoint)."""

from __future__ import annotations

import os
import sqlite3
import time

from data.wal_checkpoint import Checkpointer, checkpointer_for

ROUND = 800  # rows of 4 kB: about as many WAL pages a round


def _write_rounds(path: str, rounds: int, between) -> list[int]:
    """Write ``rounds`` rounds of pages with SQLite's own checkpoints off; the
    WAL file's size after each round."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body BLOB)")
    sizes = []
    for _ in range(rounds):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO t (body) VALUES (?)", [(os.urandom(4000),)] * ROUND)
        conn.execute("COMMIT")
        sizes.append(os.path.getsize(path + "-wal"))
        between()
    conn.close()
    return sizes


def test_checkpoints_beside_the_commits_keep_the_wal_from_growing(tmp_path):
    alone = _write_rounds(str(tmp_path / "alone.db"), 4, lambda: None)
    assert alone[-1] > 3 * alone[0]  # nothing copies the WAL back: it grows every round

    path = str(tmp_path / "checked.db")
    sqlite3.connect(path).close()
    checkpoints = Checkpointer(path, period=0.05)
    try:
        checkpoints.start()
        sizes = _write_rounds(path, 4, lambda: time.sleep(0.3))  # a checkpoint between rounds
    finally:
        checkpoints.stop()
    assert checkpoints.done >= 4
    assert max(sizes) < 1.5 * sizes[0]  # the WAL started again from its head each round
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 4 * ROUND


def test_only_a_sqlite_file_gets_a_checkpointer(tmp_path):
    assert checkpointer_for("postgresql+psycopg://postgres@127.0.0.1:5432/test") is None
    assert checkpointer_for("sqlite://") is None
    sqlite3.connect(tmp_path / "grid.db").close()
    found = checkpointer_for(f"sqlite:///{tmp_path / 'grid.db'}")
    try:
        assert found is not None and found.path == str(tmp_path / "grid.db")
    finally:
        found.stop()
