"""The store's part for citizen intake: new reports, one transaction each or shared.

Mixed into ``data.store.Store``, which stays the one gateway to the database.
The API keys that clients report with are ``data.store_keys``', the claims
of their Idempotency-Keys ``data.store_idempotency``'s.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, text, update
from sqlalchemy.exc import IntegrityError

from data import rows, schema
from data.driver_insert import DriverInsert
from domain.public_ids import public_id_prefix

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Replay:
    """The stored first answer to a request that is being retried."""

    status: int
    body: str
    content_type: str


class StaleGeometry(Exception):
    """A report was placed with boundaries an import has since replaced.

    Raised inside the write, which stores nothing of it; ``version`` is the
    geometry version now in force: place the report again and retry.
    """

    def __init__(self, version: int):
        super().__init__(f"the boundaries moved on to version {version}")
        self.version = version


@dataclass(frozen=True)
class Claim:
    """An idempotency key held by the request now being processed."""

    client_id: int
    key: str


# Statements of the hot intake path, built once.
_LAST_INCIDENT_ID = "SELECT max(id) FROM incidents"  # driver text: no compiling per batch
_NEXT_INCIDENT_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, :n)"
)
_IDEMPOTENCY_DONE = (
    update(schema.idempotency_keys)
    .where(
        schema.idempotency_keys.c.client_id == bindparam("claim_client"),
        schema.idempotency_keys.c.key == bindparam("claim_key"),
    )
    .values(
        state="done",
        response_status=bindparam("answer_status"),
        response_body=bindparam("answer_body"),
        response_type=bindparam("answer_type"),
        completed_at=bindparam("answer_at"),
    )
)
_FEED_LOCK_SQL = text("SELECT pg_advisory_xact_lock(:key)")
_IDS = ("id", "public_id")  # of a new incident: known only once its row id is taken
_AUDIT_COLUMNS = ("at", "actor", "action", "entity", "entity_id", "before", "after")
_FEED_COLUMNS = ("at", "entity", "entity_id", "op", "payload")


@dataclass(frozen=True)
class ReportWrite:
    """One report queued for a group-commit writer: ``write(conn)`` stores it."""

    id_prefix: str  # of its public id, which ends in the row id (domain.public_ids)
    actor: str
    claim: Claim | None
    respond: Callable[[str], tuple[int, str, str]] | None
    placed_with: int | None
    insert_all: Callable  # IntakeStore._insert_reports
    # Made by the request thread, so that little is left for the write lock:
    # the incident's statement and its values but for the ids, which are only
    # known under the lock, and the audit and feed entries' JSON but for them.
    insert: DriverInsert
    values: tuple
    audit_after: rows.JsonLater
    feed_payload: rows.JsonLater
    # What else the report stores in its transaction once its row is in
    # (the residents' page: its photos and its follower): then(conn, id).
    then: Callable | None = None

    def __call__(self, conn) -> tuple[int, str]:
        return self.insert_all(conn, [self])[0]

    def message(self) -> dict:
        """The report as plain data for the intake writer process (no claim)."""
        return {
            "columns": self.insert.columns,
            "values": self.values,
            "id_prefix": self.id_prefix,
            "actor": self.actor,
            "placed_with": self.placed_with,
            "audit": (self.audit_after.pieces, self.audit_after.slots),
            "feed": (self.feed_payload.pieces, self.feed_payload.slots),
        }


def _answered(answer: dict) -> tuple[int, str]:
    """A worker's report as the writer process answered it (``report_answer``)."""
    if "id" in answer:
        return int(answer["id"]), str(answer["public_id"])
    if "stale" in answer:
        raise StaleGeometry(int(answer["stale"]))
    from data.intake_writer import WriteFailed

    raise WriteFailed(answer.get("error", "the intake writer refused the report"))


