"""The store's part for incidents: reading them, adding one, the load of open work.

Mixed into ``data.store.Store``. Moving an incident through its lifecycle is
``data.store_lifecycle``'s; citizens' reports come in by ``data.store_intake``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable

import pandas as pd
from sqlalchemy import Connection, case, func, insert, select, update

from data import rows, schema
from data.rows import utcnow
from data.store_city import BBox
from domain.errors import InvalidInput
from domain.lifecycle import OPEN_STATUSES
from domain.public_ids import public_id_for


class IncidentStore:
    """Incident reads and the insert of one incident (needs ``Store``'s
    frames, ``_transaction`` and ``_record``)."""

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
        channels: Iterable[str] | None = None,
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
        channels : iterable of str, optional
            Only incidents that came by these channels (e.g. 'proactive').
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
        if channels is not None:
            statement = statement.where(i.c.channel.in_(list(channels)))
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

    def add_incident(self, values: dict, *, actor: str) -> int:
        """Insert one incident (already validated by the domain); returns its id.

        Without a ``public_id`` it is numbered like every new incident
        (``domain.public_ids``)."""
        now = utcnow()
        row = {"status": "reported", "reported_at": now, "updated_at": now, **values}
        with self._transaction() as conn:
            new_id = self._insert_incident(conn, row)
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

    def _insert_incident(self, conn: Connection, row: dict) -> int:
        """Insert ``row`` in the caller's transaction; returns the new row id.

        Without a ``public_id`` the row is numbered once its id is known
        (``domain.public_ids``), and ``row`` gets it in place. Refuses
        (``InvalidInput``) a grid code that names no grid.
        """
        numbered = bool(row.get("public_id"))
        if not numbered:  # replaced by the house format once the row id is known
            row["public_id"] = "pending-" + secrets.token_hex(8)
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
        return new_id

    def incident_by_public_id(self, public_id: str) -> dict | None:
        """One incident as a dict, or None."""
        frame = self.incidents_by_public_ids([public_id])
        return frame.iloc[0].to_dict() if len(frame) else None

    def incidents_by_public_ids(self, public_ids: list[str]) -> pd.DataFrame:
        """Incidents with these public ids, in no particular order."""
        i = schema.incidents
        return self._frame(select(i).where(i.c.public_id.in_(public_ids)))

    def count_reports(self, client_id: int | None = None) -> int:
        """How many incidents are stored (of one client)."""
        i = schema.incidents
        statement = select(func.count()).select_from(i)
        if client_id is not None:
            statement = statement.where(i.c.client_id == client_id)
        with self.engine.connect() as conn:
            return conn.execute(statement).scalar()
