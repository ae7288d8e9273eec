"""Schema versions: create a new database, refuse a mismatched one, migrate.

Each change to ``data.schema`` bumps ``SCHEMA_VERSION`` and adds a step to
``STEPS`` that takes a database from the version before to that version.
Nothing here touches a database whose version it does not understand.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine, Table, inspect, select, text
from sqlalchemy.schema import AddConstraint, CreateTable

from data import schema
from data.engine import WRITE, use_wal
from domain.errors import SchemaMismatch


def _add_column(conn: Connection, table, name: str) -> None:
    """ALTER TABLE … ADD COLUMN for ``table.c[name]`` as ``data.schema`` defines it."""
    column = table.c[name]
    kind = column.type.compile(dialect=conn.dialect)
    default = f" DEFAULT '{column.server_default.arg}'" if column.server_default is not None else ""
    null = "" if column.nullable else " NOT NULL"
    conn.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}{null}{default}"))


def _add_sign_in(conn: Connection) -> None:
    """Version 2: sessions and lock-out for users; API keys get scopes and a town."""
    schema.sessions.create(conn)
    for name in ("failed_logins", "locked_until"):
        _add_column(conn, schema.users, name)
    for name in ("scopes", "town_code"):
        _add_column(conn, schema.api_keys, name)


def _add_event_work(conn: Connection) -> None:
    """Version 3: check-in interval of events, task figures, check-ins."""
    _add_column(conn, schema.events, "checkin_minutes")
    schema.task_measures.create(conn)
    schema.checkins.create(conn)


def _add_imports(conn: Connection) -> None:
    """Version 4: applied imports, with what they replaced, for undo."""
    schema.imports.create(conn)


def _add_field_app(conn: Connection) -> None:
    """Version 5: the field app's invites, sessions and actions, photos, the outbox,
    and what the cadre's phone said about each assignment."""
    for name in (
        "seen_at",
        "accepted_at",
        "declined_at",
        "decline_reason",
        "arrived_lon",
        "arrived_lat",
        "arrived_note",
    ):
        _add_column(conn, schema.dispatches, name)
    for table in (
        schema.field_invites,
        schema.field_sessions,
        schema.field_actions,
        schema.photos,
        schema.outbox,
    ):
        table.create(conn)


def _add_predictions(conn: Connection) -> None:
    """Version 6: the channel 'proactive' for incidents, model runs and spot decisions."""
    _replace_check(conn, schema.incidents, "incidents_channel")
    schema.model_runs.create(conn)
    schema.spot_decisions.create(conn)


def _add_resident_follows(conn: Connection) -> None:
    """Version 7: the residents who follow a case from the reporting page."""
    schema.resident_follows.create(conn)


def _replace_check(conn: Connection, table: Table, name: str) -> None:
    """Make the CHECK constraint ``name`` of ``table`` what ``data.schema`` says now.

    PostgreSQL drops and adds it (the rows are checked against the new one).
    SQLite cannot alter a constraint, so the table is made anew.
    """
    if conn.dialect.name != "sqlite":
        (check,) = (c for c in table.constraints if c.name == name)
        conn.execute(text(f"ALTER TABLE {table.name} DROP CONSTRAINT {name}"))
        # Not isolated: by default AddConstraint marks the schema's own constraint
        # as "added later", and every CREATE TABLE of incidents after it in this
        # process (a new SQLite database, the SQLite rebuild) would leave it out.
        conn.execute(AddConstraint(check, isolate_from_table=False))
        return
    _rebuild_sqlite_table(conn, table)


def _rebuild_sqlite_table(conn: Connection, table: Table) -> None:
    """Make ``table`` anew as ``data.schema`` defines it, keeping every row.

    SQLite's own procedure (https://www.sqlite.org/lang_altertable.html,
    "making other kinds of table schema changes"), inside the migration's
    transaction and with foreign keys off (``_foreign_keys_off``): create the
    new table under another name, copy the rows, drop the old table, give the
    new one its name, make the indexes again. The old table is never renamed
    away: SQLite would point the other tables' foreign keys at the old name.
    """
    interim = f"{table.name}_new"
    ddl = str(CreateTable(table).compile(dialect=conn.dialect)).strip()
    head = f"CREATE TABLE {table.name} ("
    if not ddl.startswith(head):
        raise RuntimeError(f"unexpected DDL for {table.name}: {ddl[:60]!r}")
    conn.exec_driver_sql(f"CREATE TABLE {interim} (" + ddl[len(head) :])
    columns = ", ".join(c.name for c in table.columns)
    conn.exec_driver_sql(f"INSERT INTO {interim} ({columns}) SELECT {columns} FROM {table.name}")
    conn.exec_driver_sql(f"DROP TABLE {table.name}")  # and its indexes
    conn.exec_driver_sql(f"ALTER TABLE {interim} RENAME TO {table.name}")
    for index in table.indexes:
        index.create(conn)


