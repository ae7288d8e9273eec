"""The store's frames are built from plain tuples (data.rows.frame_of), with the
values and column types pandas gives SQLAlchemy's rows, on both backends."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select

from data import rows, schema


def _row_built(conn, statement) -> pd.DataFrame:
    """The frame as pandas builds it from SQLAlchemy's Row objects (slowly)."""
    result = conn.execute(statement)
    return pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))


def test_frames_from_tuples_equal_those_from_rows_value_for_value(city_store):
    statements = [
        select(schema.incidents),
        select(schema.cadres),
        select(schema.grids.c.code, schema.grids.c.town_code),
        select(schema.change_feed).order_by(schema.change_feed.c.seq),
    ]
    with city_store.engine.connect() as conn:
        for statement in statements:
            fast = rows.frame_of(conn.execute(statement))
            assert len(fast) > 0
            pd.testing.assert_frame_equal(fast, _row_built(conn, statement))


def test_an_empty_result_keeps_its_columns(city_store):
    statement = select(schema.incidents.c.id, schema.incidents.c.status).where(
        schema.incidents.c.id < 0
    )
    with city_store.engine.connect() as conn:
        empty = rows.frame_of(conn.execute(statement))
    assert list(empty.columns) == ["id", "status"] and len(empty) == 0
    assert list(city_store.cadres(town="none").columns) == list(city_store.cadres().columns)
