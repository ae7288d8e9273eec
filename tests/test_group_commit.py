"""Group commit and the SQLite writer lock, on a real database file."""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select

from data.engine import WRITE, make_engine, writer_lock
from data.group_commit import GroupCommitter

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String))


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'group.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def committer(engine, fail_commit=None):
    lock = writer_lock(engine)

    @contextmanager
    def transaction():
        with lock(), engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            yield conn
            if fail_commit and fail_commit():
                raise RuntimeError("disk full")

    return GroupCommitter(transaction)


def texts(engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(conn.execute(select(notes.c.text)).scalars())


def add(text):
    def work(conn):
        if text == "bad":
            conn.execute(insert(notes).values(text="half of bad"))
            raise ValueError("bad input")
        return conn.execute(insert(notes).values(text=text).returning(notes.c.id)).scalar_one()

    return work


def test_many_threads_each_get_their_own_row_and_a_bad_write_stores_nothing(engine):
    group = committer(engine)
    results, errors = {}, {}

    def client(n):
        text = "bad" if n % 10 == 3 else f"note {n}"
        try:
            results[n] = group.run(add(text))
        except ValueError as exc:
            errors[n] = str(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    group.close()
    assert sorted(errors) == [n for n in range(60) if n % 10 == 3]
    assert set(errors.values()) == {"bad input"}
    assert len(set(results.values())) == len(results) == 54  # distinct ids, none lost
    assert texts(engine) == sorted(f"note {n}" for n in results)  # no "half of bad"


def test_a_failed_commit_fails_every_write_of_its_group_and_stores_nothing(engine):
    group = committer(engine, fail_commit=lambda: True)
    with pytest.raises(RuntimeError, match="disk full"):
        group.run(add("lost"))
    group.close()
    assert texts(engine) == []


def test_the_writer_lock_admits_one_writer_at_a_time(engine):
    lock = writer_lock(engine)
    inside, most = [0], [0]
    guard = threading.Lock()

    def writer():
        for _ in range(50):
            with lock():
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                time.sleep(0.001)  # without the lock, others would come in now
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most[0] == 1
    assert lock.path.endswith("group.db-writer.lock")


def test_a_group_of_good_writes_pays_for_no_savepoints(engine):
    """Issue 16 (item 13): every write ran in a savepoint, two statements more
    a report, although a write almost never fails."""
    group = committer(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    release, busy = threading.Event(), threading.Event()

    def hold(conn):
        busy.set()
        release.wait(5)

    threads = [threading.Thread(target=group.run, args=(hold,))]
    threads[0].start()
    busy.wait(5)  # the writer is busy: the writes below queue up and go as one group
    threads += [threading.Thread(target=group.run, args=(add(f"note {n}"),)) for n in range(8)]
    for thread in threads[1:]:
        thread.start()
    time.sleep(0.2)
    release.set()
    for thread in threads:
        thread.join()
    group.close()
    assert texts(engine) == sorted(f"note {n}" for n in range(8))
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]
