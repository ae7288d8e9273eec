"""The store's part for the town review: lean reads of a period's incidents.

Mixed into ``data.store.Store``. A review at region scale reads hundreds of
thousands of rows, so these reads take only the columns the figures need and
turn timestamps into epoch seconds in SQL (decoding datetimes row by row in
Python cost seconds); pandas turns the numbers back into UTC times at once.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from sqlalchemy import Float, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from data import schema

_TIMES = ("reported_at", "first_contact_at", "resolved_at", "due_contact_at", "due_resolve_at")


class epoch_seconds(FunctionElement):
    """Seconds since 1970 of a UTC timestamp column, as a float, on every backend."""

    type = Float()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # Stored as naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff": whole seconds from
    # strftime, the fraction from the text, so the sum is exact to the
    # microsecond (julianday's float is not, and could cross a midnight).
    column = compiler.process(element.clauses, **kw)
    return (
        f"(CAST(strftime('%s', substr({column}, 1, 19)) AS INTEGER)"
        f" + COALESCE(CAST(substr({column}, 20) AS REAL), 0.0))"
    )


@compiles(epoch_seconds)
def _epoch_default(element, compiler, **kw):
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


def _utc(seconds: pd.Series) -> pd.Series:
    # Whole microseconds: a float of epoch seconds holds them, not exactly.
    values = (pd.to_numeric(seconds, errors="coerce").astype(float) * 1e6).round()
    return pd.to_datetime(values, unit="us", utc=True).astype("datetime64[us, UTC]")


class ReviewStore:
    """Reads of the review screen and its exports."""

    def review_rows(self, ids: Iterable[int] | None = None) -> pd.DataFrame:
        """Every incident (or those with row ``ids``) with what the figures need.

        Columns id, public_id, town_code, community_code, grid_code, category,
        channel, status, priority, satisfaction and the UTC times reported_at,
        first_contact_at, resolved_at, due_contact_at, due_resolve_at.
        """
        i, g = schema.incidents, schema.grids
        statement = select(
            i.c.id,
            i.c.public_id,
            i.c.town_code,
            g.c.community_code,
            i.c.grid_code,
            i.c.category,
            i.c.channel,
            i.c.status,
            i.c.priority,
            i.c.satisfaction,
            *(epoch_seconds(i.c[name]).label(name) for name in _TIMES),
        ).outerjoin(g, g.c.code == i.c.grid_code)
        if ids is not None:
            statement = statement.where(i.c.id.in_([int(v) for v in ids]))
        frame = self._fast_frame(statement)
        for name in _TIMES:
            frame[name] = _utc(frame[name])
        frame["id"] = pd.to_numeric(frame["id"]).astype(np.int64)
        frame["priority"] = pd.to_numeric(frame["priority"]).astype(np.int64)
        frame["satisfaction"] = pd.to_numeric(frame["satisfaction"], errors="coerce")
        return frame

    def _fast_frame(self, statement) -> pd.DataFrame:
        """A frame straight from the driver's cursor: for reads of hundreds of
        thousands of rows, SQLAlchemy's row objects cost more than the query."""
        compiled = statement.compile(
            dialect=self.engine.dialect, compile_kwargs={"render_postcompile": True}
        )
        positional = compiled.positiontup is not None and bool(compiled.positiontup)
        params = (
            tuple(compiled.params[name] for name in compiled.positiontup)
            if positional
            else compiled.params
        )
        with self.engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()
            try:
                cursor.execute(str(compiled), params)
                columns = [d[0] for d in cursor.description]
                found = cursor.fetchall()
            finally:
                cursor.close()
        return pd.DataFrame(found, columns=columns)

    def changed_entities(self, since: int, limit: int) -> pd.DataFrame:
        """Change-feed positions after ``since``: columns seq, entity, entity_id
        (no payloads), oldest first, at most ``limit``."""
        f = schema.change_feed
        return self._frame(
            select(f.c.seq, f.c.entity, f.c.entity_id)
            .where(f.c.seq > since)
            .order_by(f.c.seq)
            .limit(limit)
        )

    def review_incident_list(self, ids: Iterable[int]) -> pd.DataFrame:
        """The incidents a drill-down lists: id, public_id, category, status,
        priority, description, address, reported_at, resolved_at, satisfaction."""
        i = schema.incidents
        wanted = [int(v) for v in ids]
        if not wanted:
            return pd.DataFrame(
                columns=[
                    "id",
                    "public_id",
                    "category",
                    "status",
                    "priority",
                    "description",
                    "address",
                    "reported_at",
                    "resolved_at",
                    "satisfaction",
                ]
            )
        statement = (
            select(
                i.c.id,
                i.c.public_id,
                i.c.category,
                i.c.status,
                i.c.priority,
                i.c.description,
                i.c.address,
                i.c.reported_at,
                i.c.resolved_at,
                i.c.satisfaction,
            )
            .where(i.c.id.in_(wanted))
            .order_by(i.c.reported_at.desc(), i.c.id.desc())
        )
        return self._frame(statement)

    def review_units(self) -> dict[str, pd.DataFrame]:
        """The towns, communities and grids without their shapes (fast), for
        joining figures to names and populations."""
        t, c, g, k = schema.towns, schema.communities, schema.grids, schema.cadres
        towns = self._frame(
            select(
                t.c.code, t.c.name, t.c.name_en, t.c.population, t.c.households, t.c.lon, t.c.lat
            ).order_by(t.c.code)
        )
        communities = self._frame(
            select(
                c.c.code, c.c.town_code, c.c.name, c.c.population, c.c.households, c.c.lon, c.c.lat
            ).order_by(c.c.code)
        )
        grids = self._frame(
            select(
                g.c.code,
                g.c.town_code,
                g.c.community_code,
                g.c.name,
                g.c.population,
                g.c.households,
                g.c.lon,
                g.c.lat,
                g.c.minx,
                g.c.miny,
                g.c.maxx,
                g.c.maxy,
                g.c.worker_id,
                k.c.name.label("worker_name"),
                k.c.phone.label("worker_phone"),
                g.c.secretary,
            )
            .outerjoin(k, k.c.id == g.c.worker_id)
            .order_by(g.c.code)
        )
        return {"towns": towns, "communities": communities, "grids": grids}
