"""People who sign in: users, passwords, sessions, lock-out (a mixin of ``Store``).

Every write is one transaction with its audit entry. None goes to the change
feed: who signed in is not city state, and the feed is read by screens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

import pandas as pd
from sqlalchemy import delete, func, insert, select, update

from data import schema
from data.rows import utcnow
from domain.access import ROLES, TOWN_ROLES, Principal, for_user
from domain.errors import Conflict, InvalidInput, NotFound, TooManyAttempts, Unauthenticated
from domain.passwords import dummy_hash, hash_password, random_password, verify_password

MAX_FAILURES = 5  # wrong passwords in a row before the account locks
LOCKOUT = dt.timedelta(minutes=15)
SESSION_LENGTH = dt.timedelta(hours=12)  # one shift
_USERNAME = re.compile(r"^[\w.-]{2,40}$")
WRONG = "wrong user name or password"
WRONG_ZH = "用户名或密码错误"


def token_hash(token: str) -> str:
    """SHA-256 of a session token: the table never holds the token itself."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AuthStore:
    """Users and sessions (needs ``Store``'s engine, ``_transaction`` and ``_record``)."""

    # ------------------------------------------------------------------ users

    def create_user(
        self,
        username: str,
        password: str,
        role: str,
        *,
        actor: str,
        display_name: str | None = None,
        town: str | None = None,
    ) -> int:
        """Add a person who signs in; returns the user id.

        Raises InvalidInput for a bad name, role, town or weak password, and
        Conflict when the user name is taken.
        """
        username, town = self.check_new_user(username, role, town)
        hashed = hash_password(password)
        now = utcnow()
        u = schema.users
        with self._transaction() as conn:
            if conn.execute(select(u.c.id).where(u.c.username == username)).first():
                raise Conflict(f"user {username!r} exists already", zh=f"用户 {username} 已存在")
            user_id = conn.execute(
                insert(u)
                .values(
                    username=username,
                    display_name=(display_name or username)[:60],
                    role=role,
                    town_code=town,
                    password_hash=hashed,
                    created_at=now,
                )
                .returning(u.c.id)
            ).scalar_one()
            self._record(
                conn,
                actor=actor,
                action="create_user",
                entity="user",
                entity_id=username,
                after={"role": role, "town": town},
                feed=False,
            )
        return user_id

    def check_new_user(self, username: str, role: str, town: str | None) -> tuple[str, str | None]:
        """The user name and town of a new user, checked (before anyone is asked
        for a password); raises as ``create_user`` does, writes nothing."""
        username = (username or "").strip()
        if not _USERNAME.match(username):
            raise InvalidInput(
                "a user name is 2 to 40 letters, digits, '.', '-' or '_'",
                zh="用户名须为 2 至 40 个字母、数字或 . - _",
            )
        if role not in ROLES:
            raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        town = self._checked_town(role, town)
        with self.engine.connect() as conn:
            if conn.execute(
                select(schema.users.c.id).where(schema.users.c.username == username)
            ).first():
                raise Conflict(f"user {username!r} exists already", zh=f"用户 {username} 已存在")
        return username, town

    def check_user(self, username: str) -> None:
        """Raise NotFound unless ``username`` exists (before asking for a new password)."""
        with self.engine.connect() as conn:
            self._user_id(conn, username)

    def _checked_town(self, role: str, town: str | None) -> str | None:
        if role not in TOWN_ROLES:
            if town:
                raise InvalidInput(f"a {role} sees every town: give no town")
            return None
        if not town:
            raise InvalidInput(f"a {role} needs the code of their town", zh="镇街领导须指定镇街")
        if town not in set(self.towns()["code"]):
            raise InvalidInput(f"no town with code {town!r}", zh=f"没有代码为 {town} 的镇街")
        return town

    def set_password(self, username: str, password: str, *, actor: str) -> None:
        """Give ``username`` a new password; ends their sessions and lifts a lock-out."""
        hashed = hash_password(password)
        with self._transaction() as conn:
            user_id = self._user_id(conn, username)
            conn.execute(
                update(schema.users)
                .where(schema.users.c.id == user_id)
                .values(password_hash=hashed, failed_logins=0, locked_until=None)
            )
            conn.execute(delete(schema.sessions).where(schema.sessions.c.user_id == user_id))
            self._record(
                conn,
                actor=actor,
                action="set_password",
                entity="user",
                entity_id=username,
                feed=False,
            )

    def set_disabled(self, username: str, disabled: bool, *, actor: str) -> None:
        """Disable (ending every session) or re-enable ``username``."""
        with self._transaction() as conn:
            user_id = self._user_id(conn, username)
            conn.execute(
                update(schema.users).where(schema.users.c.id == user_id).values(active=not disabled)
            )
            if disabled:
                conn.execute(delete(schema.sessions).where(schema.sessions.c.user_id == user_id))
            self._record(
                conn,
                actor=actor,
                action="disable_user" if disabled else "enable_user",
                entity="user",
                entity_id=username,
                feed=False,
            )

    def _user_id(self, conn, username: str) -> int:
        found = conn.execute(
            select(schema.users.c.id).where(schema.users.c.username == username)
        ).scalar()
        if found is None:
            raise NotFound(f"no user {username!r}", zh=f"没有用户 {username}")
        return found

    def users(self) -> pd.DataFrame:
        """Everyone who may sign in (never the password hashes)."""
        u = schema.users
        return self._listing(
            select(
                u.c.id,
                u.c.username,
                u.c.display_name,
                u.c.role,
                u.c.town_code,
                u.c.failed_logins,
                u.c.locked_until,
                u.c.created_at,
                u.c.active,
            ).order_by(u.c.id)
        )

    def ensure_first_admin(self, password: str | None) -> str | None:
        """On a database without users, create ``admin``.

        Uses ``password`` (from GC_ADMIN_PASSWORD) or a random one, which is
        returned so it can be printed once; returns None when users exist.
        """
        with self.engine.connect() as conn:
            if conn.execute(select(func.count()).select_from(schema.users)).scalar():
                return None
        chosen = password or random_password()
        try:
            self.create_user("admin", chosen, "admin", actor="first run", display_name="系统管理员")
        except Conflict:  # another worker got there first
            return None
        return None if password else chosen

    # --------------------------------------------------------------- sessions

    def sign_in(self, username: str, password: str, *, client: str = "") -> tuple[str, Principal]:
        """Check a password and open a session; returns (token, principal).

        Raises
        ------
        Unauthenticated
            Unknown user, disabled user or wrong password (one message for
            all, so the answer does not tell which user names exist).
        TooManyAttempts
            After ``MAX_FAILURES`` wrong passwords the account is locked for
            ``LOCKOUT``, even to the right password.
        """
        now = utcnow()
        u = schema.users
        with self.engine.connect() as conn:
            row = conn.execute(select(u).where(u.c.username == (username or "").strip())).first()
        if row is None or not row.active:
            verify_password(dummy_hash(), password or "")  # the same time as a real check
            self._audit_failure(username, client, "unknown or disabled user")
            raise Unauthenticated(WRONG, zh=WRONG_ZH)
        if row.locked_until is not None and row.locked_until > now:
            self._audit_failure(username, client, "locked")
            raise self._locked(row.locked_until)
        if not verify_password(row.password_hash, password or ""):
            locked_until = self._count_failure(row.id, username, client, now)
            if locked_until is not None:
                raise self._locked(locked_until)
            raise Unauthenticated(WRONG, zh=WRONG_ZH)
        token = secrets.token_urlsafe(32)
        with self._transaction() as conn:
            conn.execute(
                update(u).where(u.c.id == row.id).values(failed_logins=0, locked_until=None)
            )
            conn.execute(
                insert(schema.sessions).values(
                    token_hash=token_hash(token),
                    user_id=row.id,
                    created_at=now,
                    expires_at=now + SESSION_LENGTH,
                    client=client[:80],
                )
            )
            self._record(
                conn,
                actor=f"user:{row.username}",
                action="sign_in",
                entity="user",
                entity_id=row.username,
                after={"client": client[:80]},
                feed=False,
            )
        return token, for_user(row.id, row.username, row.role, row.town_code)

    @staticmethod
    def _locked(until: dt.datetime) -> TooManyAttempts:
        local = until.astimezone(dt.timezone(dt.timedelta(hours=8)))
        return TooManyAttempts(
            f"too many wrong passwords: the account is locked until {local:%H:%M} (Beijing time)",
            zh=f"密码错误次数过多，账号已锁定至 {local:%H:%M}",
        )

    def _count_failure(self, user_id: int, username: str, client: str, now) -> dt.datetime | None:
        """One more wrong password; returns the lock-out end when this one locks."""
        u = schema.users
        with self._transaction() as conn:
            failures = conn.execute(
                update(u)
                .where(u.c.id == user_id)
                .values(failed_logins=u.c.failed_logins + 1)
                .returning(u.c.failed_logins)
            ).scalar_one()
            until = now + LOCKOUT if failures >= MAX_FAILURES else None
            if until is not None:
                conn.execute(
                    update(u).where(u.c.id == user_id).values(locked_until=until, failed_logins=0)
                )
            self._record(
                conn,
                actor="anonymous",
                action="sign_in_failed",
                entity="user",
                entity_id=username,
                feed=False,
                after={
                    "client": client[:80],
                    "failures": failures,
                    "locked_until": until.isoformat() if until else None,
                },
            )
        return until

    def _audit_failure(self, username: str, client: str, reason: str) -> None:
        with self._transaction() as conn:
            self._record(
                conn,
                actor="anonymous",
                action="sign_in_failed",
                entity="user",
                entity_id=(username or "")[:40],
                feed=False,
                after={"client": client[:80], "reason": reason},
            )

    def session_principal(self, token: str | None) -> Principal | None:
        """Who holds the live session ``token``; None for an unknown, ended or expired one."""
        if not token:
            return None
        s, u = schema.sessions, schema.users
        with self.engine.connect() as conn:
            row = conn.execute(
                select(u.c.id, u.c.username, u.c.role, u.c.town_code)
                .select_from(s.join(u, u.c.id == s.c.user_id))
                .where(
                    s.c.token_hash == token_hash(token),
                    s.c.expires_at > utcnow(),
                    u.c.active.is_(True),
                )
            ).first()
        return for_user(row.id, row.username, row.role, row.town_code) if row else None

    def sign_out(self, token: str | None) -> None:
        """End the session ``token`` (nothing happens for an unknown one)."""
        if not token:
            return
        s = schema.sessions
        with self._transaction() as conn:
            row = conn.execute(
                select(s.c.id, schema.users.c.username)
                .select_from(s.join(schema.users, schema.users.c.id == s.c.user_id))
                .where(s.c.token_hash == token_hash(token))
            ).first()
            if row is None:
                return
            conn.execute(delete(s).where(s.c.id == row.id))
            self._record(
                conn,
                actor=f"user:{row.username}",
                action="sign_out",
                entity="user",
                entity_id=row.username,
                feed=False,
            )
