"""The store's part for the work on a wartime event: tasks, progress, check-ins.

Mixed into ``data.store.Store``. A task is an incident of the event (registered
at once) with figures to reach, e.g. mu harvested; the field reports progress
on them, and mobilised cadres check in. Each write is one transaction with its
audit entry and change-feed entry, refused once the event has ended: the check
is made inside the writing transaction, holding the event's row. The reads
serve the events desk and the after-action review.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pandas as pd
from sqlalchemy import Connection, String, cast, func, insert, literal, select, update

from data import rows, schema
from data.rows import utcnow
from data.store_events import no_event
from domain.errors import Conflict, InvalidInput, NotFound
from domain.event_tasks import TaskSpec
from domain.public_ids import public_id_for


class EventWorkStore:
    """Tasks, progress and check-ins of events (needs ``Store``'s frames,
    ``_transaction``, ``_record`` and ``backend``)."""

    # ---------------------------------------------------------------- writes

    def _active_event(self, conn: Connection, event_id: int) -> dict:
        """The event's row, locked for this transaction; refused when it has ended."""
        e = schema.events
        statement = select(e.c.id, e.c.kind, e.c.ended_at).where(e.c.id == event_id)
        if self.backend == "postgresql":
            statement = statement.with_for_update(read=True)  # FOR SHARE: ending waits
        found = conn.execute(statement).mappings().first()
        if found is None:
            raise no_event(event_id)
        if found["ended_at"] is not None:
            raise Conflict(
                "the event has ended: it takes no more work",
                zh="该事件已经结束，不能再增加任务或报告",
            )
        return dict(found)

    def add_task(
        self, event_id: int, task: TaskSpec, *, grid_code: str, town_code: str, actor: str
    ) -> tuple[int, str]:
        """A task of an active event: an incident (registered at once) and its
        figures, in one transaction. Returns its id and public id."""
        now = utcnow()
        row = {
            "public_id": "pending-" + secrets.token_hex(8),
            "channel": "patrol",
            "category": task.category,
            "description": task.title,
            "lon": task.lon,
            "lat": task.lat,
            "grid_code": grid_code,
            "town_code": town_code,
            "priority": task.priority,
            "headcount": task.headcount,
            "event_id": event_id,
            "status": "registered",
            "reported_at": now,
            "registered_at": now,
            "updated_at": now,
        }
        i = schema.incidents
        with self._transaction() as conn:
            self._active_event(conn, event_id)
            new_id = conn.execute(insert(i).values(**row).returning(i.c.id)).scalar_one()
            row["public_id"] = public_id_for(new_id, now)
            conn.execute(update(i).where(i.c.id == new_id).values(public_id=row["public_id"]))
            conn.execute(
                insert(schema.task_measures),
                [
                    {
                        "incident_id": new_id,
                        "measure": code,
                        "target": target,
                        "done": 0.0,
                        "updated_at": now,
                    }
                    for code, target in task.targets.items()
                ],
            )
            self._record(
                conn,
                actor=actor,
                action="add_task",
                entity="incident",
                entity_id=new_id,
                after={**row, "targets": task.targets},
                op="insert",
                payload=rows.feed_incident({**row, "id": new_id}),
            )
        return new_id, row["public_id"]

    def report_progress(
        self, event_id: int, incident_id: int, amounts: dict[str, float], *, actor: str
    ) -> dict[str, float]:
        """Add what the field did to a task's figures, all in one transaction.

        ``amounts`` is checked by ``domain.event_tasks.checked_progress``
        against the task's own figures; returns the figures done after it.
        """
        with self._transaction() as conn:
            return self._report_progress(conn, event_id, incident_id, amounts, actor=actor)

    def _report_progress(
        self, conn: Connection, event_id: int, incident_id: int, amounts: dict, *, actor: str
    ) -> dict[str, float]:
        """``report_progress`` inside the caller's transaction (the field app's)."""
        m, i = schema.task_measures, schema.incidents
        now = utcnow()
        self._active_event(conn, event_id)
        task = conn.execute(
            select(i.c.id, i.c.status).where(i.c.id == incident_id, i.c.event_id == event_id)
        ).first()
        if task is None:
            raise NotFound(f"event {event_id} has no task {incident_id}", zh="该事件没有这个任务")
        before = dict(
            conn.execute(select(m.c.measure, m.c.done).where(m.c.incident_id == incident_id)).all()
        )
        unknown = sorted(set(amounts) - set(before))
        if unknown:
            raise InvalidInput(
                f"task {incident_id} has no figure {unknown[0]!r}",
                zh=f"该任务没有“{unknown[0]}”这一指标",
            )
        for code, amount in amounts.items():
            conn.execute(
                update(m)
                .where(m.c.incident_id == incident_id, m.c.measure == code)
                .values(done=m.c.done + amount, updated_at=now)
            )
        after = dict(
            conn.execute(select(m.c.measure, m.c.done).where(m.c.incident_id == incident_id)).all()
        )
        self._record(
            conn,
            actor=actor,
            action="report_progress",
            entity="task",
            entity_id=incident_id,
            before=before,
            after={"added": amounts, "done": after},
            payload={"id": incident_id, "event_id": event_id, "done": after, "added": amounts},
        )
        return after

    def check_in(
        self,
        event_id: int,
        cadre_id: int,
        *,
        actor: str,
        lon: float | None = None,
        lat: float | None = None,
        at: dt.datetime | None = None,
    ) -> int:
        """A mobilised cadre's check-in; refused for a cadre not on the event's work."""
        with self._transaction() as conn:
            return self._check_in(conn, event_id, cadre_id, actor=actor, lon=lon, lat=lat, at=at)

    def _check_in(
        self,
        conn: Connection,
        event_id: int,
        cadre_id: int,
        *,
        actor: str,
        lon: float | None = None,
        lat: float | None = None,
        at: dt.datetime | None = None,
    ) -> int:
        """``check_in`` inside the caller's transaction (the field app's)."""
        at = at or utcnow()
        d, i = schema.dispatches, schema.incidents
        self._active_event(conn, event_id)
        on_event = conn.execute(
            select(d.c.id)
            .join(i, i.c.id == d.c.incident_id)
            .where(d.c.cadre_id == cadre_id, d.c.released_at.is_(None), i.c.event_id == event_id)
        ).first()
        if on_event is None:
            raise Conflict(
                f"cadre {cadre_id} is not mobilised for event {event_id}",
                zh="该干部未被调派到这个事件",
            )
        new_id = conn.execute(
            insert(schema.checkins)
            .values(event_id=event_id, cadre_id=cadre_id, at=at, lon=lon, lat=lat)
            .returning(schema.checkins.c.id)
        ).scalar_one()
        self._record(
            conn,
            actor=actor,
            action="check_in",
            entity="checkin",
            entity_id=new_id,
            op="insert",
            after={"event_id": event_id, "cadre_id": cadre_id, "at": at, "lon": lon, "lat": lat},
        )
        return new_id

    # ----------------------------------------------------------------- reads

    def event_tasks(self, event_id: int) -> pd.DataFrame:
        """The event's tasks (incidents), newest first."""
        i, g = schema.incidents, schema.grids
        return self._frame(
            select(i, g.c.name.label("grid_name"))
            .outerjoin(g, g.c.code == i.c.grid_code)
            .where(i.c.event_id == event_id)
            .order_by(i.c.id.desc())
        )

    def task_measures(self, event_id: int) -> pd.DataFrame:
        """incident_id, measure, target, done of every task of the event."""
        m, i = schema.task_measures, schema.incidents
        return self._frame(
            select(m.c.incident_id, m.c.measure, m.c.target, m.c.done, m.c.updated_at)
            .join(i, i.c.id == m.c.incident_id)
            .where(i.c.event_id == event_id)
            .order_by(m.c.incident_id, m.c.measure)
        )

    def event_dispatches(self, event_id: int, *, active: bool | None = None) -> pd.DataFrame:
        """Dispatches to the event's tasks, with the cadres' names, departments and towns."""
        d, i, k, dep = schema.dispatches, schema.incidents, schema.cadres, schema.departments
        statement = (
            select(
                d.c.id,
                d.c.incident_id,
                d.c.cadre_id,
                d.c.sent_by,
                d.c.sent_at,
                d.c.eta_s,
                d.c.arrived_at,
                d.c.released_at,
                k.c.name.label("cadre_name"),
                k.c.role,
                k.c.department_id,
                dep.c.name.label("department"),
                k.c.town_code,
                k.c.status.label("cadre_status"),
                k.c.lon,
                k.c.lat,
            )
            .join(i, i.c.id == d.c.incident_id)
            .join(k, k.c.id == d.c.cadre_id)
            .outerjoin(dep, dep.c.id == k.c.department_id)
            .where(i.c.event_id == event_id)
            .order_by(d.c.sent_at, d.c.id)
        )
        if active is not None:
            statement = statement.where(
                d.c.released_at.is_(None) if active else d.c.released_at.is_not(None)
            )
        return self._frame(statement)

    def event_checkins(self, event_id: int) -> pd.DataFrame:
        """Every check-in of the event: id, cadre_id, at, lon, lat."""
        c = schema.checkins
        return self._frame(
            select(c.c.id, c.c.cadre_id, c.c.at, c.c.lon, c.c.lat)
            .where(c.c.event_id == event_id)
            .order_by(c.c.at, c.c.id)
        )

    # --------------------------------------------------- after-action review

    def event_progress_log(self, event_id: int) -> pd.DataFrame:
        """Every progress report on the event's tasks, oldest first, one row per figure.

        Read from the audit log (action ``report_progress``): at (UTC), actor,
        incident_id, measure, added (the amount that report added) and
        done_after (the task's total of that figure just after it). An event
        without reports gives an empty frame with these columns.
        """
        a, i = schema.audit_log, schema.incidents
        tasks = select(cast(i.c.id, String(40))).where(i.c.event_id == event_id)
        entries = self._frame(
            select(a.c.at, a.c.actor, a.c.entity_id, a.c.after)
            .where(a.c.action == "report_progress", a.c.entity == "task", a.c.entity_id.in_(tasks))
            .order_by(a.c.at, a.c.id)
        )
        out = []
        for entry in entries.to_dict("records"):
            after = json.loads(entry["after"] if isinstance(entry["after"], str) else "{}")
            done = after.get("done") or {}
            for measure, amount in (after.get("added") or {}).items():
                out.append(
                    {
                        "at": entry["at"],
                        "actor": entry["actor"],
                        "incident_id": int(entry["entity_id"]),
                        "measure": measure,
                        "added": float(amount),
                        "done_after": None if done.get(measure) is None else float(done[measure]),
                    }
                )
        columns = ["at", "actor", "incident_id", "measure", "added", "done_after"]
        if not out:
            return pd.DataFrame(
                {
                    "at": pd.Series(dtype="datetime64[us, UTC]"),
                    "actor": pd.Series(dtype=object),
                    "incident_id": pd.Series(dtype="int64"),
                    "measure": pd.Series(dtype=object),
                    "added": pd.Series(dtype=float),
                    "done_after": pd.Series(dtype=float),
                }
            )
        return pd.DataFrame(out, columns=columns)

    def event_positions(self, event_id: int, *, until: dt.datetime | None = None) -> pd.DataFrame:
        """Where the event's cadres were: cadre_id, lon, lat (WGS84), recorded_at (UTC).

        The position history of every cadre ever dispatched to one of the
        event's tasks, from the event's start to its end (a running event: to
        now), oldest first; ``until`` stops it earlier (a replay needs nothing
        after the moment it shows). Empty for an unknown event.
        """
        p, d, i, e = schema.cadre_positions, schema.dispatches, schema.incidents, schema.events
        cadres = (
            select(d.c.cadre_id)
            .join(i, i.c.id == d.c.incident_id)
            .where(i.c.event_id == event_id)
            .distinct()
        )
        started = select(e.c.started_at).where(e.c.id == event_id).scalar_subquery()
        ended = select(e.c.ended_at).where(e.c.id == event_id).scalar_subquery()
        stop = func.coalesce(ended, literal(utcnow(), schema.UTC))
        statement = (
            select(p.c.cadre_id, p.c.lon, p.c.lat, p.c.recorded_at)
            .where(p.c.cadre_id.in_(cadres), p.c.recorded_at >= started, p.c.recorded_at <= stop)
            .order_by(p.c.recorded_at, p.c.id)
        )
        if until is not None:
            statement = statement.where(p.c.recorded_at <= until)
        return self._frame(statement)
