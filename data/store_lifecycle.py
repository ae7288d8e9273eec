"""The store's part for the incident lifecycle: every move of an incident's status.

Mixed into ``data.store.Store``. An operator's action (``apply_action``) and
the moves that sending cadres or their arrival make on the way (register,
dispatch, start: ``data.store_dispatch``) are one and the same write,
``_move_incident``: ``domain.lifecycle.plan`` checks the move against the row
read in the writing transaction, and the update holds only while the incident
still has the status the plan was made from. A move that closes the incident
releases its cadres in the same transaction. The caller audits the move and
feeds it to the screens with its own entry.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, select, update

from data import rows, schema
from data.store_outbox import enqueue
from domain.errors import Conflict, InvalidInput, NotFound
from domain.lifecycle import OPEN_STATUSES, STATUSES, Plan, plan
from domain.notices import state_notice


class LifecycleStore:
    """Moves of incidents through their lifecycle (needs ``Store``'s
    ``_transaction``, ``_record`` and ``sla_policy``)."""

    def apply_action(
        self,
        incident_id: int,
        action: str,
        *,
        actor: str,
        at: dt.datetime | None = None,
        **details,
    ) -> Plan:
        """Move an incident through its lifecycle (see ``domain.lifecycle.plan``).

        One transaction: the row is read, the move checked against it, written
        only if nobody moved the incident meanwhile, audited (who, when, what
        from → to, with the note and proof) and fed to live screens.

        Raises ``NotFound``, ``InvalidInput`` (an illegal move, saying which are
        legal) or ``Conflict``; a refused move changes nothing.
        """
        at = at or rows.utcnow()
        with self._transaction() as conn:
            incident = self._incident_for_update(conn, incident_id)
            move = self._move_incident(conn, incident, action, actor=actor, at=at, **details)
            self._record(
                conn,
                actor=actor,
                action=action,
                entity="incident",
                entity_id=incident_id,
                before={"status": move.source},
                after={"status": move.target, **move.details},
                payload=rows.feed_incident(incident),
            )
        return move

    def _incident_for_update(self, conn: Connection, incident_id: int) -> dict:
        """The incident's row, locked until the transaction ends; NotFound if none."""
        i = schema.incidents
        incident = (
            conn.execute(select(i).where(i.c.id == incident_id).with_for_update())
            .mappings()
            .first()
        )
        if incident is None:
            raise NotFound(
                f"no incident with id {incident_id}", zh=f"没有编号为 {incident_id} 的事件"
            )
        return dict(incident)

    def _move_incident(
        self,
        conn: Connection,
        incident: dict,
        action: str,
        *,
        actor: str,
        at,
        notify: bool = True,
        **details,
    ) -> Plan:
        """Plan ``action`` on ``incident`` (its row as read in this transaction)
        and write it; ``incident`` is brought up to date in place.

        The deadlines follow the store's SLA policy. A merge must go into
        another open incident; a move that ends the incident's need for cadres
        releases its active assignments. With ``notify``, a reporter who left
        a phone number is told of the moves they hear of
        (``domain.notices.REPORTER_MOVES``) through the outbox.

        Raises ``InvalidInput`` (an illegal move, or a merge into a closed
        incident) or ``Conflict`` when the incident's status is no longer the
        one it was read with; nothing is written then.
        """
        move = plan(incident, action, actor=actor, now=at, policy=self.sla_policy, **details)
        i = schema.incidents
        if action == "merge":
            target = conn.execute(
                select(i.c.status).where(i.c.id == move.changes["merged_into"])
            ).scalar()
            if target not in OPEN_STATUSES:
                raise InvalidInput(
                    "merge 'into' must be the id of another open incident",
                    zh="只能合并到另一件未办结的事件",
                )
        result = conn.execute(
            update(i)
            .where(i.c.id == incident["id"], i.c.status == incident["status"])
            .values(**move.changes)
        )
        if result.rowcount != 1:
            raise Conflict(
                f"incident {incident['id']} changed while it was being updated",
                zh="该事件刚被他人更新，请刷新后重试",
            )
        incident.update(move.changes)
        if closes_incident(move.target):
            self.release_dispatches(conn, incident["id"], at)
        notice = state_notice(incident, action) if notify else None
        phone = str(incident.get("reporter_phone") or "").strip()
        if notice is not None and phone:
            enqueue(
                conn,
                kind="incident_state",
                recipient_kind="reporter",
                recipient=phone,
                incident_id=incident["id"],
                payload=notice,
                at=at,
            )
        return move

    def release_dispatches(self, conn: Connection, incident_id: int, at) -> list[int]:
        """Release the incident's active assignments (it closed); their cadres go back."""
        d = schema.dispatches
        active = list(
            conn.execute(
                select(d.c.cadre_id).where(
                    d.c.incident_id == incident_id, d.c.released_at.is_(None)
                )
            ).scalars()
        )
        if active:
            conn.execute(
                update(d)
                .where(d.c.incident_id == incident_id, d.c.released_at.is_(None))
                .values(released_at=at)
            )
            free_cadres(conn, active)
        return active


def closes_incident(target: str) -> bool:
    """Whether moving to ``target`` ends the incident's need for cadres."""
    return target in STATUSES and target not in OPEN_STATUSES


def free_cadres(conn: Connection, cadre_ids: list[int]) -> None:
    """Cadres on their way or on site are available again (their task ended or
    they gave it back); off-duty cadres stay off duty."""
    k = schema.cadres
    conn.execute(
        update(k)
        .where(k.c.id.in_(cadre_ids), k.c.status.in_(["en_route", "on_site"]))
        .values(status="available")
    )
