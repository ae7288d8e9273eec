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


def _queued_behind_a_held_writer(group, runs):
    """Run ``runs`` (callables) in threads while the writer is held, so that
    they queue up and go as one group; their results or errors, in order."""
    release, busy = threading.Event(), threading.Event()

    def hold(conn):
        busy.set()
        release.wait(5)

    holder = threading.Thread(target=group.run, args=(hold,))
    holder.start()
    busy.wait(5)
    outcomes: list = [None] * len(runs)

    def call(n):
        try:
            outcomes[n] = runs[n]()
        except Exception as exc:  # handed back to the test
            outcomes[n] = exc

    threads = []
    for n in range(len(runs)):  # one after another, so the queue keeps their order
        threads.append(threading.Thread(target=call, args=(n,)))
        threads[-1].start()
        time.sleep(0.02)
    release.set()
    for thread in [holder, *threads]:
        thread.join()
    return outcomes


def test_writes_of_one_kind_run_together_in_one_call(engine):
    """Issue 16 (item 13): each report cost its own statements per table; a
    group of writes of one kind now runs as one call (one statement a table)."""
    group = committer(engine)
    calls: list[list[str]] = []

    def together(conn, works):
        calls.append([work.text for work in works])
        conn.execute(insert(notes), [{"text": work.text} for work in works])
        return [work.text.upper() for work in works]

    def note(text):
        work = add(text)
        work.text = text
        return lambda: group.run(work, together=together)

    outcomes = _queued_behind_a_held_writer(group, [note(f"n{n}") for n in range(6)])
    group.close()
    assert outcomes == [f"N{n}" for n in range(6)]
    assert calls == [[f"n{n}" for n in range(6)]]
    assert texts(engine) == sorted(f"n{n}" for n in range(6))


def test_a_together_run_that_fails_is_run_again_one_by_one(engine):
    """A bad write among writes run together fails alone, stores nothing,
    and the others still commit (each run alone, in its own savepoint)."""
    group = committer(engine)

    def together(conn, works):
        conn.execute(insert(notes), [{"text": "half of the group"}])
        raise ValueError("one of these is bad")

    def note(text):
        return lambda: group.run(add(text), together=together)

    outcomes = _queued_behind_a_held_writer(group, [note("a"), note("bad"), note("c")])
    group.close()
    assert isinstance(outcomes[1], ValueError)
    assert isinstance(outcomes[0], int) and isinstance(outcomes[2], int)
    assert texts(engine) == ["a", "c"]
