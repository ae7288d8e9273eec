"""What the intake's writer was relieved of stays exact (issue 16, item 13).

Rows made ready for the driver before the write lock (data/driver_insert.py)
are stored as SQLAlchemy stores them, on SQLite and PostgreSQL; the JSON of
the audit and feed entries encoded before the ids are known is the JSON of
the whole row; the working-day deadlines remembered per day are the ones
worked out afresh; and the writes that queue while a writer waits for the
lock share its transaction.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
)

from data import driver_insert, rows
from data.column_types import UTCDateTime
from data.driver_insert import DriverInsert
from data.engine import WRITE, make_engine, writer_lock
from data.group_commit import GroupCommitter
from domain.calendar_cn import WorkCalendar

metadata = MetaData()


def _table(name: str) -> Table:
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
        Column("lon", Float),
        Column("name", String(40)),
        Column("note", Text),
        Column("count", Integer),
    )


BY_CORE, BY_DRIVER = _table("by_core"), _table("by_driver")
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
ROWS = [
    {
        "id": 1,
        "at": dt.datetime(2026, 12, 6, 8, 30, 1, 123456, tzinfo=dt.UTC),
        "lon": 120.0051,
        "name": "胶州",
        "note": "引号 ' 和 \" 与 %s ?",
        "count": 3,
    },
    {
        "id": 2,
        "at": dt.datetime(2026, 12, 6, 23, 59, 59, tzinfo=SHANGHAI),
        "lon": -0.5,
        "name": None,
        "note": "",
        "count": None,
    },
    {"id": 3, "at": None, "lon": None, "name": "x" * 40, "note": "多行\n文本", "count": 0},
]


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    metadata.create_all(engine)
    yield engine
    metadata.drop_all(engine)
    engine.dispose()


def _stored(engine, table) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]


def test_driver_ready_rows_are_stored_as_sqlalchemy_stores_them(engine):
    columns = ("id", "at", "lon", "name", "note", "count")
    statement = DriverInsert(BY_DRIVER, columns, engine.dialect)
    with engine.begin() as conn:
        conn.execute(insert(BY_CORE), ROWS)
        statement.run(conn, [statement.values(row, columns) for row in ROWS])
    core, driver = _stored(engine, BY_CORE), _stored(engine, BY_DRIVER)
    assert driver == core
    assert driver[1][1] == dt.datetime(2026, 12, 6, 15, 59, 59, tzinfo=dt.UTC)  # aware UTC back


def test_many_rows_go_in_as_few_statements_as_the_value_limit_allows(engine, monkeypatch):
    monkeypatch.setattr(driver_insert, "MAX_VALUES", 7)  # 3 columns: 2 rows a statement
    columns = ("id", "name", "count")
    statement = DriverInsert(BY_DRIVER, columns, engine.dialect)
    ran: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, sql, *a: ran.append(sql))
    with engine.begin() as conn:
        statement.run(conn, [(n, f"第{n}行", n) for n in range(1, 6)])
    inserts = [sql for sql in ran if sql.startswith("INSERT")]
    assert len(inserts) == 3  # 2 + 2 + 1 rows
    assert [r[0] for r in _stored(engine, BY_DRIVER)] == [1, 2, 3, 4, 5]


def test_a_failed_multi_row_insert_stores_none_of_its_rows(engine):
    columns = ("id", "name")
    statement = DriverInsert(BY_DRIVER, columns, engine.dialect)
    with pytest.raises(Exception), engine.begin() as conn:  # noqa: B017 (driver's own error)
        statement.run(conn, [(1, "a"), (2, "b"), (1, "the same id again")])
    assert _stored(engine, BY_DRIVER) == []


@pytest.mark.parametrize("row", [*ROWS, {"a": [1, "二"], "b": {"c": None}, "z": 1.5}])
def test_json_with_the_ids_filled_in_later_is_the_json_of_the_whole_row(row):
    later = ("id", "public_id")
    early = {k: v for k, v in row.items() if k not in later}
    for ids in ({"id": 7, "public_id": "JZ261206000007"}, {"id": 10**12, "public_id": "引"}):
        assert rows.json_text_later(early, later)(ids) == rows.json_text({**early, **ids})


def test_json_filled_in_later_matches_for_any_keys_around_the_ids():
    """Seeded: keys before, between and after the ids, none at all, and values
    whose text looks like a key (``, "lat": ``), which must not mislead the cut."""
    import random

    pick = random.Random(16)
    names = ["a", "i", "id0", "idx", "lat", "public", "public_id0", "q", "z", "地址"]
    values = [None, 0, 2.5, True, "x", ', "lat": ', '"public_id": 1', "中文\n", ROWS[0]["at"]]
    for _ in range(2000):
        early = {k: pick.choice(values) for k in pick.sample(names, pick.randint(0, len(names)))}
        ids = {"id": pick.randint(0, 10**9), "public_id": pick.choice(["JZ1", '引"', ""])}
        assert rows.json_text_later(early, ("id", "public_id"))(ids) == rows.json_text(
            {**early, **ids}
        )


def test_remembered_working_day_deadlines_are_the_ones_worked_out_afresh():
    """Over the Spring Festival of 2026 and its make-up days, hour by hour."""
    remembering = WorkCalendar()
    start = dt.datetime(2026, 2, 10, tzinfo=SHANGHAI)
    for hour in range(0, 24 * 20, 1):
        at = start + dt.timedelta(hours=hour, minutes=hour % 60)
        for days in (0, 1, 2, 5):
            fresh = WorkCalendar().add_working_days(at, days)
            assert remembering.add_working_days(at, days) == fresh, (at, days)
            assert remembering.add_working_days(at, days) == fresh, (at, days)


def test_writes_queued_while_the_writer_waits_for_the_lock_share_its_transaction(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'group.db'}")
    metadata.create_all(engine)
    lock = writer_lock(engine)
    transactions = []

    @contextmanager
    def transaction():
        with lock(), engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            transactions.append(conn)
            yield conn

    group = GroupCommitter(transaction)

    def add(n):
        return lambda conn: conn.execute(insert(BY_CORE).values(id=n, name=f"#{n}"))

    other_worker = writer_lock(engine)  # another process's writer holds the lock meanwhile
    with other_worker():
        writers = [threading.Thread(target=group.run, args=(add(n),)) for n in range(1, 7)]
        writers[0].start()
        time.sleep(0.2)  # the writer has taken write 1 and waits for the lock
        for writer in writers[1:]:
            writer.start()
        time.sleep(0.2)
    for writer in writers:
        writer.join(10)
    group.close()
    assert len(transactions) == 1
    assert [r[0] for r in _stored(engine, BY_CORE)] == [1, 2, 3, 4, 5, 6]
    engine.dispose()
