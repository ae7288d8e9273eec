"""Schema migrations from a real older database, with data, on both backends."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import CheckConstraint, MetaData, insert, inspect, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.schema import CreateTable

from data import migrations, schema
from data.engine import make_engine
from data.store import Store
from domain.errors import SchemaMismatch
from tests.tiny_city import NOW, tiny_city

V5_CHANNELS = "channel IN ('app', 'hotline', 'patrol', 'plaza', 'sensor')"


def version_5_metadata() -> MetaData:
    """The tables as release 5 made them: no model runs or spot decisions, and
    incidents whose channel CHECK does not know 'proactive'."""
    old = MetaData()
    for table in schema.metadata.sorted_tables:
        if table.name not in ("model_runs", "spot_decisions", "resident_follows"):
            table.to_metadata(old)
    incidents = old.tables["incidents"]
    (check,) = (c for c in incidents.constraints if c.name == "incidents_channel")
    incidents.constraints.remove(check)
    CheckConstraint(V5_CHANNELS, name="incidents_channel", _autoattach=False)._set_parent(incidents)
    return old


def refused(engine, statement: str) -> bool:
    """Whether the database refuses ``statement`` (a constraint), keeping nothing."""
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    except IntegrityError:
        return True
    return False


def set_version(engine, version: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE schema_info SET value = :v WHERE key = 'version'"), {"v": str(version)}
        )


@pytest.fixture
def version_5_url(database_url):
    """A database made by release 5's schema, holding the tiny city, a dispatch
    and a task figure (rows that refer to incidents)."""
    engine = make_engine(database_url)
    with engine.begin() as conn:
        version_5_metadata().create_all(conn)
        conn.execute(
            insert(schema.schema_info).values(key="version", value=str(schema.SCHEMA_VERSION))
        )
    store = Store.open(database_url)  # the store writes only tables release 5 had
    store.load_city(tiny_city())
    first = int(store.incidents()["id"].min())
    with store.engine.begin() as conn:
        conn.execute(
            insert(schema.dispatches).values(
                incident_id=first, cadre_id=1, sent_by="test", sent_at=NOW
            )
        )
        conn.execute(
            insert(schema.task_measures).values(
                incident_id=first, measure="mu", target=10.0, done=2.0, updated_at=NOW
            )
        )
    store.close()
    set_version(engine, 5)
    engine.dispose()
    return database_url


def snapshot(engine) -> dict:
    """What a migration must keep: every row of incidents and of the tables
    that refer to them, every index of incidents and every foreign key."""
    seen = inspect(engine)
    with engine.connect() as conn:
        frames = {
            name: pd.DataFrame(conn.execute(text(f"SELECT * FROM {name} ORDER BY 1")).mappings())
            for name in ("incidents", "dispatches", "task_measures")
        }
    indexes = sorted(
        (i["name"], tuple(i["column_names"]), bool(i["unique"]))
        for i in seen.get_indexes("incidents")
    )
    keys = {
        name: sorted(
            (tuple(k["constrained_columns"]), k["referred_table"], tuple(k["referred_columns"]))
            for k in seen.get_foreign_keys(name)
        )
        for name in ("incidents", "dispatches", "task_measures", "photos")
    }
    uniques = sorted(tuple(u["column_names"]) for u in seen.get_unique_constraints("incidents"))
    return {"frames": frames, "indexes": indexes, "keys": keys, "uniques": uniques}


def test_a_version_5_database_migrates_to_7_keeping_every_incident(version_5_url):
    """Version 6 (issue 20): model runs, spot decisions, and incidents of channel
    'proactive'. On SQLite the incidents table is made anew, which must keep
    every row, index and foreign key (its own and those pointing at it)."""
    engine = make_engine(version_5_url)
    before = snapshot(engine)
    assert len(before["frames"]["incidents"]) == 5 and len(before["frames"]["dispatches"]) == 1
    with pytest.raises(SchemaMismatch, match=r"python app\.py migrate"):
        Store.open(version_5_url)
    assert refused(engine, "UPDATE incidents SET channel = 'proactive' WHERE id = 1")

    assert migrations.migrate(engine) == [6, 7]

    assert migrations.database_version(engine) == 7
    after = snapshot(engine)
    for name, frame in before["frames"].items():
        pd.testing.assert_frame_equal(after["frames"][name], frame, check_dtype=False)
    assert after["indexes"] == before["indexes"] and len(after["indexes"]) >= 5
    assert after["keys"] == before["keys"] and after["uniques"] == before["uniques"]
    assert (("incident_id",), "incidents", ("id",)) in after["keys"]["dispatches"]
    tables = set(inspect(engine).get_table_names())
    assert {"model_runs", "spot_decisions", "resident_follows"} <= tables
    assert "incidents_new" not in tables
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:  # the pooled connection has its foreign keys back
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    # The CHECK is still there, only wider, and so are the foreign keys.
    assert refused(engine, "UPDATE incidents SET channel = 'fax' WHERE id = 1")
    assert refused(engine, "UPDATE dispatches SET incident_id = 999")
    engine.dispose()

    store = Store.open(version_5_url)
    try:
        new_id = store.open_proactive_case(
            {
                "category": "fire_lane",
                "lon": 120.005,
                "lat": 36.005,
                "radius_m": 40.0,
                "first_reported_at": NOW - dt.timedelta(days=20),
                "last_reported_at": NOW - dt.timedelta(days=1),
                "report_ids": [1],
                "description": "同一小区一个月内五次消防通道被占用",
                "priority": 2,
            },
            actor="desk",
            now=NOW,
        )
        case = store.incidents(ids=[new_id]).iloc[0]
        assert case["channel"] == "proactive" and case["grid_code"] == "A-1"
        assert len(store.incidents()) == 6
        assert store.spot_decisions()["incident_id"].tolist() == [new_id]
    finally:
        store.close()


def test_a_migration_that_would_leave_a_dangling_reference_commits_nothing(
    version_5_url, monkeypatch
):
    """SQLite migrates with foreign keys off, so the references are checked before
    the commit; PostgreSQL refuses the write itself. Either way nothing is kept."""
    real_step = migrations.STEPS[6]

    def step_then_break(conn):
        real_step(conn)
        conn.execute(text("DELETE FROM incidents WHERE id = 1"))  # the dispatch's incident

    monkeypatch.setitem(migrations.STEPS, 6, step_then_break)
    engine = make_engine(version_5_url)
    with pytest.raises(Exception, match=r"pointing at rows|foreign key"):
        migrations.migrate(engine)
    assert migrations.database_version(engine) == 5
    assert "model_runs" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        ids = conn.execute(select(schema.incidents.c.id)).scalars().all()
    assert sorted(ids) == [1, 2, 3, 4, 5]
    engine.dispose()


def test_a_migration_leaves_the_schema_objects_as_they_were(version_5_url):
    """Migrating (on PostgreSQL: ALTER TABLE … ADD CONSTRAINT) must not change
    ``data.schema``'s tables for what the process creates next: every CHECK of
    incidents is still in its CREATE TABLE (a SQLite database made after a
    PostgreSQL migration lost its channel check, in one test process)."""
    engine = make_engine(version_5_url)
    assert migrations.migrate(engine) == [6, 7]
    engine.dispose()
    ddl = str(CreateTable(schema.incidents).compile(dialect=sqlite.dialect()))
    for check in ("incidents_channel", "incidents_status", "incidents_priority"):
        assert f"CONSTRAINT {check} CHECK" in ddl


def test_a_version_6_database_migrates_to_7_with_resident_follows(version_5_url, monkeypatch):
    """Version 7 (issue 21): the residents following a case; its kind is checked,
    a token's hash follows one case only and the case must exist."""
    engine = make_engine(version_5_url)
    with monkeypatch.context() as patch:  # release 6: stop at version 6
        patch.setattr(schema, "SCHEMA_VERSION", 6)
        assert migrations.migrate(engine) == [6]
    assert "resident_follows" not in inspect(engine).get_table_names()
    assert migrations.migrate(engine) == [7]
    assert migrations.database_version(engine) == 7
    insert_follow = (
        "INSERT INTO resident_follows (incident_id, token_hash, kind, created_at) "
        "VALUES ({i}, '{h}', '{k}', '2026-12-01 08:00:00')"
    )
    assert not refused(engine, insert_follow.format(i=1, h="a" * 64, k="reporter"))
    assert refused(engine, insert_follow.format(i=1, h="b" * 64, k="stranger"))
    assert refused(engine, insert_follow.format(i=1, h="a" * 64, k="me_too"))
    assert refused(engine, insert_follow.format(i=999, h="c" * 64, k="me_too"))
    engine.dispose()
