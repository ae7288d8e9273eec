"""Every read and every write of Grid Command's data.

Reads return pandas DataFrames, or GeoDataFrames in WGS84 (EPSG:4326) where
geometry is asked for. Each write is one transaction that also appends an audit
entry (who, when, what, before → after) and a change-feed entry (a sequence
number that only grows, in commit order) so live screens can ask "what changed
since N". SQL lives in ``data/`` only.

``Store`` is the one gateway. It holds the connection, the transaction and the
journal (audit log and change feed), and is made of one mixin per part:
``store_city`` (places, people, loading a city), ``store_incidents``,
``store_lifecycle`` (every move of an incident's status), ``store_dispatch``,
``store_field`` (cadres' reports), ``store_intake`` (citizens' reports),
``store_idempotency``, ``store_keys`` (API keys), ``store_auth`` (users,
sessions), ``store_review``, ``store_events``, ``store_event_work``,
``store_import``, ``store_rosters`` and ``store_predictions`` (the models'
history and runs, recurring spots' decisions and proactive cases) and
``store_resident`` (the residents' page: follows, ratings, "me too").
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, func, insert, select, text

from data import rows, schema
from data.engine import WRITE, backend_name, make_engine, writer_lock
from data.group_commit import GroupCommitter
from data.migrations import ensure_schema
from data.rows import WGS84, utcnow
from data.store_auth import AuthStore
from data.store_city import CityStore
from data.store_dispatch import DispatchStore
from data.store_event_work import EventWorkStore
from data.store_events import EventStore
from data.store_field import FieldStore
from data.store_field_app import FieldAppStore
from data.store_field_reads import FieldReadStore
from data.store_field_sessions import FieldSessionStore
from data.store_idempotency import IdempotencyStore
from data.store_import import ImportStore
from data.store_incidents import IncidentStore
from data.store_intake import IntakeStore
from data.store_keys import ApiKeyStore
from data.store_lifecycle import LifecycleStore
from data.store_outbox import OutboxStore
from data.store_outbox_desk import OutboxDeskStore
from data.store_photos import PhotoStore
from data.store_predictions import PredictionStore
from data.store_resident import ResidentStore
from data.store_review import ReviewStore
from data.store_rosters import RosterStore

if TYPE_CHECKING:  # imported where used: the command line starts without geopandas
    import geopandas as gpd

# PostgreSQL hands out sequence numbers in insert order, not commit order; a
# transaction-scoped advisory lock around the feed append makes them the same.
_FEED_LOCK = 7_352_001
# Change-feed entities whose changes move boundaries.
_GEOMETRY_ENTITIES = ("city", "town", "community", "grid")

# Statements built once: building them per write cost more than running them.
_AUDIT_INSERT = insert(schema.audit_log)
_FEED_INSERT = insert(schema.change_feed).returning(schema.change_feed.c.seq)
_GEOMETRY_VERSION = select(func.max(schema.change_feed.c.seq)).where(
    schema.change_feed.c.entity.in_(_GEOMETRY_ENTITIES)
)
# The same as the driver's own text, the same on both backends: the intake's
# writer reads it once per transaction, where SQLAlchemy's compiling of the
# expanding IN cost ten times the query (62 against 6 µs on SQLite).
_GEOMETRY_VERSION_SQL = str(_GEOMETRY_VERSION.compile(compile_kwargs={"literal_binds": True}))


class Store(
    CityStore,
    IncidentStore,
    IntakeStore,
    IdempotencyStore,
    ApiKeyStore,
    LifecycleStore,
    DispatchStore,
    FieldStore,
    FieldAppStore,
    FieldReadStore,
    FieldSessionStore,
    PhotoStore,
    OutboxStore,
    OutboxDeskStore,
    AuthStore,
    ReviewStore,
    EventStore,
    EventWorkStore,
    ImportStore,
    RosterStore,
    PredictionStore,
    ResidentStore,
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
        self._key_cache: dict = {}  # ApiKeyStore.client_for_key(cached=True)
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

    # ----------------------------------------------------------------- frames

    def _frame(self, statement) -> pd.DataFrame:
        with self.engine.connect() as conn:
            return rows.frame_of(conn.execute(statement))

    def _listing(self, statement) -> pd.DataFrame:
        """Rows for people to read: a frame whose missing values are None."""
        return rows.none_for_missing(self._frame(statement))

    def _geoframe(self, statement) -> gpd.GeoDataFrame:
        import geopandas as gpd

        frame = self._frame(statement)
        geometry = shapely.from_wkb(frame.pop("geometry").to_numpy()) if len(frame) else []
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)

    # ------------------------------------------- the journal: audit and feed

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
        return conn.exec_driver_sql(_GEOMETRY_VERSION_SQL).scalar() or 0

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
