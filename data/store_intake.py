"""The store's part for citizen intake: API keys, idempotency records, new reports.

Mixed into ``data.store.Store``, which stays the one gateway to the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import bindparam, delete, func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from data import rows, schema
from data.driver_insert import DriverInsert
from domain.access import has_old_default_scopes, parse_scopes
from domain.errors import Conflict, InvalidInput, NotFound, Unprocessable
from domain.public_ids import public_id_prefix

log = logging.getLogger(__name__)

# An in-flight claim older than this is taken to be from a request that died
# (a crashed worker): a retry may take it over instead of waiting forever.
STALE_CLAIM = dt.timedelta(seconds=60)

# A worker may serve a key from memory this long after reading it: a key
# revoked (or narrowed) elsewhere, in another worker or by the command line,
# is refused everywhere at most this many seconds after the revocation commits.
KEY_CACHE_SECONDS = 5.0
_KEY_CACHE_SIZE = 1024  # live keys remembered per process; the cache empties when full


@dataclass(frozen=True)
class Client:
    """An Open311 client, field app, wall or integration, known by its API key."""

    id: int
    name: str
    scopes: tuple[str, ...] = ()  # domain.access.KEY_SCOPES
    town: str | None = None  # a display key of one town


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
_CLIENT_BY_HASH = select(
    schema.api_keys.c.id,
    schema.api_keys.c.name,
    schema.api_keys.c.scopes,
    schema.api_keys.c.town_code,
).where(schema.api_keys.c.key_hash == bindparam("hash"), schema.api_keys.c.revoked_at.is_(None))
_LAST_INCIDENT_ID = select(func.max(schema.incidents.c.id))
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


def key_hash(key: str) -> str:
    """SHA-256 of an API key: the store never keeps the key itself."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class IntakeStore:
    """Reads and writes of the intake path (needs ``Store``'s engine and helpers)."""

    # -------------------------------------------------------------- API keys

    def create_api_key(
        self,
        name: str,
        *,
        actor: str,
        scopes: tuple[str, ...] | str = ("open311",),
        town: str | None = None,
    ) -> str:
        """Issue a new key for client ``name``; returns the key, shown only once.

        ``scopes`` (domain.access.KEY_SCOPES) say what the key may do (by
        default only file and read reports: least privilege); a
        ``town`` binds it to that town's data (a town's display wall).
        """
        name = name.strip()
        if not 1 <= len(name) <= 80:
            raise InvalidInput("the client name must be 1 to 80 characters")
        scopes = parse_scopes(scopes if isinstance(scopes, str) else ",".join(scopes))
        if town is not None and town not in set(self.towns()["code"]):
            raise InvalidInput(f"no town with code {town!r}")
        key = "gc_" + secrets.token_urlsafe(24)
        now = rows.utcnow()
        with self._transaction() as conn:
            new_id = conn.execute(
                insert(schema.api_keys)
                .values(
                    name=name,
                    key_hash=key_hash(key),
                    prefix=key[:10],
                    created_at=now,
                    scopes=",".join(scopes),
                    town_code=town,
                )
                .returning(schema.api_keys.c.id)
            ).scalar_one()
            self._record(
                conn,
                actor=actor,
                action="create_api_key",
                entity="api_key",
                entity_id=new_id,
                feed=False,
                after={"name": name, "prefix": key[:10], "scopes": scopes, "town": town},
            )
        return key

    def revoke_api_keys(self, name_or_prefix: str, *, actor: str) -> int:
        """Revoke every live key of a client name or with a key prefix; returns how many."""
        k = schema.api_keys
        now = rows.utcnow()
        with self._transaction() as conn:
            ids = list(
                conn.execute(
                    select(k.c.id).where(
                        k.c.revoked_at.is_(None),
                        or_(k.c.name == name_or_prefix, k.c.prefix == name_or_prefix),
                    )
                ).scalars()
            )
            if not ids:
                raise NotFound(f"no live API key named or starting {name_or_prefix!r}")
            conn.execute(update(k).where(k.c.id.in_(ids)).values(revoked_at=now))
            self._record(
                conn,
                actor=actor,
                action="revoke_api_key",
                entity="api_key",
                entity_id=",".join(map(str, ids)),
                after={"revoked": len(ids)},
                feed=False,
            )
        self._key_cache.clear()  # once committed: this process refuses them from now on
        return len(ids)

    def set_api_key_scopes(
        self, name_or_prefix: str, scopes: tuple[str, ...] | str, *, actor: str
    ) -> int:
        """Give every live key of a client name or with a key prefix these
        scopes (to narrow a key without handing out a new one); returns how many."""
        scopes = parse_scopes(scopes if isinstance(scopes, str) else ",".join(scopes))
        k = schema.api_keys
        with self._transaction() as conn:
            found = conn.execute(
                select(k.c.id, k.c.scopes).where(
                    k.c.revoked_at.is_(None),
                    or_(k.c.name == name_or_prefix, k.c.prefix == name_or_prefix),
                )
            ).all()
            if not found:
                raise NotFound(f"no live API key named or starting {name_or_prefix!r}")
            ids = [row.id for row in found]
            conn.execute(update(k).where(k.c.id.in_(ids)).values(scopes=",".join(scopes)))
            self._record(
                conn,
                actor=actor,
                action="set_api_key_scopes",
                entity="api_key",
                entity_id=",".join(map(str, ids)),
                feed=False,
                before={str(row.id): row.scopes for row in found},
                after={"scopes": list(scopes)},
            )
        self._key_cache.clear()  # narrowed: this process stops granting the old scopes now
        return len(ids)

    def api_keys(self) -> pd.DataFrame:
        """Every key ever issued: name, prefix, scopes, town_code, created_at,
        revoked_at (None while live; never the key), and ``old_default``: live
        with exactly the scopes keys made without ``--scopes`` used to get."""
        k = schema.api_keys
        frame = self._listing(
            select(
                k.c.id,
                k.c.name,
                k.c.prefix,
                k.c.scopes,
                k.c.town_code,
                k.c.created_at,
                k.c.revoked_at,
            ).order_by(k.c.id)
        )
        frame["old_default"] = [
            revoked is None and has_old_default_scopes(scopes)
            for scopes, revoked in zip(frame["scopes"], frame["revoked_at"], strict=True)
        ]
        return frame

    def client_for_key(self, key: str | None, *, cached: bool = False) -> Client | None:
        """The client a live key belongs to; None for a missing, wrong or revoked key.

        ``cached`` (the guard's choice) answers a key read from the database
        less than ``KEY_CACHE_SECONDS`` ago from this process's memory, so a
        busy intake does not read its key per report. Age counts from before
        the read, so a key revoked at time t is refused by every process from
        t + KEY_CACHE_SECONDS on; a revocation through this store takes effect
        here at once (but for a read racing its commit, which still keeps to
        the bound). Wrong keys are never remembered.
        """
        if not key:
            return None
        digest = key_hash(key)
        cache = self._key_cache
        if cached:
            hit = cache.get(digest)
            if hit is not None and time.monotonic() - hit[0] < KEY_CACHE_SECONDS:
                return hit[1]
        asked = time.monotonic()
        with self.engine.connect() as conn:
            row = conn.execute(_CLIENT_BY_HASH, {"hash": digest}).first()
        if row is None:
            cache.pop(digest, None)
            return None
        client = Client(row.id, row.name, tuple(row.scopes.split(",")), row.town_code)
        if len(cache) >= _KEY_CACHE_SIZE:
            cache.clear()
        cache[digest] = (asked, client)
        return client

    def client_by_id(self, key_id: int) -> Client | None:
        """The client of live key ``key_id``; None once it is revoked."""
        k = schema.api_keys
        with self.engine.connect() as conn:
            row = conn.execute(
                select(k.c.id, k.c.name, k.c.scopes, k.c.town_code).where(
                    k.c.id == key_id, k.c.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            return None
        return Client(row.id, row.name, tuple(row.scopes.split(",")), row.town_code)

    # ---------------------------------------------------------- idempotency

    def claim_idempotency_key(self, client_id: int, key: str, request_hash: str) -> Claim | Replay:
        """Hold ``key`` for this request, or return the first answer to it.

        Raises
        ------
        Conflict
            The same key is still being processed by another request.
        Unprocessable
            The key was used before with a different request body.
        """
        if not 1 <= len(key) <= 255:
            raise InvalidInput("Idempotency-Key must be 1 to 255 characters")
        t = schema.idempotency_keys
        now = rows.utcnow()
        with self._transaction() as conn:
            row = (
                conn.execute(select(t).where(t.c.client_id == client_id, t.c.key == key))
                .mappings()
                .first()
            )
            if row is None:
                try:
                    conn.execute(
                        insert(t).values(
                            client_id=client_id,
                            key=key,
                            request_hash=request_hash,
                            state="in_flight",
                            created_at=now,
                        )
                    )
                except IntegrityError:  # another request claimed it a moment ago
                    raise Conflict(f"a request with Idempotency-Key {key!r} is in flight") from None
                return Claim(client_id, key)
            in_flight = row["state"] == "in_flight"
            if in_flight and now - row["created_at"] < STALE_CLAIM:
                raise Conflict(f"a request with Idempotency-Key {key!r} is in flight")
            if row["request_hash"] != request_hash:
                raise Unprocessable(
                    f"Idempotency-Key {key!r} was already used with a different request"
                )
            if not in_flight:
                return Replay(row["response_status"], row["response_body"], row["response_type"])
            conn.execute(update(t).where(t.c.id == row["id"]).values(created_at=now))
            return Claim(client_id, key)

    def release_idempotency_key(self, claim: Claim) -> None:
        """Give up a claim whose request stored nothing, so it can be retried."""
        t = schema.idempotency_keys
        with self._transaction() as conn:
            conn.execute(
                delete(t).where(
                    t.c.client_id == claim.client_id,
                    t.c.key == claim.key,
                    t.c.state == "in_flight",
                )
            )

    # --------------------------------------------------------------- intake

    def add_report(
        self,
        values: dict,
        *,
        actor: str,
        claim: Claim | None = None,
        respond: Callable[[str], tuple[int, str, str]] | None = None,
        placed_with: int | None = None,
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
        )
        if claim is None and self._intake_writer is not None:
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
        last = conn.execute(_LAST_INCIDENT_ID).scalar() or 0  # under the write lock
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
