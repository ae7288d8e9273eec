"""The store's part for the city itself: its places and people, and loading it whole.

Mixed into ``data.store.Store``. Reads return frames (GeoDataFrames in WGS84,
EPSG:4326, where there are polygons); ``load_city`` writes a whole city in one
transaction with one audit entry and one change-feed entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pandas as pd
from sqlalchemy import Connection, delete, func, insert, select, text
from sqlalchemy.exc import DataError, IntegrityError

from data import rows, schema
from domain.errors import Conflict, InvalidInput
from domain.public_ids import public_id_for

if TYPE_CHECKING:  # imported where used: the command line starts without geopandas
    import geopandas as gpd

BBox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

_CHUNK = 5_000
# Tables of the city, in the order they can be filled (parents first).
_CITY_TABLES = ("towns", "communities", "departments", "pairings", "cadres", "grids", "incidents")


class CityStore:
    """Towns, communities, grids, departments and cadres (needs ``Store``'s
    frames, ``_transaction`` and ``_record``)."""

    def is_empty(self) -> bool:
        """True while no city has been loaded."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(schema.towns)).scalar() == 0

    def towns(self) -> gpd.GeoDataFrame:
        """Towns with their polygons, ordered by code."""
        t = schema.towns
        return self._geoframe(select(t).order_by(t.c.code))

    def communities(self, town: str | None = None) -> gpd.GeoDataFrame:
        """Communities and villages with their polygons, optionally of one town."""
        c = schema.communities
        statement = select(c).order_by(c.c.code)
        if town:
            statement = statement.where(c.c.town_code == town)
        return self._geoframe(statement)

    def grids(
        self, town: str | None = None, bbox: BBox | None = None, geometry: bool = True
    ) -> pd.DataFrame:
        """Grids with their community and grid worker's name.

        Parameters
        ----------
        town : str, optional
            Town code; all towns when None.
        bbox : (min lon, min lat, max lon, max lat), optional
            Only grids whose bounding box meets this one (WGS84 degrees).
        geometry : bool
            Return a GeoDataFrame with polygons; a plain DataFrame otherwise.
        """
        g, c, k = schema.grids, schema.communities, schema.cadres
        columns = [col for col in g.c if geometry or col.name != "geometry"]
        statement = (
            select(
                *columns,
                c.c.name.label("community_name"),
                k.c.name.label("worker_name"),
                k.c.phone.label("worker_phone"),
            )
            .join(c, c.c.code == g.c.community_code)
            .outerjoin(k, k.c.id == g.c.worker_id)
            .order_by(g.c.code)
        )
        if town:
            statement = statement.where(g.c.town_code == town)
        if bbox:
            statement = statement.where(*_bbox_clauses(g, bbox))
        return self._geoframe(statement) if geometry else self._frame(statement)

    def departments(self) -> pd.DataFrame:
        """Departments with the codes of the towns they are paired with."""
        d, p = schema.departments, schema.pairings
        frame = self._frame(select(d).order_by(d.c.id))
        pairs = self._frame(select(p))
        towns = pairs.groupby("department_id")["town_code"].agg(lambda s: sorted(s))
        frame["towns"] = frame["id"].map(towns).apply(lambda v: v if isinstance(v, list) else [])
        return frame

    def pairings(self) -> pd.DataFrame:
        """Department–town pairs with both names."""
        p, d, t = schema.pairings, schema.departments, schema.towns
        return self._frame(
            select(
                p.c.department_id,
                d.c.name.label("department"),
                p.c.town_code,
                t.c.name.label("town"),
            )
            .join(d, d.c.id == p.c.department_id)
            .join(t, t.c.code == p.c.town_code)
            .order_by(p.c.town_code, p.c.department_id)
        )

    def cadres(
        self, town: str | None = None, statuses: Iterable[str] | None = None
    ) -> pd.DataFrame:
        """Cadres with their last known position (WGS84) and department name."""
        k, d = schema.cadres, schema.departments
        statement = (
            select(k, d.c.name.label("department"))
            .outerjoin(d, d.c.id == k.c.department_id)
            .order_by(k.c.id)
        )
        if town:
            statement = statement.where(k.c.town_code == town)
        if statuses:
            statement = statement.where(k.c.status.in_(list(statuses)))
        return self._frame(statement)

    def table_counts(self) -> dict[str, int]:
        """Rows per table of the city, for health checks and the seed report."""
        with self.engine.connect() as conn:
            return {
                name: conn.execute(
                    select(func.count()).select_from(schema.metadata.tables[name])
                ).scalar()
                for name in _CITY_TABLES
            }

    def load_city(self, frames, *, actor: str = "seed", replace: bool = False) -> dict[str, int]:
        """Load a whole city (``data.demo_city.CityFrames`` or the same shape).

        All or nothing, in one transaction with one audit entry and one
        change-feed entry ("reload"). Refuses a database that already holds a
        city unless ``replace``, which first deletes everything of the city.
        Incidents without a ``public_id`` are numbered as live intake numbers
        them (``domain.public_ids``); given ones are kept.

        Returns the rows written per table.
        """
        table_rows = {
            "towns": rows.with_geometry(frames.towns),
            "communities": rows.with_geometry(frames.communities),
            "departments": rows.records(frames.departments),
            "pairings": rows.records(frames.pairings),
            "cadres": rows.records(frames.cadres),
            "grids": rows.with_geometry(frames.grids),
            "incidents": rows.records(frames.incidents),
        }
        try:
            return self._load_city(table_rows, actor=actor, replace=replace)
        except (IntegrityError, DataError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise InvalidInput(f"the city was not loaded, nothing was written: {reason}") from None

    def _load_city(self, rows: dict[str, list[dict]], *, actor: str, replace: bool):
        with self._transaction() as conn:
            existing = conn.execute(select(func.count()).select_from(schema.towns)).scalar()
            if existing and not replace:
                raise Conflict("the database already holds a city: use replace to load anew")
            if existing:
                for name in ("dispatches", "cadre_positions", *reversed(_CITY_TABLES)):
                    conn.execute(delete(schema.metadata.tables[name]))
            _number_incidents(conn, rows["incidents"])
            for name in _CITY_TABLES:
                table = schema.metadata.tables[name]
                for start in range(0, len(rows[name]), _CHUNK):
                    conn.execute(insert(table), rows[name][start : start + _CHUNK])
            counts = {name: len(rows[name]) for name in _CITY_TABLES}
            self._record(
                conn, actor=actor, action="load_city", entity="city", after=counts, op="reload"
            )
        return counts


def _number_incidents(conn: Connection, incidents: list[dict]) -> None:
    """Give incidents without a public id their row id now, and the public id
    made from it (``domain.public_ids``), so a seeded city reads like live
    intake. Public ids that came with the rows are kept."""
    if all(row.get("public_id") for row in incidents):
        return
    i = schema.incidents
    if conn.dialect.name == "postgresql":  # take the ids from the table's own sequence
        ids = (
            conn.execute(
                text(
                    "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) "
                    "FROM generate_series(1, :n)"
                ),
                {"n": len(incidents)},
            )
            .scalars()
            .all()
        )
    else:  # SQLite, in a write transaction: the next rowids are ours
        top = conn.execute(select(func.coalesce(func.max(i.c.id), 0))).scalar_one()
        ids = range(top + 1, top + 1 + len(incidents))
    for row, new_id in zip(incidents, ids, strict=True):
        row["id"] = int(new_id)
        if not row.get("public_id"):
            row["public_id"] = public_id_for(new_id, row["reported_at"])


def _bbox_clauses(table, bbox: BBox):
    minx, miny, maxx, maxy = bbox
    return (table.c.maxx >= minx, table.c.minx <= maxx, table.c.maxy >= miny, table.c.miny <= maxy)
