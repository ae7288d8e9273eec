"""The cadre's phone: invites, sessions, and the actions of the field app.

Mixed into ``data.store.Store``. A desk or an administrator issues a one-time
invite for a cadre of the roster (matched by mobile number); opening it on a
phone makes a long-lived session there. Invites and sessions are kept as
SHA-256 hashes only. A session ends when an administrator revokes it or when
its cadre leaves the roster (no cadre of that id with that phone any more).

Each action from the phone (accept, decline, arrive, progress, done, duty,
check-in) is one transaction with its audit and change-feed entries and the
record of its idempotency key, so that a retried action, which the phone's
offline queue sends when it is not sure the first got through, applies once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
import time
from collections.abc import Callable

import pandas as pd
from sqlalchemy import Connection, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from data import rows, schema
from data.store_auth import token_hash
from domain.access import Principal, for_cadre
from domain.errors import Conflict, Gone, InvalidInput, NotFound, Unprocessable

INVITE_LIFETIME = dt.timedelta(hours=72)  # long enough to reach a cadre over a weekend
PRINCIPAL_CACHE_S = 5.0  # a revoked session is refused within this
SEEN_EVERY = dt.timedelta(minutes=5)  # how often a session's last use is written
DECLINE_REASON_MAX = 200
ARRIVAL_NOTE_MAX = 500
KEY_MAX = 100


class FieldAppStore:
    """Invites, phone sessions and the field app's actions (needs ``Store``'s
    ``_transaction``, ``_record``, ``_start_work``, ``_move_incident``)."""

    # --------------------------------------------------------- invites, sessions

    def create_field_invite(
        self, phone: str, *, actor: str, lifetime: dt.timedelta = INVITE_LIFETIME
    ) -> tuple[str, dict]:
        """A one-time sign-in link's token for the cadre with mobile ``phone``.

        Returns (token, cadre as a dict). Raises NotFound for a phone that no
        cadre of the roster has.
        """
        phone = (phone or "").strip()
        k = schema.cadres
        now = rows.utcnow()
        token = secrets.token_urlsafe(24)
        with self._transaction() as conn:
            cadre = conn.execute(select(k).where(k.c.phone == phone)).mappings().first()
            if cadre is None:
                raise NotFound(
                    f"no cadre of the roster has the mobile number {phone!r}",
                    zh=f"花名册中没有手机号为 {phone} 的干部",
                )
            invite_id = conn.execute(
                insert(schema.field_invites)
                .values(
                    token_hash=token_hash(token),
                    cadre_id=cadre["id"],
                    phone=phone,
                    created_by=actor,
                    created_at=now,
                    expires_at=now + lifetime,
                )
                .returning(schema.field_invites.c.id)
            ).scalar_one()
            self._record(
                conn,
                actor=actor,
                action="field_invite",
                entity="cadre",
                entity_id=cadre["id"],
                after={"invite": invite_id, "expires_at": now + lifetime},
                feed=False,
            )
        return token, dict(cadre)

    def field_invite_cadre(self, token: str) -> dict:
        """The cadre a usable invite is for (name and phone), without using it up.

        Raises Gone as ``redeem_field_invite`` would.
        """
        i, k = schema.field_invites, schema.cadres
        with self.engine.connect() as conn:
            invite = (
                conn.execute(select(i).where(i.c.token_hash == token_hash(token or "")))
                .mappings()
                .first()
            )
            _check_invite(invite, rows.utcnow())
            cadre = (
                conn.execute(
                    select(k.c.id, k.c.name, k.c.phone).where(
                        k.c.id == invite["cadre_id"], k.c.phone == invite["phone"]
                    )
                )
                .mappings()
                .first()
            )
        if cadre is None:
            raise _left_roster()
        return dict(cadre)

    def redeem_field_invite(self, token: str, *, device: str = "") -> tuple[str, dict]:
        """Turn a one-time invite into a session on this phone: (session token, cadre).

        Raises Gone for an unknown, used or expired invite, or one whose cadre
        has left the roster; nothing is written then.
        """
        i, k = schema.field_invites, schema.cadres
        now = rows.utcnow()
        session_token = secrets.token_urlsafe(32)
        with self._transaction() as conn:
            invite = (
                conn.execute(select(i).where(i.c.token_hash == token_hash(token or "")))
                .mappings()
                .first()
            )
            _check_invite(invite, now)
            cadre = (
                conn.execute(
                    select(k).where(k.c.id == invite["cadre_id"], k.c.phone == invite["phone"])
                )
                .mappings()
                .first()
            )
            if cadre is None:
                raise _left_roster()
            taken = conn.execute(
                update(i).where(i.c.id == invite["id"], i.c.used_at.is_(None)).values(used_at=now)
            )
            if taken.rowcount != 1:  # another phone redeemed it a moment ago
                raise Gone("this invite link has been used already", zh="该邀请链接已被使用")
            conn.execute(
                insert(schema.field_sessions).values(
                    token_hash=token_hash(session_token),
                    cadre_id=cadre["id"],
                    phone=cadre["phone"],
                    invite_id=invite["id"],
                    created_at=now,
                    last_seen_at=now,
                    device=(device or "")[:120],
                )
            )
            self._record(
                conn,
                actor=f"cadre:{cadre['name']}",
                action="field_sign_in",
                entity="cadre",
                entity_id=cadre["id"],
                after={"invite": invite["id"], "device": (device or "")[:120]},
                feed=False,
            )
        return session_token, dict(cadre)

    def field_principal(self, token: str | None) -> Principal | None:
        """The cadre a phone's session ``token`` belongs to; None for an unknown,
        revoked one or one whose cadre left the roster (cached a few seconds)."""
        if not token:
            return None
        hashed = token_hash(token)
        cache = self._field_cache()
        now = time.monotonic()
        hit = cache.get(hashed)
        if hit is not None and now - hit[0] < PRINCIPAL_CACHE_S:
            return hit[1]
        s, k = schema.field_sessions, schema.cadres
        with self.engine.connect() as conn:
            row = conn.execute(
                select(k.c.id, k.c.name)
                .select_from(s.join(k, and_(k.c.id == s.c.cadre_id, k.c.phone == s.c.phone)))
                .where(s.c.token_hash == hashed, s.c.revoked_at.is_(None))
            ).first()
        principal = for_cadre(row.id, row.name) if row else None
        if len(cache) > 10_000:
            cache.clear()
        cache[hashed] = (now, principal)
        return principal

    def _field_cache(self) -> dict:
        cache = getattr(self, "_field_principals", None)
        if cache is None:
            cache = self._field_principals = {}
        return cache

    def touch_field_session(self, token: str, *, device: str = "") -> None:
        """Note that the phone is in use (written at most every few minutes)."""
        s = schema.field_sessions
        now = rows.utcnow()
        with self._transaction() as conn:
            conn.execute(
                update(s)
                .where(
                    s.c.token_hash == token_hash(token),
                    or_(s.c.last_seen_at.is_(None), s.c.last_seen_at < now - SEEN_EVERY),
                )
                .values(last_seen_at=now, device=(device or "")[:120] or s.c.device)
            )

    def revoke_field_sessions(self, phone: str, *, actor: str) -> int:
        """End every phone session and unused invite of the cadre with ``phone``.

        Returns the number of sessions ended. Raises NotFound when that phone
        has neither.
        """
        phone = (phone or "").strip()
        s, i = schema.field_sessions, schema.field_invites
        now = rows.utcnow()
        with self._transaction() as conn:
            ended = conn.execute(
                update(s)
                .where(s.c.phone == phone, s.c.revoked_at.is_(None))
                .values(revoked_at=now, revoked_by=actor)
            ).rowcount
            voided = conn.execute(
                update(i)
                .where(i.c.phone == phone, i.c.used_at.is_(None), i.c.expires_at > now)
                .values(expires_at=now)
            ).rowcount
            if not ended and not voided:
                raise NotFound(
                    f"no phone session or open invite for {phone!r}",
                    zh=f"手机号 {phone} 没有已登录的手机或未使用的邀请",
                )
            self._record(
                conn,
                actor=actor,
                action="field_revoke",
                entity="field_session",
                entity_id=phone,
                after={"sessions": ended, "invites": voided},
                feed=False,
            )
        self._field_cache().clear()
        return ended

    def field_sessions(self) -> pd.DataFrame:
        """Every phone session with its cadre (for the administrator), newest first."""
        s, k = schema.field_sessions, schema.cadres
        with self.engine.connect() as conn:
            frame = _frame(
                conn.execute(
                    select(
                        s.c.id,
                        s.c.cadre_id,
                        k.c.name,
                        s.c.phone,
                        s.c.created_at,
                        s.c.last_seen_at,
                        s.c.device,
                        s.c.revoked_at,
                        s.c.revoked_by,
                        (k.c.id.is_not(None)).label("on_roster"),
                    )
                    .select_from(
                        s.outerjoin(k, and_(k.c.id == s.c.cadre_id, k.c.phone == s.c.phone))
                    )
                    .order_by(s.c.id.desc())
                )
            )
        return frame

    # ------------------------------------------------------------------ reads

    def field_tasks(self, cadre_id: int) -> pd.DataFrame:
        """The cadre's active assignments with their incidents (one row each)."""
        d, i = schema.dispatches, schema.incidents
        with self.engine.connect() as conn:
            frame = _frame(
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
            return pd.DataFrame(
                conn.execute(
                    select(m.c.incident_id, m.c.measure, m.c.target, m.c.done)
                    .where(m.c.incident_id.in_(incident_ids))
                    .order_by(m.c.incident_id, m.c.measure)
                ).mappings(),
                columns=["incident_id", "measure", "target", "done"],
            )

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
        conn.execute(
            update(k)
            .where(k.c.id == cadre_id, k.c.status.in_(["en_route", "on_site"]))
            .values(status="available")
        )
        incident = conn.execute(
            select(i.c.public_id, i.c.status).where(i.c.id == task["incident_id"])
        ).first()
        cadre = conn.execute(select(k.c.name, k.c.lon, k.c.lat).where(k.c.id == cadre_id)).first()
        from data.store_outbox import enqueue  # the outbox's writer (data.store_outbox)

        enqueue(
            conn,
            kind="decline",
            recipient_kind="desk",
            recipient=None,
            incident_id=task["incident_id"],
            payload={
                "text_zh": f"{cadre.name} 拒绝了任务 {incident.public_id}：{reason}",
                "text_en": f"{cadre.name} declined {incident.public_id}: {reason}",
                "cadre_id": cadre_id,
                "dispatch_id": dispatch_id,
                "public_id": incident.public_id,
                "reason": reason,
            },
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
        d, k, i = schema.dispatches, schema.cadres, schema.incidents
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
        conn.execute(
            update(k)
            .where(k.c.id == cadre_id, k.c.status.in_(["en_route", "on_site"]))
            .values(status="available")
        )
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


def _left_roster() -> Gone:
    return Gone(
        "the cadre of this invite is no longer on the roster", zh="该邀请对应的干部已不在花名册中"
    )


def _check_invite(invite, now: dt.datetime) -> None:
    """Refuse an unknown, used or expired invite, saying which (Gone)."""
    if invite is None:
        raise Gone(
            "this invite link is not valid: ask the desk for a new one",
            zh="邀请链接无效，请向调度员索取新的链接",
        )
    if invite["used_at"] is not None:
        raise Gone(
            "this invite link has been used already: each link signs in one phone once; "
            "ask the desk for a new one",
            zh="该邀请链接已被使用（每个链接只能登录一次），请向调度员索取新的链接",
        )
    if invite["expires_at"] <= now:
        raise Gone(
            "this invite link has expired: ask the desk for a new one",
            zh="邀请链接已过期，请向调度员索取新的链接",
        )


def _frame(result) -> pd.DataFrame:
    """The rows of ``result`` with their columns, even when there are none."""
    return pd.DataFrame(result.mappings().all(), columns=list(result.keys()))


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
