"""What a cadre's phone reads: their active tasks, their event's check-in,
their tasks' figures.

Mixed into ``data.store.Store``; the actions are ``data.store_field_app``'s.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select, update

from data import rows, schema
from domain.errors import NotFound


class FieldReadStore:
    """Reads of the field app (needs ``Store``'s engine and ``_transaction``)."""

    def field_tasks(self, cadre_id: int) -> pd.DataFrame:
        """The cadre's active assignments with their incidents (one row each)."""
        d, i = schema.dispatches, schema.incidents
        with self.engine.connect() as conn:
            frame = rows.frame_of(
                conn.execute(
                    select(
                        d.c.id.label("dispatch_id"),
                        d.c.incident_id,
                        d.c.sent_at,
                        d.c.seen_at,
                        d.c.accepted_at,
                        d.c.arrived_at,
                        i.c.public_id,
                        i.c.category,
                        i.c.description,
                        i.c.address,
                        i.c.lon,
                        i.c.lat,
                        i.c.grid_code,
                        i.c.headcount,
                        i.c.due_resolve_at,
                        i.c.status.label("incident_status"),
                        i.c.event_id,
                        i.c.priority,
                    )
                    .join(i, i.c.id == d.c.incident_id)
                    .where(d.c.cadre_id == cadre_id, d.c.released_at.is_(None))
                )
            )
        return frame

    def field_task(self, cadre_id: int, dispatch_id: int) -> dict | None:
        """The cadre's active assignment ``dispatch_id`` with its incident's place
        and event; None when it is not theirs or no longer active."""
        d, i = schema.dispatches, schema.incidents
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(
                        d.c.id.label("dispatch_id"),
                        d.c.incident_id,
                        d.c.arrived_at,
                        d.c.arrived_lon,
                        d.c.arrived_lat,
                        i.c.lon,
                        i.c.lat,
                        i.c.event_id,
                        i.c.status.label("incident_status"),
                    )
                    .join(i, i.c.id == d.c.incident_id)
                    .where(
                        d.c.id == dispatch_id,
                        d.c.cadre_id == cadre_id,
                        d.c.released_at.is_(None),
                    )
                )
                .mappings()
                .first()
            )
        return dict(row) if row else None

    def field_cadre(self, cadre_id: int) -> dict:
        """The cadre as their phone shows them."""
        k = schema.cadres
        with self.engine.connect() as conn:
            row = (
                conn.execute(
                    select(
                        k.c.id, k.c.name, k.c.role, k.c.status, k.c.town_code, k.c.lon, k.c.lat
                    ).where(k.c.id == cadre_id)
                )
                .mappings()
                .first()
            )
        if row is None:
            raise NotFound(f"no cadre with id {cadre_id}", zh=f"没有编号为 {cadre_id} 的干部")
        return dict(row)

    def mark_tasks_seen(self, cadre_id: int, dispatch_ids: list[int]) -> None:
        """Stamp when the cadre's phone first showed these assignments."""
        if not dispatch_ids:
            return
        d = schema.dispatches
        with self._transaction() as conn:
            conn.execute(
                update(d)
                .where(d.c.id.in_(dispatch_ids), d.c.cadre_id == cadre_id, d.c.seen_at.is_(None))
                .values(seen_at=rows.utcnow())
            )

    def field_checkin_state(self, cadre_id: int) -> dict | None:
        """The running event the cadre is mobilised for, with its check-in
        interval and the cadre's last check-in; None when there is none."""
        d, i, e, c = schema.dispatches, schema.incidents, schema.events, schema.checkins
        with self.engine.connect() as conn:
            event = (
                conn.execute(
                    select(e.c.id, e.c.name, e.c.checkin_minutes)
                    .join(i, i.c.event_id == e.c.id)
                    .join(d, d.c.incident_id == i.c.id)
                    .where(
                        d.c.cadre_id == cadre_id, d.c.released_at.is_(None), e.c.ended_at.is_(None)
                    )
                )
                .mappings()
                .first()
            )
            if event is None:
                return None
            last = conn.execute(
                select(func.max(c.c.at)).where(
                    c.c.event_id == event["id"], c.c.cadre_id == cadre_id
                )
            ).scalar()
        return {**dict(event), "last_at": last}

    def measures_of_tasks(self, incident_ids: list[int]) -> pd.DataFrame:
        """The figures (measure, target, done) of these event tasks."""
        m = schema.task_measures
        if not incident_ids:
            return pd.DataFrame(columns=["incident_id", "measure", "target", "done"])
        with self.engine.connect() as conn:
            return rows.frame_of(
                conn.execute(
                    select(m.c.incident_id, m.c.measure, m.c.target, m.c.done)
                    .where(m.c.incident_id.in_(incident_ids))
                    .order_by(m.c.incident_id, m.c.measure)
                )
            )