# version reached -> the step that reaches it from the version before
STEPS: dict[int, Callable[[Connection], None]] = {
    2: _add_sign_in,
    3: _add_event_work,
    4: _add_imports,
    5: _add_field_app,
    6: _add_predictions,
    7: _add_resident_follows,
}


@contextmanager
def _foreign_keys_off(conn: Connection) -> Iterator[None]:
    """SQLite: foreign keys off while migrating, back on after.

    A table that others refer to can only be made anew with them off; the
    pragma does nothing inside a transaction, so it is set on the driver's
    connection before the migration's transaction begins, and
    ``_check_foreign_keys`` checks every reference before it commits.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(conn: Connection) -> None:
    """SQLite: refuse to commit a migration that left a reference dangling."""
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL checked each reference as it was written
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        tables = sorted({row[0] for row in broken})
        raise SchemaMismatch(
            f"the migration would leave {len(broken)} row(s) of {', '.join(tables)} pointing "
            "at rows that are not there: nothing was changed"
        )


def database_version(engine: Engine) -> int | None:
    """The schema version of the database; None if it holds no tables at all.

    Raises ``SchemaMismatch`` for a database that has tables but is not ours.
    """
    tables = set(inspect(engine).get_table_names())
    if not tables:
        return None
    if "schema_info" not in tables:
        raise SchemaMismatch(
            f"the database holds tables ({', '.join(sorted(tables)[:5])}…) but no Grid Command "
            "schema: point DATABASE_URL at an empty database or a Grid Command one"
        )
    with engine.connect() as conn:
        value = conn.execute(
            select(schema.schema_info.c.value).where(schema.schema_info.c.key == "version")
        ).scalar()
    return int(value) if value is not None else 0


def ensure_schema(engine: Engine) -> bool:
    """Create the schema in an empty database; check the version of any other.

    Returns True when the schema was created now.

    Raises
    ------
    SchemaMismatch
        The database was made by an older or newer version of Grid Command; it
        is left untouched and the message says what to do.
    """
    version = database_version(engine)
    if version is None:
        use_wal(engine)
        with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            schema.metadata.create_all(conn)
            conn.execute(
                schema.schema_info.insert(),
                [{"key": "version", "value": str(schema.SCHEMA_VERSION)}],
            )
        return True
    if version < schema.SCHEMA_VERSION:
        raise SchemaMismatch(
            f"the database has schema version {version}, this code needs "
            f"{schema.SCHEMA_VERSION}: back it up, then run `python app.py migrate`"
        )
    if version > schema.SCHEMA_VERSION:
        raise SchemaMismatch(
            f"the database has schema version {version}, newer than this code's "
            f"{schema.SCHEMA_VERSION}: run the Grid Command release that made it"
        )
    use_wal(engine)
    return False


def migrate(engine: Engine) -> list[int]:
    """Apply every step from the database's version to the current one.

    All steps run in one transaction; returns the versions reached.
    """
    version = database_version(engine)
    if version is None:
        ensure_schema(engine)
        return [schema.SCHEMA_VERSION]
    if version > schema.SCHEMA_VERSION:
        raise SchemaMismatch(
            f"the database has schema version {version}, newer than this code's "
            f"{schema.SCHEMA_VERSION}: nothing to migrate"
        )
    missing = [v for v in range(version + 1, schema.SCHEMA_VERSION + 1) if v not in STEPS]
    if missing:
        raise SchemaMismatch(
            f"no migration from schema version {version} to {schema.SCHEMA_VERSION} "
            f"(missing steps {missing}): restore a backup made by a newer release"
        )
    reached = []
    with (
        engine.connect().execution_options(**{WRITE: True}) as conn,
        _foreign_keys_off(conn),
        conn.begin(),
    ):
        for target in range(version + 1, schema.SCHEMA_VERSION + 1):
            STEPS[target](conn)
            reached.append(target)
        _check_foreign_keys(conn)
        conn.execute(
            schema.schema_info.update()
            .where(schema.schema_info.c.key == "version")
            .values(value=str(schema.SCHEMA_VERSION))
        )
    return reached