class IntakeStore:
    """Reads and writes of the intake path (needs ``Store``'s engine and helpers)."""

    # --------------------------------------------------------------- intake

    def add_report(
        self,
        values: dict,
        *,
        actor: str,
        claim: Claim | None = None,
        respond: Callable[[str], tuple[int, str, str]] | None = None,
        placed_with: int | None = None,
        then: Callable | None = None,
    ) -> tuple[int, str]:
        """Store a validated report with its audit and feed entries, in one transaction.

        The public id is made from the new row's id and the Beijing date. With
        a ``claim``, ``respond(public_id)`` gives the (status, body, content
        type) that a retry with the same Idempotency-Key will get; it is stored
        in the same transaction, so an acknowledged report and its answer are
        never one without the other. Concurrent reports share a transaction
        and its flush (``data.group_commit``); each is acknowledged only once
        committed.

        ``placed_with`` is the geometry version the report's grid and town were
        found with (``geometry_version``). It is compared, once per shared
        transaction, with the version in force; if an import has moved the
        boundaries since, nothing is stored and ``StaleGeometry`` is raised, so
        no report is committed into a grid that is no longer where it was (on
        PostgreSQL, an import committing in the same milliseconds as the report
        can still slip between the check and the commit, as before).

        ``then(conn, incident_id)``, if given, writes what belongs with the
        report in its transaction (the residents' page: photos and follower).

        Returns the new incident's id and public id.
        """
        now = rows.utcnow()
        row = {"status": "reported", "reported_at": now, "updated_at": now, **values}
        columns = tuple(c for c in row if c not in _IDS)
        statement = self._driver_insert(schema.incidents, _IDS + columns)
        insert_all = self._insert_reports
        write = ReportWrite(
            public_id_prefix(row["reported_at"]),
            actor,
            claim,
            respond,
            placed_with,
            insert_all,
            statement,
            statement.values(row, columns),
            rows.json_text_later(row, _IDS),
            rows.json_text_later(rows.feed_incident(row), _IDS),
            then,
        )
        if claim is None and then is None and self._intake_writer is not None:
            answer = self._intake_writer.send(write.message())
            if answer is not None:  # None: the writer process is not there, write here
                return _answered(answer)
        try:
            return self._group.run(write, together=insert_all)
        except IntegrityError:
            # An import committed after the check (PostgreSQL) and took the grid away.
            if placed_with is not None and (current := self.geometry_version()) != placed_with:
                raise StaleGeometry(current) from None
            raise

    def _insert_reports(self, conn, writes: list[ReportWrite]) -> list[tuple[int, str]]:
        """Store reports in the writer's transaction: each incident, audit
        entry, change-feed entry and idempotency answer, one statement per
        table for them all, in the order of ``writes``.

        The row ids are taken before the insert, so each public id goes in
        with its row (no second statement to write it): on SQLite the
        transaction holds the write lock, so no other writer can take the ids
        after the highest; on PostgreSQL they come from the id sequence.
        """
        for write in writes:
            if write.placed_with is not None:
                current = self._geometry_version_once(conn)
                if current != write.placed_with:
                    raise StaleGeometry(current)
        ids = self._new_incident_ids(conn, len(writes))
        audit_insert = self._driver_insert(schema.audit_log, _AUDIT_COLUMNS)
        feed_insert = self._driver_insert(schema.change_feed, _FEED_COLUMNS)
        now = rows.utcnow()
        audit_at, feed_at = audit_insert.value("at", now), feed_insert.value("at", now)
        incidents: dict[DriverInsert, list[tuple]] = {}  # one statement per column set
        audit, feed, answers, results = [], [], [], []
        for write, new_id in zip(writes, ids, strict=True):
            public_id = f"{write.id_prefix}{new_id:06d}"  # domain.public_ids.public_id_for
            known = {"id": new_id, "public_id": public_id}
            incidents.setdefault(write.insert, []).append((new_id, public_id, *write.values))
            entity_id = str(new_id)
            audit.append(
                (
                    audit_at,
                    write.actor,
                    "add_report",
                    "incident",
                    entity_id,
                    None,
                    write.audit_after(known),
                )
            )
            feed.append((feed_at, "incident", entity_id, "insert", write.feed_payload(known)))
            if write.claim is not None and write.respond is not None:
                status, body, content_type = write.respond(public_id)
                answers.append(
                    {
                        "claim_client": write.claim.client_id,
                        "claim_key": write.claim.key,
                        "answer_status": status,
                        "answer_body": body,
                        "answer_type": content_type,
                    }
                )
            results.append((new_id, public_id))
        for statement, same_columns in incidents.items():
            statement.run(conn, same_columns)
        for write, (new_id, _) in zip(writes, results, strict=True):
            if write.then is not None:
                write.then(conn, new_id)
        audit_insert.run(conn, audit)
        if self.backend == "postgresql":  # change-feed entries commit in sequence order
            from data.store import _FEED_LOCK  # (data.store imports this module)

            conn.execute(_FEED_LOCK_SQL, {"key": _FEED_LOCK})
        feed_insert.run(conn, feed)
        if answers:
            done_at = rows.utcnow()
            for answer in answers:
                answer["answer_at"] = done_at
            conn.execute(_IDEMPOTENCY_DONE, answers)
        return results

    # ------------------------------------------- the intake writer process

    def use_intake_writer(self, path: str | None) -> None:
        """Send plain reports to the writer process at ``path`` (``data.intake_writer``)."""
        from data.intake_writer import WriterClient

        if self._intake_writer is not None:
            self._intake_writer.close()
        self._intake_writer = WriterClient(path) if path else None

    def report_work(self, message: dict) -> tuple[ReportWrite, Callable]:
        """The writer process's side of ``ReportWrite.message()``: the write and its
        ``together`` for ``commit_reports``. Raises ValueError for a message that
        is not a report of this schema."""
        try:
            columns = tuple(message["columns"])
            if columns[: len(_IDS)] != _IDS or len(message["values"]) != len(columns) - 2:
                raise ValueError("the columns and values do not match")
            statement = self._driver_insert(schema.incidents, columns)
            write = ReportWrite(
                str(message["id_prefix"]),
                str(message["actor"]),
                None,
                None,
                message["placed_with"],
                self._insert_reports,
                statement,
                tuple(message["values"]),
                rows.JsonLater(*map(tuple, message["audit"])),
                rows.JsonLater(*map(tuple, message["feed"])),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a report message: {exc!r}") from exc
        return write, self._insert_reports

    def commit_reports(self, batch: list, take_more: Callable[[list], None]) -> None:
        """Run the writer process's ``batch`` of (work, future, together) as one
        transaction (``GroupCommitter.commit``), settling each future."""
        self._group.commit(batch, take_more)

    @staticmethod
    def report_answer(future) -> dict:
        """The writer process's answer for a settled write (read by ``_answered``)."""
        error = future.exception()
        if error is None:
            new_id, public_id = future.result()
            return {"id": new_id, "public_id": public_id}
        if isinstance(error, StaleGeometry):
            return {"stale": error.version}
        if not isinstance(error, ValueError | IntegrityError):
            log.error("intake writer: a report failed", exc_info=error)
        return {"error": f"{type(error).__name__}: {error}"}

    def _driver_insert(self, table, columns: tuple[str, ...]) -> DriverInsert:
        """The ready-made INSERT of ``columns`` into ``table`` (made once per store)."""
        made = self._driver_inserts.get((table.name, columns))
        if made is None:
            made = self._driver_inserts[(table.name, columns)] = DriverInsert(
                table, columns, self.engine.dialect
            )
        return made

    def _new_incident_ids(self, conn, n: int) -> list[int]:
        """``n`` row ids for new incidents, ascending, that no row has or will take."""
        if self.backend == "postgresql":
            return sorted(conn.execute(_NEXT_INCIDENT_IDS, {"n": n}).scalars())
        last = conn.exec_driver_sql(_LAST_INCIDENT_ID).scalar() or 0  # under the write lock
        return list(range(last + 1, last + 1 + n))

    def _geometry_version_once(self, conn) -> int:
        """The geometry version, read once per transaction of ``conn``.

        On SQLite the transaction holds the write lock, so no import commits
        until it has. On PostgreSQL an import may commit after this read; if
        it removed the report's grid, the insert fails on the grid's foreign
        key and the caller, seeing the version moved, places the report again.
        """
        transaction = conn.get_transaction()
        known = conn.info.get("gridcommand.geometry_version")
        if known is None or known[0] is not transaction:
            known = conn.info["gridcommand.geometry_version"] = (
                transaction,
                self._geometry_version_in(conn),
            )
        return known[1]
