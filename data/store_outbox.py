"""The outbox: notifications written in the transaction of what causes them.

Mixed into ``data.store.Store``. ``enqueue`` writes one row inside the
caller's transaction, so a dispatch that is rolled back tells nobody. The
delivery worker (``services.notifications``) claims due rows with
``due_notifications``, sends each and records the outcome with ``mark_sent``
or ``mark_failed``. A claim is a lease: the row's next attempt moves a little
into the future, so another worker does not take it, and a worker killed
mid-send leaves it to be tried again once the lease runs out. Several
workers may claim at once: PostgreSQL skips rows another claim holds
(``FOR UPDATE SKIP LOCKED``), SQLite runs one write transaction at a time
(``BEGIN IMMEDIATE`` under the store's writer lock).

A cadre's notifications reach the field app itself (``notifications_for_cadre``,
``mark_fetched`` when the phone has them, ``mark_read``); the worker sends
them by SMS only when configured, and only after ``FIELD_FIRST`` has passed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, insert, select, update

from data import rows, schema
from domain.errors import Forbidden, NotFound
from domain.notices import TASK_KINDS, check_notice

FIELD_FIRST = dt.timedelta(seconds=60)  # the field app's head start on an SMS to a cadre
LEASE = dt.timedelta(seconds=120)  # a claimed row is tried again after this if not marked
MAX_ERROR = 300  # characters of an error kept (the column's size)
SCAN_LOCK = 7_352_019  # PostgreSQL advisory lock: one deduplicating scan at a time
_OUTBOX_INSERT = insert(schema.outbox).returning(schema.outbox.c.id)


def enqueue(
    conn: Connection,
    *,
    kind: str,
    recipient_kind: str,
    recipient: str | None,
    incident_id: int | None,
    payload: dict,
    at: dt.datetime,
) -> int:
    """Write one notification in the caller's transaction; returns its id.

    Parameters
    ----------
    conn
        The connection of the write that causes the notification.
    kind
        One of ``domain.notices.KINDS``.
    recipient_kind, recipient
        ``"cadre"`` and the cadre's id as text, ``"reporter"`` and a phone
        number, or ``"desk"`` and None.
    payload
        JSON-able; ``text_zh`` and ``text_en`` at least (``domain.notices``
        builds them), and whatever a transport needs (``phone`` for an SMS).
    at
        When it was caused (UTC); due then, a cadre's ``FIELD_FIRST`` later.

    Raises
    ------
    InvalidInput
        See ``domain.notices.check_notice``; the caller's transaction rolls back.
    """
    check_notice(kind, recipient_kind, recipient, payload)
    due = at + FIELD_FIRST if recipient_kind == "cadre" else at
    return conn.execute(
        _OUTBOX_INSERT,
        {
            "created_at": at,
            "kind": kind,
            "recipient_kind": recipient_kind,
            "recipient": recipient,
            "incident_id": None if incident_id is None else int(incident_id),
            "payload": rows.json_text(payload),
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": due,
        },
    ).scalar_one()


def decoded(row) -> dict:
    entry = dict(row)
    entry["payload"] = json.loads(entry["payload"]) if entry.get("payload") else {}
    return entry


class OutboxStore:
    """The outbox's claims, outcomes and reads (needs ``Store``'s
    ``_transaction``, ``_frame`` and ``backend``)."""

    # ------------------------------------------------------------ delivery

    def due_notifications(
        self,
        now: dt.datetime,
        limit: int = 50,
        *,
        recipient_kinds: Sequence[str] | None = None,
        lease: dt.timedelta = LEASE,
    ) -> list[dict]:
        """Claim up to ``limit`` due notifications, oldest due first.

        Each claimed row counts one more attempt and is not due again until
        ``now + lease``. ``recipient_kinds`` keeps the claim to those a
        worker can deliver (say, not cadres when no SMS goes to them).

        Returns the rows as dicts, ``payload`` decoded, ``attempts``
        including this one.
        """
        o = schema.outbox
        statement = (
            select(o)
            .where(o.c.state == "pending", o.c.next_attempt_at <= now)
            .order_by(o.c.next_attempt_at, o.c.id)
            .limit(int(limit))
        )
        if recipient_kinds is not None:
            statement = statement.where(o.c.recipient_kind.in_(list(recipient_kinds)))
        if self.backend == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        with self._transaction() as conn:
            claimed = [decoded(r) for r in conn.execute(statement).mappings().all()]
            if claimed:
                conn.execute(
                    update(o)
                    .where(o.c.id.in_([r["id"] for r in claimed]))
                    .values(attempts=o.c.attempts + 1, next_attempt_at=now + lease)
                )
        for r in claimed:
            r["attempts"] += 1
        return claimed

    def mark_sent(self, notification_id: int, transport: str, at: dt.datetime) -> bool:
        """Record a delivery; False when the row was no longer pending
        (the phone fetched it meanwhile, say)."""
        o = schema.outbox
        with self._transaction() as conn:
            done = conn.execute(
                update(o)
                .where(o.c.id == notification_id, o.c.state == "pending")
                .values(state="sent", sent_at=at, transport=transport[:16], last_error=None)
            )
        return done.rowcount == 1

    def mark_failed(self, notification_id: int, error: str, retry_at: dt.datetime | None) -> bool:
        """Record a failed try: pending again at ``retry_at``, or failed for
        good when it is None. False when the row was no longer pending."""
        o = schema.outbox
        values: dict = {"last_error": str(error)[:MAX_ERROR]}
        values.update({"next_attempt_at": retry_at} if retry_at else {"state": "failed"})
        with self._transaction() as conn:
            done = conn.execute(
                update(o).where(o.c.id == notification_id, o.c.state == "pending").values(**values)
            )
        return done.rowcount == 1

    # ----------------------------------------------------------- the phone

    def notifications_for_cadre(self, cadre_id: int, limit: int = 30) -> list[dict]:
        """A cadre's notifications, newest first, for the field app: id, kind,
        incident_id, created_at, state, text_zh, text_en, read_at (ISO 8601)."""
        o = schema.outbox
        with self.engine.connect() as conn:
            found = conn.execute(
                select(o.c.id, o.c.kind, o.c.incident_id, o.c.created_at, o.c.state)
                .add_columns(o.c.payload, o.c.read_at)
                .where(o.c.recipient_kind == "cadre", o.c.recipient == str(int(cadre_id)))
                .order_by(o.c.id.desc())
                .limit(int(limit))
            ).mappings()
            out = []
            for r in found:
                payload = json.loads(r["payload"])
                out.append(
                    {
                        "id": int(r["id"]),
                        "kind": r["kind"],
                        "incident_id": r["incident_id"],
                        "created_at": r["created_at"].isoformat(),
                        "state": r["state"],
                        "text_zh": payload.get("text_zh"),
                        "text_en": payload.get("text_en"),
                        "read_at": r["read_at"].isoformat() if r["read_at"] else None,
                    }
                )
        return out

    def mark_fetched(self, cadre_id: int, ids: Iterable[int], at: dt.datetime) -> int:
        """The phone has these of the cadre's notifications: sent, by the field app.

        A task notice that reached the phone also marks the task seen (the
        dispatch's ``seen_at``, if not set yet). Ids of other recipients are
        ignored. Returns how many rows changed; no write when there are none.
        """
        wanted = sorted({int(i) for i in ids})
        if not wanted:
            return 0
        o, d = schema.outbox, schema.dispatches
        mine = (o.c.recipient_kind == "cadre", o.c.recipient == str(int(cadre_id)))
        with self._transaction() as conn:
            fetched = conn.execute(
                select(o.c.kind, o.c.incident_id).where(
                    o.c.id.in_(wanted), o.c.state == "pending", *mine
                )
            ).all()
            if not fetched:
                return 0
            conn.execute(
                update(o)
                .where(o.c.id.in_(wanted), o.c.state == "pending", *mine)
                .values(state="sent", sent_at=at, transport="field")
            )
            tasks = sorted({int(i) for kind, i in fetched if kind in TASK_KINDS and i is not None})
            if tasks:
                conn.execute(
                    update(d)
                    .where(
                        d.c.cadre_id == int(cadre_id),
                        d.c.incident_id.in_(tasks),
                        d.c.released_at.is_(None),
                        d.c.seen_at.is_(None),
                    )
                    .values(seen_at=at)
                )
        return len(fetched)

    def mark_read(self, notification_id: int, cadre_id: int, at: dt.datetime | None = None) -> dict:
        """The cadre read their notification; returns its id and read_at.

        Reading it twice keeps the first time.

        Raises
        ------
        NotFound
            No such notification.
        Forbidden
            It is not this cadre's (another cadre's, or the desk's).
        """
        at = at or rows.utcnow()
        o = schema.outbox
        with self._transaction() as conn:
            row = conn.execute(
                select(o.c.recipient_kind, o.c.recipient, o.c.read_at).where(
                    o.c.id == int(notification_id)
                )
            ).first()
            if row is None:
                raise NotFound(
                    f"no notification with id {notification_id}",
                    zh=f"没有编号为 {notification_id} 的通知",
                )
            if row.recipient_kind != "cadre" or row.recipient != str(int(cadre_id)):
                raise Forbidden("this notification is not yours", zh="这条通知不是发给您的")
            if row.read_at is not None:
                return {"id": int(notification_id), "read_at": row.read_at.isoformat()}
            conn.execute(
                update(o)
                .where(o.c.id == int(notification_id))
                .values(
                    state="read",
                    read_at=at,
                    sent_at=func.coalesce(o.c.sent_at, at),
                    transport=func.coalesce(o.c.transport, "field"),
                )
            )
        return {"id": int(notification_id), "read_at": at.isoformat()}
