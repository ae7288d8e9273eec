"""The store's part for dispatch: sending cadres, and their assignments.

Mixed into ``data.store.Store``. The database is the guard against sending a
cadre twice: a cadre is taken by a conditional update (``status =
'available'``, and the position the plan saw) and the partial unique index
``dispatches_one_active_per_cadre`` allows one active assignment per cadre.
No check in Python before the write decides it; a refused dispatch rolls the
whole transaction back, so a plan is applied whole or not at all. What the
cadres report from the field is ``data.store_field``'s.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from data import rows, schema
from data.store_outbox import enqueue
from domain.access import display_actor
from domain.cadres import CADRE_STATUSES
from domain.dispatch_work import DISPATCHABLE
from domain.errors import Conflict, InvalidInput, NotFound
from domain.lifecycle import status_name
from domain.notices import task_notice

_DISPATCH_INSERT = insert(schema.dispatches).returning(schema.dispatches.c.id)
_DEADLOCK_RETRIES = 3
_TAKE_ATTEMPTS = 3
_TAKE_CADRE = (
    update(schema.cadres)
    .where(schema.cadres.c.id == bindparam("cadre_id"), schema.cadres.c.status == "available")
    .values(status="en_route")
)


def _is_deadlock(error: OperationalError) -> bool:
    """PostgreSQL broke a deadlock by failing this transaction (SQLCSTATE 40P01)."""
    return getattr(error.orig, "sqlstate", None) == "40P01"


@dataclass(frozen=True)
class Assignment:
    """One cadre to send to one incident.

    ``position_at`` is the time of the cadre's position the plan was computed
    on; when given, the dispatch is refused if the cadre has moved since.
    """

    incident_id: int
    cadre_id: int
    eta_s: float | None = None
    position_at: dt.datetime | None = None


def _tell_cadres(
    conn: Connection, incident: dict, cadre_ids: list[int], notice: str, at: dt.datetime
) -> None:
    """Each cadre sent is told in the outbox, in the dispatch's transaction.

    A task that somebody declined before is a reassignment to the next one.
    """
    d, k = schema.dispatches, schema.cadres
    if notice == "dispatch":
        declined = conn.execute(
            select(d.c.id)
            .where(d.c.incident_id == incident["id"], d.c.declined_at.is_not(None))
            .limit(1)
        ).first()
        notice = "reassign" if declined else notice
    phones = dict(conn.execute(select(k.c.id, k.c.phone).where(k.c.id.in_(cadre_ids))).all())
    for cadre_id in cadre_ids:
        enqueue(
            conn,
            kind=notice,
            recipient_kind="cadre",
            recipient=str(cadre_id),
            incident_id=incident["id"],
            payload=task_notice(notice, incident, phone=phones.get(cadre_id)),
            at=at,
        )


class DispatchStore:
    """Dispatch writes and reads (see the module docstring)."""

    # ---------------------------------------------------------------- writes

    def dispatch(
        self, assignments: Sequence[Assignment], *, actor: str, notice: str = "dispatch"
    ) -> list[int]:
        """Send cadres to incidents, all or nothing, in one transaction.

        An incident that is only reported is registered on the way; one that
        is registered or escalated becomes dispatched; one already dispatched
        or in progress takes more hands. Each incident's change is audited and
        fed to the screens with the cadres it got, and each cadre is told in
        the outbox (``notice``: "dispatch", or "mobilise" for an event's
        cadres; "reassign" where a cadre declined the incident before).

        Returns the new dispatch ids, in the order given.

        Raises
        ------
        NotFound
            An unknown incident or cadre.
        Conflict
            A cadre is not available (the message says who took them for
            which incident), moved since the plan, or an incident is closed.
        InvalidInput
            No assignments, or one cadre twice.
        """
        if notice not in ("dispatch", "mobilise"):
            raise InvalidInput(f"notice must be dispatch or mobilise, not {notice!r}")
        if not assignments:
            raise InvalidInput(
                "nothing to dispatch: give at least one cadre", zh="请至少选择一名干部"
            )
        cadre_ids = [a.cadre_id for a in assignments]
        if len(set(cadre_ids)) != len(cadre_ids):
            raise InvalidInput(
                "a cadre appears twice: each can take one task", zh="同一干部出现两次"
            )
        for attempt in range(_DEADLOCK_RETRIES):
            try:
                return self._dispatch_all(assignments, actor, notice)
            except OperationalError as error:
                if not _is_deadlock(error) or attempt == _DEADLOCK_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _dispatch_all(
        self, assignments: Sequence[Assignment], actor: str, notice: str = "dispatch"
    ) -> list[int]:
        """One transaction taking rows in one global order: incidents, then cadres, by id.

        Every dispatch locks in the same order, so two overlapping plans queue
        behind each other instead of deadlocking.
        """
        now = rows.utcnow()
        by_incident: dict[int, list[Assignment]] = {}
        for a in assignments:
            by_incident.setdefault(int(a.incident_id), []).append(a)
        new_ids: dict[int, int] = {}
        try:
            with self._transaction() as conn:
                incidents = {}
                for incident_id in sorted(by_incident):
                    incidents[incident_id] = self._lock_incident(conn, incident_id)
                for a in sorted(assignments, key=lambda a: a.cadre_id):
                    self._take_cadre(conn, a)
                now = rows.utcnow()  # sent once every row it needs is ours
                for incident_id, group in sorted(by_incident.items()):
                    incident = incidents[incident_id]
                    status = incident["status"]
                    ids = [
                        conn.execute(
                            _DISPATCH_INSERT,
                            {
                                "incident_id": incident_id,
                                "cadre_id": a.cadre_id,
                                "sent_by": actor,
                                "sent_at": now,
                                "eta_s": a.eta_s,
                            },
                        ).scalar_one()
                        for a in group
                    ]
                    new_ids.update(zip([a.cadre_id for a in group], ids, strict=True))
                    moves = ["register", "dispatch"] if status == "reported" else []
                    moves += ["dispatch"] if status in ("registered", "escalated") else []
                    for n, action in enumerate(moves):  # the reporter hears of the last
                        last = n == len(moves) - 1
                        self._move_incident(
                            conn, incident, action, actor=actor, at=now, notify=last
                        )
                    _tell_cadres(conn, incident, [a.cadre_id for a in group], notice, now)
                    self._record(
                        conn,
                        actor=actor,
                        action="dispatch",
                        entity="incident",
                        entity_id=incident_id,
                        before={"status": status},
                        after={
                            "status": incident["status"],
                            "cadres": [a.cadre_id for a in group],
                            "dispatches": ids,
                        },
                        payload={
                            **rows.feed_incident(incident),
                            "cadres": [{"id": a.cadre_id, "status": "en_route"} for a in group],
                        },
                    )
        except IntegrityError:
            # The unique index caught what the conditional update let by (it never
            # should): report it like any taken cadre, nothing was written.
            raise Conflict(
                "a cadre was taken by another dispatch at the same moment; nothing was sent",
                zh="有干部刚被他人派出，本次未派遣任何人",
            ) from None
        return [new_ids[a.cadre_id] for a in assignments]

    def _lock_incident(self, conn: Connection, incident_id: int) -> dict:
        """The incident's row, locked; refused when it takes no more cadres."""
        incident = self._incident_for_update(conn, incident_id)
        status = incident["status"]
        if status not in DISPATCHABLE:
            raise Conflict(
                f"incident {incident['public_id']} is {status} ({status_name(status, 'en')}): "
                "it takes no cadres",
                zh=f"事件 {incident['public_id']} 已{status_name(status)}，不能再派遣",
            )
        return incident

    def _take_cadre(self, conn: Connection, a: Assignment) -> None:
        """Take the cadre in the database, or raise saying why not.

        The conditional update decides. When it takes nothing, the cadre is
        read again to say why; if by then they are free again (their task was
        released in between, under PostgreSQL's read committed), the update is
        tried again.
        """
        statement = _TAKE_CADRE
        if a.position_at is not None:
            statement = statement.where(schema.cadres.c.position_at == a.position_at)
        k, d, i = schema.cadres, schema.dispatches, schema.incidents
        for _ in range(_TAKE_ATTEMPTS):
            if conn.execute(statement, {"cadre_id": a.cadre_id}).rowcount == 1:
                return
            # One statement, one snapshot: the cadre and their active assignment
            # are read together, never half before and half after another commit.
            cadre = conn.execute(
                select(k.c.name, k.c.status, k.c.position_at, d.c.sent_by, i.c.public_id)
                .outerjoin(d, (d.c.cadre_id == k.c.id) & d.c.released_at.is_(None))
                .outerjoin(i, i.c.id == d.c.incident_id)
                .where(k.c.id == a.cadre_id)
            ).first()
            if cadre is None:
                raise NotFound(
                    f"no cadre with id {a.cadre_id}", zh=f"没有编号为 {a.cadre_id} 的干部"
                )
            if cadre.sent_by is not None:
                raise Conflict(
                    f"{cadre.name} (cadre {a.cadre_id}) was already sent by {display_actor(cadre.sent_by)} to "
                    f"{cadre.public_id}; nothing was dispatched",
                    zh=f"{cadre.name} 已被 {display_actor(cadre.sent_by)} 派往 {cadre.public_id}，本次未派遣",
                )
            if cadre.status != "available":
                zh_status, en_status = CADRE_STATUSES.get(cadre.status, (cadre.status,) * 2)
                raise Conflict(
                    f"{cadre.name} (cadre {a.cadre_id}) is {en_status.lower()}, not available; "
                    "nothing was dispatched",
                    zh=f"{cadre.name} 当前{zh_status}，不可派遣",
                )
            if a.position_at is not None and cadre.position_at != a.position_at:
                raise Conflict(
                    f"{cadre.name} (cadre {a.cadre_id}) has moved since the plan was made: "
                    "plan again",
                    zh=f"{cadre.name} 的位置在方案生成后已变化，请重新生成方案",
                )
        raise Conflict(
            f"cadre {a.cadre_id} is being sent and released by others right now: try again",
            zh="该干部正在被他人调度，请稍后重试",
        )

    # ----------------------------------------------------------------- reads

    def active_dispatches(self, incident_ids: Iterable[int] | None = None) -> pd.DataFrame:
        """Assignments not yet released, with cadre and incident names and positions."""
        d, k, i = schema.dispatches, schema.cadres, schema.incidents
        statement = (
            select(
                d,
                k.c.name.label("cadre_name"),
                k.c.status.label("cadre_status"),
                k.c.lon.label("cadre_lon"),
                k.c.lat.label("cadre_lat"),
                i.c.public_id,
                i.c.lon.label("incident_lon"),
                i.c.lat.label("incident_lat"),
            )
            .join(k, k.c.id == d.c.cadre_id)
            .join(i, i.c.id == d.c.incident_id)
            .where(d.c.released_at.is_(None))
            .order_by(d.c.id)
        )
        if incident_ids is not None:
            statement = statement.where(d.c.incident_id.in_([int(v) for v in incident_ids]))
        return self._frame(statement)

    def double_bookings(self) -> list[int]:
        """Cadres with more than one active assignment: always empty, or a bug."""
        d = schema.dispatches
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(d.c.cadre_id)
                    .where(d.c.released_at.is_(None))
                    .group_by(d.c.cadre_id)
                    .having(func.count() > 1)
                ).scalars()
            )

    def dispatches_of(self, incident_id: int) -> pd.DataFrame:
        """Every assignment of an incident, released or not, oldest first."""
        d, k = schema.dispatches, schema.cadres
        return self._frame(
            select(d, k.c.name.label("cadre_name"))
            .join(k, k.c.id == d.c.cadre_id)
            .where(d.c.incident_id == incident_id)
            .order_by(d.c.id)
        )

    def workload(self, since: dt.datetime) -> pd.Series:
        """Assignments per cadre sent since ``since``: a Series cadre_id -> count."""
        d = schema.dispatches
        frame = self._frame(
            select(d.c.cadre_id, func.count().label("n"))
            .where(d.c.sent_at >= since)
            .group_by(d.c.cadre_id)
        )
        return frame.set_index("cadre_id")["n"] if len(frame) else pd.Series(dtype=int)
