"""An INSERT whose rows are made ready for the driver before the write.

SQLAlchemy converts each value of each row through its column's type while
the statement runs. For the intake that is under the write lock, where every
writer of every worker waits for it (and, on a busy machine, for the GIL
between statements). ``DriverInsert`` converts rows with the same column
types' own bind processors when asked, in the caller's thread, and under the
lock runs one multi-row statement for them all: the driver then steps
once, not once a row, and on SQLite each step lets go of the GIL, which a
busy worker's request threads are slow to give back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

_MARK = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # positional marks by paramstyle
MAX_VALUES = 30_000  # values per statement (SQLite allows 32,766; PostgreSQL 65,535)


class DriverInsert:
    """``INSERT INTO table (columns) VALUES (…)`` with positional, driver-ready rows."""

    def __init__(self, table: Table, columns: Sequence[str], dialect: Dialect):
        if dialect.paramstyle not in _MARK:
            raise ValueError(f"no positional paramstyle for {dialect.paramstyle!r}")
        self.columns = tuple(columns)
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in self.columns)
        self._head = f"INSERT INTO {quote(table.name)} ({names}) VALUES "
        self._row = "(" + ", ".join(_MARK[dialect.paramstyle] for _ in self.columns) + ")"
        self._per_statement = max(1, MAX_VALUES // len(self.columns))
        self._sql: dict[int, str] = {}  # rows per statement -> its text
        self._convert: dict[str, Callable | None] = {
            c: table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in self.columns
        }

    def value(self, column: str, value):
        """``value`` as the driver takes it for ``column``."""
        convert = self._convert[column]
        return value if convert is None or value is None else convert(value)

    def values(self, row: dict, columns: Iterable[str]) -> tuple:
        """The driver-ready values of ``columns`` of ``row``, in that order."""
        return tuple(self.value(c, row.get(c)) for c in columns)

    def sql(self, count: int) -> str:
        """The statement inserting ``count`` rows."""
        text = self._sql.get(count)
        if text is None:
            text = self._sql[count] = self._head + ", ".join(itertools.repeat(self._row, count))
        return text

    def run(self, conn: Connection, rows: list[tuple]) -> None:
        """Insert ``rows`` (tuples in the order of ``columns``), in as few statements
        as the drivers' limit on values allows (one for any batch of the intake)."""
        for start in range(0, len(rows), self._per_statement):
            chunk = rows[start : start + self._per_statement]
            conn.exec_driver_sql(self.sql(len(chunk)), tuple(itertools.chain.from_iterable(chunk)))
