"""The store's part for Idempotency-Key records: a retried POST gets the first answer.

Mixed into ``data.store.Store``. A request claims its key before it writes
anything; the report and its answer are then stored in one transaction
(``IntakeStore.add_report``), so a retry is answered with the first answer
and never stores the report twice. After the IETF draft: the same key in
flight is a conflict, the same key with another body is unprocessable.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from data import rows, schema
from data.store_intake import Claim, Replay
from domain.errors import Conflict, InvalidInput, Unprocessable

# An in-flight claim older than this is taken to be from a request that died
# (a crashed worker): a retry may take it over instead of waiting forever.
STALE_CLAIM = dt.timedelta(seconds=60)


def _in_flight(key: str) -> Conflict:
    return Conflict(
        f"a request with Idempotency-Key {key!r} is in flight",
        zh="同一请求正在处理中，请稍后用同一 Idempotency-Key 重试",
    )


class IdempotencyStore:
    """Claim and release Idempotency-Keys (needs ``Store``'s ``_transaction``)."""

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
                    raise _in_flight(key) from None
                return Claim(client_id, key)
            in_flight = row["state"] == "in_flight"
            if in_flight and now - row["created_at"] < STALE_CLAIM:
                raise _in_flight(key)
            if row["request_hash"] != request_hash:
                raise Unprocessable(
                    f"Idempotency-Key {key!r} was already used with a different request",
                    zh="该 Idempotency-Key 已用于另一个不同的请求，请换一个新的",
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
