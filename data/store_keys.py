"""The store's part for API keys: the keys of Open311 clients, field apps and walls.

Mixed into ``data.store.Store``. Only a key's SHA-256 is stored; issuing,
revoking and narrowing a key are audited (not fed to the screens: keys are not
city state). The intake's guard asks for a key's client on every request, so
a live key may be answered from memory for ``KEY_CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, bindparam, insert, or_, select, update

from data import rows, schema
from domain.access import has_old_default_scopes, parse_scopes
from domain.errors import InvalidInput, NotFound

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


# Built once: the intake's guard reads a key per request.
_CLIENT_BY_HASH = select(
    schema.api_keys.c.id,
    schema.api_keys.c.name,
    schema.api_keys.c.scopes,
    schema.api_keys.c.town_code,
).where(schema.api_keys.c.key_hash == bindparam("hash"), schema.api_keys.c.revoked_at.is_(None))


def key_hash(key: str) -> str:
    """SHA-256 of an API key: the store never keeps the key itself."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ApiKeyStore:
    """Issue, revoke, narrow and look up API keys (needs ``Store``'s engine,
    ``_transaction``, ``_record`` and ``_key_cache``)."""

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
            ids = [row.id for row in _live_keys(conn, name_or_prefix)]
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
            found = _live_keys(conn, name_or_prefix)
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


def _live_keys(conn: Connection, name_or_prefix: str) -> list:
    """Id and scopes of every live key of a client name or with a key prefix.

    Raises ``NotFound`` when there is none.
    """
    k = schema.api_keys
    found = conn.execute(
        select(k.c.id, k.c.scopes).where(
            k.c.revoked_at.is_(None),
            or_(k.c.name == name_or_prefix, k.c.prefix == name_or_prefix),
        )
    ).all()
    if not found:
        raise NotFound(f"no live API key named or starting {name_or_prefix!r}")
    return found
