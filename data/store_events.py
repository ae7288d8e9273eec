"""The store's part for wartime events: declare one, end it, read them.

Mixed into ``data.store.Store``. Each write is one transaction with its audit
entry and change-feed entry; ending is a conditional update (``ended_at IS
NULL``), so two commanders ending the same event at once cannot both succeed.
The work on an event (tasks, progress, check-ins) is ``data.store_event_work``'s;
mobilising cadres is ``Store.dispatch`` to the event's tasks.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import shapely
from sqlalchemy import insert, select, update

from data import schema
from data.rows import WGS84, utcnow
from domain.errors import Conflict, NotFound
from domain.events import Declaration, check_can_end

if TYPE_CHECKING:  # imported where used: the command line starts without geopandas
    import geopandas as gpd

_COLUMNS = (
    "id",
    "name",
    "kind",
    "severity",
    "started_at",
    "ended_at",
    "created_by",
    "checkin_minutes",
)


class EventStore:
    """Declare, end and read events."""

    def declare_event(self, event: Declaration, *, actor: str) -> int:
        """Store a checked declaration; returns the new event's id."""
        row = {
            "name": event.name,
            "kind": event.kind,
            "severity": event.severity,
            "started_at": event.started_at,
            "area": shapely.to_wkb(event.area),
            "created_by": actor,
            "checkin_minutes": event.checkin_minutes,
        }
        with self._transaction() as conn:
            new_id = conn.execute(
                insert(schema.events).values(**row).returning(schema.events.c.id)
            ).scalar_one()
            summary = {
                key: row[key]
                for key in ("name", "kind", "severity", "started_at", "checkin_minutes")
            }
            self._record(
                conn,
                actor=actor,
                action="declare_event",
                entity="event",
                entity_id=new_id,
                after={**summary, "grids": list(event.grid_codes)},
                op="insert",
                payload={"id": new_id, **summary, "ended_at": None},
            )
        return new_id

    def end_event(self, event_id: int, *, actor: str, at: dt.datetime | None = None) -> dict:
        """End an event; refused (Conflict) when it has ended already."""
        at = at or utcnow()
        e = schema.events
        with self._transaction() as conn:
            current = (
                conn.execute(
                    select(e.c.started_at, e.c.ended_at, e.c.name).where(e.c.id == event_id)
                )
                .mappings()
                .first()
            )
            if current is None:
                raise no_event(event_id)
            check_can_end(current["ended_at"], current["started_at"], at)
            done = conn.execute(
                update(e).where(e.c.id == event_id, e.c.ended_at.is_(None)).values(ended_at=at)
            )
            if done.rowcount != 1:
                raise Conflict("the event has already ended", zh="该事件已经结束")
            self._record(
                conn,
                actor=actor,
                action="end_event",
                entity="event",
                entity_id=event_id,
                before={"ended_at": None},
                after={"ended_at": at},
                payload={"id": event_id, "ended_at": at},
            )
        return {"id": event_id, "ended_at": at}

    # ----------------------------------------------------------------- reads

    def events(self, *, active: bool | None = None) -> gpd.GeoDataFrame:
        """Events, newest first, with their areas (WGS84); ``active`` True for
        those not ended, False for ended ones, None for all."""
        e = schema.events
        condition = {True: e.c.ended_at.is_(None), False: e.c.ended_at.is_not(None)}.get(
            active, e.c.id.is_not(None)
        )
        return self._geoframe_of_event(condition)

    def event(self, event_id: int) -> dict:
        """One event with its area (``geometry``); NotFound when there is none."""
        e = schema.events
        found = self._geoframe_of_event(e.c.id == event_id)
        if not len(found):
            raise no_event(event_id)
        return found.iloc[0].to_dict()

    def _geoframe_of_event(self, condition) -> gpd.GeoDataFrame:
        import geopandas as gpd

        e = schema.events
        frame = self._frame(
            select(*(e.c[c] for c in _COLUMNS), e.c.area).where(condition).order_by(e.c.id.desc())
        )
        geometry = shapely.from_wkb(frame.pop("area").to_numpy()) if len(frame) else []
        return gpd.GeoDataFrame(frame, geometry=geometry, crs=WGS84)


def no_event(event_id: int) -> NotFound:
    """The error for an event id that names no event."""
    return NotFound(f"no event {event_id}", zh=f"没有编号为 {event_id} 的战时事件")
