"""The cadre's phone: what the field app reads and does.

Mixed into ``data.store.Store``; the phone's sign-in is
``data.store_field_sessions``'. Each action from the phone (accept, decline, arrive, progress, done, duty,
check-in) is one transaction with its audit and change-feed entries and the
record of its idempotency key, so that a retried action, which the phone's
offline queue sends when it is not sure the first got through, applies once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from data import rows, schema
from data.store_lifecycle import free_cadres
from data.store_outbox import enqueue
from domain.errors import Conflict, InvalidInput, NotFound, Unprocessable
from domain.notices import decline_notice

INVITE_LIFETIME = dt.timedelta(hours=72)  # long enough to reach a cadre over a weekend
PRINCIPAL_CACHE_S = 5.0  # a revoked session is refused within this
SEEN_EVERY = dt.timedelta(minutes=5)  # how often a session's last use is written
DECLINE_REASON_MAX = 200
ARRIVAL_NOTE_MAX = 500
KEY_MAX = 100


class FieldAppStore:
    """Invites, phone sessions and the field app's actions (needs ``Store``'s
    ``_transaction``, ``_record``, ``_start_work``, ``_move_incident``)."""

    # ------------------------------------------------------------- the actions

    def field_action(
        self,
        cadre_id: int,
        key: str,
        request: dict,
        act: Callable[[Connection], dict],
    ) -> tuple[dict, bool]:
        """Run ``act(conn)`` once for the idempotency ``key``: (answer, replayed).

        In one transaction: the key is looked up; a key already used answers
        what it answered the first time (replayed=True) when ``request`` is the
        same, and is refused (Unprocessable) when it differs; otherwise ``act``
        runs and its answer is kept with the key. An ``act`` that raises
        leaves nothing, not even the key.
        """
        key = _checked_key(key)
        digest = _request_hash(request)
        a = schema.field_actions
        for attempt in range(2):
            try:
                with self._transaction() as conn:
                    done = conn.execute(
                        select(a.c.request_hash, a.c.response_body).where(
                            a.c.cadre_id == cadre_id, a.c.key == key
                        )
                    ).first()
                    if done is not None:
                        if done.request_hash != digest:
                            raise Unprocessable(
                                "this Idempotency-Key was used for another action",
                                zh="该幂等键已用于另一项操作",
                            )
                        return json.loads(done.response_body), True
                    answer = {"ok": True, **act(conn)}
                    conn.execute(
                        insert(a).values(
                            cadre_id=cadre_id,
                            key=key,
                            request_hash=digest,
                            response_status=200,
                            response_body=json.dumps(answer, default=_json_default),
                            created_at=rows.utcnow(),
                        )
                    )
                return json.loads(json.dumps(answer, default=_json_default)), False
            except IntegrityError:
                # The same key committed by a concurrent retry (PostgreSQL): this
                # transaction is undone; the next attempt finds and replays it.
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def field_replay(self, cadre_id: int, key: str, request: dict) -> dict | None:
        """The first answer to ``key`` if it was used for this same ``request``;
        None if unused; Unprocessable if it was used for another request."""
        key = _checked_key(key)
        a = schema.field_actions
        with self.engine.connect() as conn:
            done = conn.execute(
                select(a.c.request_hash, a.c.response_body).where(
                    a.c.cadre_id == cadre_id, a.c.key == key
                )
            ).first()
        if done is None:
            return None
        if done.request_hash != _request_hash(request):
            raise Unprocessable(
                "this Idempotency-Key was used for another action", zh="该幂等键已用于另一项操作"
            )
        return json.loads(done.response_body)

    def _field_dispatch(self, conn: Connection, cadre_id: int, dispatch_id: int) -> dict:
        """The cadre's own active assignment ``dispatch_id``, locked; refused otherwise."""
        d = schema.dispatches
        row = (
            conn.execute(select(d).where(d.c.id == dispatch_id).with_for_update())
            .mappings()
            .first()
        )
        if row is None or row["cadre_id"] != cadre_id:
            # Another cadre's task is not revealed to exist.
            raise NotFound(
                f"you have no task {dispatch_id}", zh=f"您没有编号为 {dispatch_id} 的任务"
            )
        if row["released_at"] is not None:
            raise Conflict(
                f"task {dispatch_id} is no longer yours (released or declined)",
                zh="该任务已结束或已被拒绝",
            )
        return dict(row)

    def accept_task(self, conn: Connection, cadre_id: int, dispatch_id: int, *, actor: str) -> dict:
        d = schema.dispatches
        task = self._field_dispatch(conn, cadre_id, dispatch_id)
        now = rows.utcnow()
        conn.execute(
            update(d)
            .where(d.c.id == dispatch_id)
            .values(
                accepted_at=task["accepted_at"] or now,
                seen_at=task["seen_at"] or now,
            )
        )
        self._record(
            conn,
            actor=actor,
            action="field_accept",
            entity="dispatch",
            entity_id=dispatch_id,
            after={"accepted_at": now, "incident_id": task["incident_id"]},
            payload={"id": dispatch_id, "incident_id": task["incident_id"], "accepted_at": now},
        )
        return {"dispatch_id": dispatch_id, "accepted_at": task["accepted_at"] or now}

    def decline_task(
        self, conn: Connection, cadre_id: int, dispatch_id: int, reason: str, *, actor: str
    ) -> dict:
        """Give the task back with a reason: the cadre is free again, the desk is told."""
        reason = (reason or "").strip()
        if not reason:
            raise InvalidInput("say why you decline the task", zh="请填写拒绝理由")
        if len(reason) > DECLINE_REASON_MAX:
            raise InvalidInput(
                f"the reason must be at most {DECLINE_REASON_MAX} characters",
                zh=f"拒绝理由最多 {DECLINE_REASON_MAX} 字",
            )
        d, k, i = schema.dispatches, schema.cadres, schema.incidents
        task = self._field_dispatch(conn, cadre_id, dispatch_id)
        if task["arrived_at"] is not None:
            raise Conflict(
                "you are on site already: finish the task or ask the desk",
                zh="您已到达现场，请完成任务或联系调度员",
            )
        now = rows.utcnow()
        conn.execute(
            update(d)
            .where(d.c.id == dispatch_id)
            .values(declined_at=now, decline_reason=reason, released_at=now)
        )
        free_cadres(conn, [cadre_id])
        incident = (
            conn.execute(select(i.c.public_id, i.c.category).where(i.c.id == task["incident_id"]))
            .mappings()
            .first()
        )
        cadre = conn.execute(select(k.c.name, k.c.lon, k.c.lat).where(k.c.id == cadre_id)).first()
        notice = decline_notice(incident, cadre_id=cadre_id, cadre_name=cadre.name, reason=reason)
        enqueue(
            conn,
            kind="decline",
            recipient_kind="desk",
            recipient=None,
            incident_id=task["incident_id"],
            payload={**notice, "dispatch_id": dispatch_id, "reason": reason},
            at=now,
        )
        self._record(
            conn,
            actor=actor,
            action="field_decline",
            entity="dispatch",
            entity_id=dispatch_id,
            after={"reason": reason, "incident_id": task["incident_id"]},
            payload={
                "cadres": [
                    {"id": cadre_id, "status": "available", "lon": cadre.lon, "lat": cadre.lat}
                ]
            },
        )
        return {"dispatch_id": dispatch_id, "declined_at": now}

    def arrive_task(
        self,
        conn: Connection,
        cadre_id: int,
        dispatch_id: int,
        *,
        lon: float,
        lat: float,
        note: str | None,
        actor: str,
    ) -> dict:
        """Stamp the arrival with the phone's position; the first on site starts work."""
        d, k = schema.dispatches, schema.cadres
        task = self._field_dispatch(conn, cadre_id, dispatch_id)
        now = rows.utcnow()
        if task["arrived_at"] is None:
            conn.execute(
                update(d)
                .where(d.c.id == dispatch_id)
                .values(
                    arrived_at=now,
                    arrived_lon=lon,
                    arrived_lat=lat,
                    arrived_note=(note or None),
                    accepted_at=task["accepted_at"] or now,
                    seen_at=task["seen_at"] or now,
                )
            )
            conn.execute(
                update(k)
                .where(k.c.id == cadre_id)
                .values(status="on_site", lon=lon, lat=lat, position_at=now)
            )
            self._start_work(conn, task["incident_id"], actor, now)
        self._record(
            conn,
            actor=actor,
            action="field_arrive",
            entity="dispatch",
            entity_id=dispatch_id,
            after={"lon": lon, "lat": lat, "note": note, "incident_id": task["incident_id"]},
            payload={"cadres": [{"id": cadre_id, "status": "on_site", "lon": lon, "lat": lat}]},
        )
        return {"dispatch_id": dispatch_id, "arrived_at": task["arrived_at"] or now}

    def finish_task(
        self,
        conn: Connection,
        cadre_id: int,
        dispatch_id: int,
        *,
        note: str,
        proof: dict,
        actor: str,
    ) -> dict:
        """The cadre's part is done, with proof.

        An ordinary incident is resolved (the lifecycle wants proof: a photo or
        a check-in on the spot), which releases every cadre on it. An event's
        task needs many hands: only this cadre's assignment ends.
        """
        d, i = schema.dispatches, schema.incidents
        task = self._field_dispatch(conn, cadre_id, dispatch_id)
        if task["arrived_at"] is None:
            raise InvalidInput(
                "say you have arrived before you finish", zh="请先确认到达现场，再办结"
            )
        now = rows.utcnow()
        incident = dict(
            conn.execute(select(i).where(i.c.id == task["incident_id"]).with_for_update())
            .mappings()
            .one()
        )
        resolved = False
        if incident["event_id"] is None and incident["status"] == "in_progress":
            move = self._move_incident(
                conn, incident, "resolve", actor=actor, at=now, note=note, **proof
            )
            resolved = True
            self._record(
                conn,
                actor=actor,
                action="resolve",
                entity="incident",
                entity_id=incident["id"],
                before={"status": move.source},
                after={"status": move.target, **move.details},
                payload=rows.feed_incident(incident),
            )
        conn.execute(
            update(d)
            .where(d.c.id == dispatch_id, d.c.released_at.is_(None))
            .values(released_at=now)
        )
        free_cadres(conn, [cadre_id])
        self._record(
            conn,
            actor=actor,
            action="field_done",
            entity="dispatch",
            entity_id=dispatch_id,
            after={"note": note, **proof, "resolved": resolved},
            payload={"cadres": [{"id": cadre_id, "status": "available"}]},
        )
        return {"dispatch_id": dispatch_id, "resolved": resolved, "done_at": now}

    def set_duty(self, conn: Connection, cadre_id: int, on: bool, *, actor: str) -> dict:
        """On duty (available) or off; going off duty with a task is refused."""
        d, k = schema.dispatches, schema.cadres
        cadre = conn.execute(select(k).where(k.c.id == cadre_id).with_for_update()).mappings().one()
        active = conn.execute(
            select(d.c.id).where(d.c.cadre_id == cadre_id, d.c.released_at.is_(None))
        ).first()
        if not on and active is not None:
            raise Conflict(
                "finish or decline your task before going off duty",
                zh="请先完成或拒绝当前任务，再下班",
            )
        if on:
            new = cadre["status"] if cadre["status"] != "off_duty" else "available"
        else:
            new = "off_duty"
        if new != cadre["status"]:
            conn.execute(update(k).where(k.c.id == cadre_id).values(status=new))
            self._record(
                conn,
                actor=actor,
                action="field_on_duty" if on else "field_off_duty",
                entity="cadre",
                entity_id=cadre_id,
                before={"status": cadre["status"]},
                after={"status": new},
                payload={
                    "cadres": [
                        {"id": cadre_id, "status": new, "lon": cadre["lon"], "lat": cadre["lat"]}
                    ]
                },
            )
        return {"status": new}


def _request_hash(request: dict) -> str:
    return hashlib.sha256(
        json.dumps(request, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def _checked_key(key: str | None) -> str:
    key = (key or "").strip()
    if not key:
        raise InvalidInput(
            "send an Idempotency-Key header with every action (a new UUID per action)",
            zh="每项操作须带 Idempotency-Key 请求头",
        )
    if len(key) > KEY_MAX:
        raise InvalidInput(
            f"the Idempotency-Key must be at most {KEY_MAX} characters",
            zh=f"幂等键最多 {KEY_MAX} 个字符",
        )
    return key


def _json_default(value):
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"not JSON: {type(value).__name__}")
