"""The outbox as the desk and the delivery worker's scans see it: who has seen
and accepted their task, who is due to check in, notices written once per
cause, and the outbox's entries for the administrator.

Mixed into ``data.store.Store``; the outbox itself is ``data.store_outbox``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import func, or_, select, text

from data import rows, schema
from data.store_outbox import SCAN_LOCK, decoded, enqueue
from domain.errors import InvalidInput


class OutboxDeskStore:
    """The desk's reads of the outbox and the scans' deduplicated notices (needs
    ``Store``'s ``_frame``, ``_transaction`` and ``backend``)."""

    def acknowledgements(
        self,
        incident_ids: Iterable[int] | None = None,
        *,
        ack_minutes: float = 10,
        now: dt.datetime | None = None,
    ) -> pd.DataFrame:
        """Per active dispatch: has the cadre seen and accepted the task?

        Returns dispatch_id, incident_id, public_id, cadre_id, cadre_name,
        sent_at, seen_at, accepted_at (UTC or None) and ``unacknowledged``:
        not accepted although sent more than ``ack_minutes`` before ``now``.
        """
        now = now or rows.utcnow()
        d, k, i = schema.dispatches, schema.cadres, schema.incidents
        statement = (
            select(
                d.c.id.label("dispatch_id"),
                d.c.incident_id,
                i.c.public_id,
                d.c.cadre_id,
                k.c.name.label("cadre_name"),
                d.c.sent_at,
                d.c.seen_at,
                d.c.accepted_at,
            )
            .join(k, k.c.id == d.c.cadre_id)
            .join(i, i.c.id == d.c.incident_id)
            .where(d.c.released_at.is_(None))
            .order_by(d.c.id)
        )
        if incident_ids is not None:
            statement = statement.where(d.c.incident_id.in_([int(v) for v in incident_ids]))
        frame = rows.none_for_missing(self._frame(statement))
        limit = now - dt.timedelta(minutes=ack_minutes)
        frame["unacknowledged"] = [
            accepted is None and sent is not None and pd.Timestamp(sent) < pd.Timestamp(limit)
            for sent, accepted in zip(frame["sent_at"], frame["accepted_at"], strict=True)
        ]
        return frame

    def mobilised_for_checkins(self) -> pd.DataFrame:
        """Cadres on the work of running events, for the overdue check-in scan.

        One row per active assignment to a task of an event not ended:
        event_id, event_name, checkin_minutes, cadre_id, cadre_name,
        incident_id, sent_at and last_checkin_at (that event's, or None).
        """
        d, i, e, k, c = (
            schema.dispatches,
            schema.incidents,
            schema.events,
            schema.cadres,
            schema.checkins,
        )
        last = (
            select(c.c.event_id, c.c.cadre_id, func.max(c.c.at).label("last_checkin_at"))
            .group_by(c.c.event_id, c.c.cadre_id)
            .subquery()
        )
        return rows.none_for_missing(
            self._frame(
                select(
                    e.c.id.label("event_id"),
                    e.c.name.label("event_name"),
                    e.c.checkin_minutes,
                    d.c.cadre_id,
                    k.c.name.label("cadre_name"),
                    d.c.incident_id,
                    d.c.sent_at,
                    last.c.last_checkin_at,
                )
                .join(i, i.c.id == d.c.incident_id)
                .join(e, e.c.id == i.c.event_id)
                .join(k, k.c.id == d.c.cadre_id)
                .outerjoin(last, (last.c.event_id == e.c.id) & (last.c.cadre_id == d.c.cadre_id))
                .where(d.c.released_at.is_(None), e.c.ended_at.is_(None))
                .order_by(e.c.id, d.c.cadre_id)
            )
        )

    def enqueue_once(self, notices: Sequence[dict], *, at: dt.datetime) -> list[int]:
        """Write the notices whose ``payload["key"]`` is not in the outbox yet.

        For scans that run again and again (overdue check-ins, tasks nobody
        acknowledged): each notice is a dict of ``enqueue``'s arguments but
        ``at``, its payload with a ``key`` unique to what it reports. Scans
        running at once in several processes queue behind one another here,
        so a key is written once. Returns the ids of the rows written.

        Raises ``InvalidInput`` for a notice without a key (nothing written).
        """
        if not notices:
            return []
        if any(not n.get("payload", {}).get("key") for n in notices):
            raise InvalidInput("a deduplicated notice needs payload['key']")
        o = schema.outbox
        written = []
        with self._transaction() as conn:
            if self.backend == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCAN_LOCK})
            kinds = sorted({n["kind"] for n in notices})
            incidents = sorted({int(n["incident_id"]) for n in notices if n.get("incident_id")})
            existing = conn.execute(
                select(o.c.payload).where(
                    o.c.kind.in_(kinds),
                    or_(o.c.incident_id.in_(incidents), o.c.incident_id.is_(None)),
                )
            ).scalars()
            keys = {json.loads(p).get("key") for p in existing}
            for n in notices:
                if n["payload"]["key"] in keys:
                    continue
                keys.add(n["payload"]["key"])
                written.append(enqueue(conn, **n, at=at))
        return written

    # ---------------------------------------------------------------- reads

    def outbox_entries(
        self,
        *,
        kind: str | None = None,
        incident_id: int | None = None,
        state: str | None = None,
        limit: int = 1000,
    ) -> list[dict]:
        """Outbox rows, oldest first, payloads decoded (for the desk and tests)."""
        o = schema.outbox
        statement = select(o).order_by(o.c.id).limit(int(limit))
        if kind is not None:
            statement = statement.where(o.c.kind == kind)
        if incident_id is not None:
            statement = statement.where(o.c.incident_id == int(incident_id))
        if state is not None:
            statement = statement.where(o.c.state == state)
        with self.engine.connect() as conn:
            return [decoded(r) for r in conn.execute(statement).mappings()]
