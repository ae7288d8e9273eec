"""The cadre's phone signed in: one-time invites and long-lived sessions.

Mixed into ``data.store.Store``. A desk or an administrator issues a one-time
invite for a cadre of the roster (matched by mobile number); the cadre's tap
on it makes a long-lived session on that phone. Invites and sessions are kept
as SHA-256 hashes only. A session ends when an administrator revokes it or
when its cadre leaves the roster (no cadre of that id with that phone any more).
"""

from __future__ import annotations

import datetime as dt
import secrets
import time

import pandas as pd
from sqlalchemy import and_, insert, or_, select, update

from data import rows, schema
from data.store_auth import token_hash
from domain.access import Principal, for_cadre
from domain.errors import Gone, NotFound

INVITE_LIFETIME = dt.timedelta(hours=72)  # long enough to reach a cadre over a weekend
PRINCIPAL_CACHE_S = 5.0  # a revoked session is refused within this
SEEN_EVERY = dt.timedelta(minutes=5)  # how often a session's last use is written


class FieldSessionStore:
    """Invites and phone sessions (needs ``Store``'s ``_transaction`` and ``_record``)."""

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
        return token, {**dict(cadre), "invite_expires_at": now + lifetime}

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

    def _field_seen(self) -> dict:
        seen = getattr(self, "_field_seen_at", None)
        if seen is None:
            seen = self._field_seen_at = {}
        return seen

    def _field_cache(self) -> dict:
        cache = getattr(self, "_field_principals", None)
        if cache is None:
            cache = self._field_principals = {}
        return cache

    def touch_field_session(self, token: str, *, device: str = "") -> None:
        """Note that the phone is in use (written at most every few minutes).

        Each process remembers when it last wrote a session's use, and within
        SEEN_EVERY writes nothing: on SQLite even an UPDATE that matches no
        row takes the writer lock and flushes a commit, and the phones ask
        ``/me`` about a hundred times a second (bench/field.py).
        """
        hashed = token_hash(token)
        now = rows.utcnow()
        seen = self._field_seen()
        last = seen.get(hashed)
        if last is not None and now - last < SEEN_EVERY:
            return
        if len(seen) > 10_000:
            seen.clear()
        seen[hashed] = now
        s = schema.field_sessions
        with self._transaction() as conn:
            conn.execute(
                update(s)
                .where(
                    s.c.token_hash == hashed,
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
            frame = rows.frame_of(
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
