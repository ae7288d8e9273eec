"""Every read and every write of Grid Command's data.

Reads return pandas DataFrames, or GeoDataFrames in WGS84 (EPSG:4326) where
geometry is asked for. Each write is one transaction that also appends an audit
entry (who, when, what, before → after) and a change-feed entry (a sequence
number that only grows, in commit order) so live screens can ask "what changed
since N". SQL lives here and in ``data.schema`` only.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, case, delete, func, insert, select, text, update
from sqlalchemy.exc import DataError, IntegrityError

from data import rows, schema
from data.engine import WRITE, backend_name, make_engine, writer_lock
from data.group_commit import GroupCommitter
from data.migrations import ensure_schema
from data.rows import WGS84, utcnow
from data.store_auth import AuthStore
from data.store_dispatch import DispatchStore
from data.store_events import EventStore
from data.store_import import ImportStore
from data.store_intake import IntakeStore
from data.store_lifecycle import LifecycleStore
from data.store_review import ReviewStore
from data.store_rosters import RosterStore
from domain.errors import Conflict, InvalidInput
from domain.lifecycle import OPEN_STATUSES
from domain.public_ids import public_id_for

if TYPE_CHECKING:  # imported where used: the command line starts without geopandas
    import geopandas as gpd

BBox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

# PostgreSQL hands out sequence numbers in insert order, not commit order; a
# transaction-scoped advisory lock around the feed append makes them the same.
_FEED_LOCK = 7_352_001
_CHUNK = 5_000
# Change-feed entities whose changes move boundaries.
_GEOMETRY_ENTITIES = ("city", "town", "community", "grid")

# Statements built once: building them per write cost more than running them.
_AUDIT_INSERT = insert(schema.audit_log)
_FEED_INSERT = insert(schema.change_feed).returning(schema.change_feed.c.seq)
_GEOMETRY_VERSION = select(func.max(schema.change_feed.c.seq)).where(
    schema.change_feed.c.entity.in_(_GEOMETRY_ENTITIES)
)

# Tables of the city, in the order they can be filled (parents first).
_CITY_TABLES = ("towns", "communities", "departments", "pairings", "cadres", "grids", "incidents")


class Store(
    IntakeStore,
    LifecycleStore,
    DispatchStore,
    AuthStore,
    ReviewStore,
    EventStore,
    ImportStore,
    RosterStore,
):
    """The project's single gateway to the database.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        From ``data.engine.make_engine``; the schema must be in place.
    """

    def __init__(self, engine: Engine, *, sla_policy=None):
        self.engine = engine
        self.backend = backend_name(engine)
        self._writer_lock = writer_lock(engine)
        self._group = GroupCommitter(self._transaction)
        self._key_cache: dict = {}  # IntakeStore.client_for_key(cached=True)
        self._driver_inserts: dict = {}  # IntakeStore._driver_insert
        self._intake_writer = None  # IntakeStore.use_intake_writer: a WriterClient
        self.sla_policy = sla_policy  # domain.sla.SlaPolicy in force; None is the default policy

    @classmethod
    def open(cls, url: str, *, sla_policy=None) -> Store:
        """Connect to ``url``, create the schema if the database is empty.

        ``sla_policy`` (``domain.sla.SlaPolicy``, None for the default) sets
        the deadlines of every action this store applies: pass the settings'.

        Raises ``Unavailable`` or ``SchemaMismatch`` with a message for people.
        """
        engine = make_engine(url)
        try:
            ensure_schema(engine)
        except BaseException:
            engine.dispose()  # a refused database leaves no connection behind
            raise
        return cls(engine, sla_policy=sla_policy)

    def close(self) -> None:
        self.use_intake_writer(None)
        self._group.close()
        self.engine.dispose()

    # ------------------------------------------------------------------ reads

    def _frame(self, statement) -> pd.DataFrame:
        with self.engine.connect() as conn:
            result = conn.execute(statement)
            return pd.DataFrame.from_records(result.fetchall(), columns=list(result.keys()))

    def _listing(self, statement) -> pd.DataFrame:
        """Rows for people to read: a frame whose missing values are None."""
        return rows.none_for_missing(self._frame(statement))

    def _geoframe(self, statement) -> gpd.GeoDataFrame:
        import geopandas as gpd

        frame = self._frame(statement)
        geometry = shapely.from_wkb(frame.pop("geometry").to_numpy()) if len(frame) else []
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)

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

    def incidents(
        self,
        statuses: Iterable[str] | None = None,
        *,
        town: str | None = None,
        bbox: BBox | None = None,
        since: dt.datetime | None = None,
        limit: int | None = None,
        public_ids: Iterable[str] | None = None,
        ids: Iterable[int] | None = None,
        categories: Iterable[str] | None = None,
        reported: tuple[dt.datetime | None, dt.datetime | None] | None = None,
    ) -> pd.DataFrame:
        """Incidents, newest first.

        Parameters
        ----------
        statuses : iterable of str, optional
            Lifecycle statuses to keep; all when None.
        town : str, optional
            Town code.
        bbox : (min lon, min lat, max lon, max lat), optional
            WGS84 degrees.
        since : datetime, optional
            Only incidents changed at or after this time (UTC).
        limit : int, optional
            At most this many rows.
        public_ids, categories : iterables of str, optional
            Only these incidents, or these categories.
        ids : iterable of int, optional
            Only the incidents with these row ids.
        reported : (start, end), optional
            Reported within these times (UTC, either end open when None).
        """
        i, g = schema.incidents, schema.grids
        statement = (
            select(i, g.c.name.label("grid_name"))
            .outerjoin(g, g.c.code == i.c.grid_code)
            .order_by(i.c.reported_at.desc(), i.c.id.desc())
        )
        if statuses is not None:
            statement = statement.where(i.c.status.in_(list(statuses)))
        if town:
            statement = statement.where(i.c.town_code == town)
        if bbox:
            statement = statement.where(
                i.c.lon >= bbox[0], i.c.lat >= bbox[1], i.c.lon <= bbox[2], i.c.lat <= bbox[3]
            )
        if since is not None:
            statement = statement.where(i.c.updated_at >= since)
        if public_ids is not None:
            statement = statement.where(i.c.public_id.in_(list(public_ids)))
        if ids is not None:
            statement = statement.where(i.c.id.in_([int(v) for v in ids]))
        if categories is not None:
            statement = statement.where(i.c.category.in_(list(categories)))
        if reported is not None:
            start, end = reported
            if start is not None:
                statement = statement.where(i.c.reported_at >= start)
            if end is not None:
                statement = statement.where(i.c.reported_at <= end)
        if limit is not None:
            statement = statement.limit(limit)
        return self._frame(statement)

    def open_load(self) -> pd.DataFrame:
        """Open incidents per grid: columns grid_code, open, urgent (priority 1)."""
        i = schema.incidents
        urgent = func.sum(case((i.c.priority == 1, 1), else_=0))
        return self._frame(
            select(i.c.grid_code, func.count().label("open"), urgent.label("urgent"))
            .where(i.c.status.in_(sorted(OPEN_STATUSES)), i.c.grid_code.is_not(None))
            .group_by(i.c.grid_code)
        )

    def reported_since(self, since: dt.datetime) -> int:
        """How many incidents were reported at or after ``since`` (UTC)."""
        i = schema.incidents
        with self.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(i).where(i.c.reported_at >= since)
            ).scalar()

    def latest_seq(self) -> int:
        """The newest change-feed sequence number; 0 when the feed is empty."""
        with self.engine.connect() as conn:
            return conn.execute(select(func.max(schema.change_feed.c.seq))).scalar() or 0

    def geometry_version(self) -> int:
        """Change-feed position of the last change to any boundary (0 if none).

        Caches of geometry compare it to know when to rebuild.
        """
        with self.engine.connect() as conn:
            return self._geometry_version_in(conn)

    @staticmethod
    def _geometry_version_in(conn: Connection) -> int:
        return conn.execute(_GEOMETRY_VERSION).scalar() or 0

    def changes_since(self, seq: int, limit: int = 1000) -> pd.DataFrame:
        """Change-feed entries after ``seq``, oldest first, payloads decoded."""
        f = schema.change_feed
        frame = self._frame(select(f).where(f.c.seq > seq).order_by(f.c.seq).limit(limit))
        frame["payload"] = frame["payload"].map(
            lambda p: json.loads(p) if isinstance(p, str) and p else None
        )
        return frame

    def incident_history(self, incident_id: int) -> pd.DataFrame:
        """Every audited move of one incident, oldest first: at, actor, action, before, after."""
        a = schema.audit_log
        return self._listing(
            select(a.c.at, a.c.actor, a.c.action, a.c.before, a.c.after)
            .where(a.c.entity == "incident", a.c.entity_id == str(incident_id))
            .order_by(a.c.id)
        )

    def audit(self, limit: int = 100) -> pd.DataFrame:
        """The newest audit entries, newest first."""
        a = schema.audit_log
        return self._listing(select(a).order_by(a.c.id.desc()).limit(limit))

    def table_counts(self) -> dict[str, int]:
        """Rows per table of the city, for health checks and the seed report."""
        with self.engine.connect() as conn:
            return {
                name: conn.execute(
                    select(func.count()).select_from(schema.metadata.tables[name])
                ).scalar()
                for name in _CITY_TABLES
            }

    # ----------------------------------------------------------------- writes

    @contextmanager
    def _transaction(self) -> Iterator[Connection]:
        with (
            self._writer_lock(),
            self.engine.connect().execution_options(**{WRITE: True}) as conn,
            conn.begin(),
        ):
            yield conn

    def _record(
        self,
        conn: Connection,
        *,
        actor: str,
        action: str,
        entity: str,
        entity_id: object = None,
        before: dict | None = None,
        after: dict | None = None,
        op: str = "update",
        payload: dict | None = None,
        feed: bool = True,
    ) -> int | None:
        """Append the audit entry and the change-feed entry of a write.

        Returns the change-feed sequence number. With ``feed=False`` only the
        audit entry is written: sign-ins, users and keys are not city state,
        and the change feed, which screens and integrations read, must not
        broadcast them.
        """
        now = utcnow()
        key = None if entity_id is None else str(entity_id)
        conn.execute(
            _AUDIT_INSERT,
            {
                "at": now,
                "actor": actor,
                "action": action,
                "entity": entity,
                "entity_id": key,
                "before": rows.json_text(before),
                "after": rows.json_text(after),
            },
        )
        if not feed:
            return None
        if self.backend == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _FEED_LOCK})
        payload_text = rows.json_text(payload if payload is not None else after)
        result = conn.execute(
            _FEED_INSERT,
            {"at": now, "entity": entity, "entity_id": key, "op": op, "payload": payload_text},
        )
        return result.scalar_one()

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

    def add_incident(self, values: dict, *, actor: str) -> int:
        """Insert one incident (already validated by the domain); returns its id.

        Without a ``public_id`` it is numbered like every new incident
        (``domain.public_ids``)."""
        now = utcnow()
        row = {"status": "reported", "reported_at": now, "updated_at": now, **values}
        numbered = bool(row.get("public_id"))
        if not numbered:  # replaced by the house format once the row id is known
            row["public_id"] = "pending-" + secrets.token_hex(8)
        with self._transaction() as conn:
            if row.get("grid_code") is not None:
                grid = conn.execute(
                    select(schema.grids.c.code).where(schema.grids.c.code == row["grid_code"])
                ).scalar()
                if grid is None:
                    raise InvalidInput(f"no grid with code {row['grid_code']!r}")
            new_id = conn.execute(
                insert(schema.incidents).values(**row).returning(schema.incidents.c.id)
            ).scalar_one()
            if not numbered:
                row["public_id"] = public_id_for(new_id, row["reported_at"])
                conn.execute(
                    update(schema.incidents)
                    .where(schema.incidents.c.id == new_id)
                    .values(public_id=row["public_id"])
                )
            self._record(
                conn,
                actor=actor,
                action="add_incident",
                entity="incident",
                entity_id=new_id,
                after=row,
                op="insert",
                payload=rows.feed_incident({**row, "id": new_id}),
            )
        return new_id

    def record_positions(self, positions: Sequence[dict], *, actor: str) -> int:
        """Store a batch of cadre positions (cadre_id, lon, lat, recorded_at, WGS84).

        Appends each to the history and moves the cadre's last known position
        when the report is newer. Returns the number stored.
        """
        if not positions:
            return 0
        k = schema.cadres
        ids = sorted({int(p["cadre_id"]) for p in positions})
        with self._transaction() as conn:
            known = set(conn.execute(select(k.c.id).where(k.c.id.in_(ids))).scalars())
            unknown = sorted(set(ids) - known)
            if unknown:
                raise InvalidInput(f"no cadre with id {unknown[0]}")
            conn.execute(insert(schema.cadre_positions), [dict(p) for p in positions])
            latest: dict[int, dict] = {}
            for p in positions:
                best = latest.get(p["cadre_id"])
                if best is None or p["recorded_at"] > best["recorded_at"]:
                    latest[p["cadre_id"]] = p
            for cadre_id, p in latest.items():
                conn.execute(
                    update(k)
                    .where(k.c.id == cadre_id)
                    .where((k.c.position_at.is_(None)) | (k.c.position_at < p["recorded_at"]))
                    .values(lon=p["lon"], lat=p["lat"], position_at=p["recorded_at"])
                )
            self._record(
                conn,
                actor=actor,
                action="record_positions",
                entity="cadre",
                after={"count": len(positions)},
                payload={
                    "positions": [
                        {"id": c, "lon": p["lon"], "lat": p["lat"]} for c, p in latest.items()
                    ]
                },
            )
        return len(positions)


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
