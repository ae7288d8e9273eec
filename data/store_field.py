"""The store's part for the field: cadres' reports from their phones.

Mixed into ``data.store.Store``. A cadre reports a status (arrived, done, off
duty, on duty), which stamps or releases their assignment and, on arrival,
starts work on the incident (``data.store_lifecycle``); field apps send
batches of positions, kept as a history. Each report is one transaction with
its audit entry and change-feed entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from contextlib import suppress

import pandas as pd
from sqlalchemy import Connection, insert, select, update

from data import rows, schema
from domain.errors import Conflict, InvalidInput, NotFound

FIELD_STATUSES = ("arrived", "done", "off_duty", "on_duty")


class FieldStore:
    """Cadres' status reports and positions (needs ``Store``'s frames,
    ``_transaction``, ``_record`` and ``LifecycleStore._move_incident``)."""

    # ---------------------------------------------------------------- writes

    def report_field_status(
        self, cadre_id: int, status: str, *, actor: str, at: dt.datetime | None = None
    ) -> dict:
        """A cadre's report from the field: arrived, done, off_duty or on_duty.

        ``arrived`` stamps the active assignment's arrival (and starts work on
        a dispatched incident); ``done`` releases the assignment and makes the
        cadre available; ``off_duty`` releases any assignment; ``on_duty``
        makes an off-duty cadre available. Returns the cadre's new status and
        the assignment touched (or None).
        """
        if status not in FIELD_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(FIELD_STATUSES)}, not {status!r}")
        at = at or rows.utcnow()
        k, d, i = schema.cadres, schema.dispatches, schema.incidents
        with self._transaction() as conn:
            # Lock the cadre first: two reports from one phone (a retried "done")
            # must not both release, the second freeing a cadre sent again since.
            cadre = (
                conn.execute(select(k).where(k.c.id == cadre_id).with_for_update())
                .mappings()
                .first()
            )
            if cadre is None:
                raise NotFound(f"no cadre with id {cadre_id}", zh=f"没有编号为 {cadre_id} 的干部")
            active = (
                conn.execute(select(d).where(d.c.cadre_id == cadre_id, d.c.released_at.is_(None)))
                .mappings()
                .first()
            )
            if status in ("arrived", "done") and active is None:
                raise InvalidInput(
                    f"cadre {cadre_id} has no active assignment to be {status} at",
                    zh="该干部当前没有派遣任务",
                )
            if status == "on_duty" and active is not None:
                raise InvalidInput(f"cadre {cadre_id} is on an assignment already")
            new_status = {
                "arrived": "on_site",
                "done": "available",
                "off_duty": "off_duty",
                "on_duty": "available",
            }[status]
            if status == "arrived":
                conn.execute(
                    update(d)
                    .where(d.c.id == active["id"], d.c.arrived_at.is_(None))
                    .values(arrived_at=at)
                )
                self._start_work(conn, active["incident_id"], actor, at)
            elif active is not None:  # done, or off duty in the middle of a task
                conn.execute(update(d).where(d.c.id == active["id"]).values(released_at=at))
            conn.execute(update(k).where(k.c.id == cadre_id).values(status=new_status))
            incident_public_id = None
            if active is not None:
                incident_public_id = conn.execute(
                    select(i.c.public_id).where(i.c.id == active["incident_id"])
                ).scalar()
            self._record(
                conn,
                actor=actor,
                action=f"field_{status}",
                entity="cadre",
                entity_id=cadre_id,
                before={"status": cadre["status"]},
                after={"status": new_status, "dispatch": active["id"] if active else None},
                payload={
                    "cadres": [
                        {
                            "id": cadre_id,
                            "status": new_status,
                            "lon": cadre["lon"],
                            "lat": cadre["lat"],
                        }
                    ]
                },
            )
        return {
            "cadre_id": cadre_id,
            "status": new_status,
            "dispatch_id": active["id"] if active else None,
            "incident": incident_public_id,
        }

    def _start_work(self, conn: Connection, incident_id: int, actor: str, at) -> None:
        """The first cadre on site starts work on a dispatched incident."""
        i = schema.incidents
        incident = dict(conn.execute(select(i).where(i.c.id == incident_id)).mappings().one())
        if incident["status"] == "dispatched":
            # Read unlocked: an incident moved on meanwhile (resolved, say) has
            # nothing to start, and the cadre's arrival still counts.
            with suppress(Conflict):
                self._move_incident(conn, incident, "start", actor=actor, at=at)

    def record_positions(self, positions: Sequence[dict], *, actor: str) -> int:
        """Store a batch of cadre positions (cadre_id, lon, lat, recorded_at, WGS84).

        Appends each to the history and moves the cadre's last known position
        when the report is newer. Returns the number stored.
        """
        if not positions:
            return 0
        with self._transaction() as conn:
            return self._record_positions(conn, positions, actor=actor)

    def _record_positions(self, conn: Connection, positions: Sequence[dict], *, actor: str) -> int:
        """``record_positions`` inside the caller's transaction (the field app's)."""
        k = schema.cadres
        ids = sorted({int(p["cadre_id"]) for p in positions})
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

    # ----------------------------------------------------------------- reads

    def position_history(
        self, cadre_ids: Iterable[int], since: dt.datetime | None = None, limit: int = 10_000
    ) -> pd.DataFrame:
        """Reported positions of these cadres (oldest first): cadre_id, lon, lat, recorded_at."""
        p = schema.cadre_positions
        statement = (
            select(p.c.cadre_id, p.c.lon, p.c.lat, p.c.recorded_at)
            .where(p.c.cadre_id.in_([int(c) for c in cadre_ids]))
            .order_by(p.c.recorded_at, p.c.id)
            .limit(limit)
        )
        if since is not None:
            statement = statement.where(p.c.recorded_at >= since)
        return self._frame(statement)
