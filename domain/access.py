"""Who may do what: roles, key scopes, permissions and the town a caller sees.

Pure: no Flask, no database. The server turns each request into a
``Principal`` (a signed-in person, an API key, or nobody) and asks here
whether it may do something and which town's data it may read.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from domain.errors import Forbidden, InvalidInput, Unauthenticated

# What a caller may do.
VIEW = "view"  # the map, figures, feeds of the city or of the caller's own town
DISPATCH = "dispatch"  # send cadres; move incidents through their lifecycle
EVENTS = "events"  # declare, run and end events
ADMIN = "admin"  # users, API keys, imports, settings
CONTACTS = "contacts"  # residents' and cadres' phone numbers unmasked
REPORT = "report"  # file reports (Open311 clients)
FIELD = "field"  # send positions and statuses (field apps)
TASKS = "tasks"  # a cadre's own work, from their phone (the field app at /field)
PERMISSIONS = (VIEW, DISPATCH, EVENTS, ADMIN, CONTACTS, REPORT, FIELD, TASKS)

# People sign in with a role: (Chinese, English) name and permissions.
ROLES: dict[str, tuple[str, str]] = {
    "operator": ("值班调度员", "Operator"),
    "commander": ("指挥长", "Commander"),
    "town_leader": ("镇街领导", "Town leader"),
    "city_leader": ("市领导", "City leader"),
    "admin": ("系统管理员", "Administrator"),
}
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "operator": frozenset({VIEW, DISPATCH, CONTACTS}),
    "commander": frozenset({VIEW, DISPATCH, EVENTS, CONTACTS}),
    "town_leader": frozenset({VIEW}),
    "city_leader": frozenset({VIEW}),
    # Administrators run the system, not the city: no dispatching, no phone numbers.
    "admin": frozenset({VIEW, ADMIN}),
}
TOWN_ROLES = frozenset({"town_leader"})  # roles that must name their town

# Machines use API keys with scopes.
KEY_SCOPES: dict[str, frozenset[str]] = {
    "open311": frozenset({REPORT}),  # a reporting app or hotline system
    "field": frozenset({FIELD}),  # the cadres' field app
    "display": frozenset({VIEW}),  # a video wall that nobody signs in to
    "dispatch": frozenset({VIEW, DISPATCH, CONTACTS}),  # a dispatch integration
    "events": frozenset({VIEW, EVENTS}),  # a provincial emergency system
}

# Before issue 16 a key made without --scopes got these three, so a citizen
# app's public key could also move incidents and read cadres' positions. Keys
# holding exactly these are flagged so that an administrator narrows them.
OLD_DEFAULT_SCOPES = frozenset({"open311", "field", "dispatch"})


def has_old_default_scopes(scopes: str | None) -> bool:
    """True for a key's comma list of scopes equal to ``OLD_DEFAULT_SCOPES``."""
    return {s.strip() for s in (scopes or "").split(",") if s.strip()} == OLD_DEFAULT_SCOPES


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    kind: str  # "user", "key", "cadre" or "anonymous"
    name: str
    permissions: frozenset[str] = frozenset()
    town: str | None = None  # the only town it may read; None for every town
    role: str | None = None  # users only
    id: int | None = None

    @property
    def signed_in(self) -> bool:
        return self.kind != "anonymous"

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"{self.kind}:{self.name}"

    def can(self, permission: str) -> bool:
        return permission in self.permissions


ANONYMOUS = Principal("anonymous", "")


def for_user(user_id: int, name: str, role: str, town: str | None) -> Principal:
    """The principal of a signed-in person."""
    return Principal(
        "user",
        name,
        ROLE_PERMISSIONS.get(role, frozenset()),
        town if role in TOWN_ROLES else None,
        role,
        user_id,
    )


@functools.lru_cache(maxsize=1024)  # every report asks; the answer is a frozen value
def for_key(key_id: int, name: str, scopes, town: str | None = None) -> Principal:
    """The principal of an API key with ``scopes`` (a tuple)."""
    permissions = frozenset().union(*(KEY_SCOPES.get(s, frozenset()) for s in scopes))
    return Principal("key", name, permissions, town, None, key_id)


def for_cadre(cadre_id: int, name: str) -> Principal:
    """The principal of a cadre signed in on their phone (the field app): their
    own tasks, nothing of anyone else's."""
    return Principal("cadre", name, frozenset({TASKS}), None, None, cadre_id)


def require(principal: Principal, permission: str) -> None:
    """Raise unless ``principal`` may do ``permission``.

    Raises
    ------
    Unauthenticated
        Nobody is signed in and no key was given (HTTP 401).
    Forbidden
        The caller is known but may not do this (HTTP 403).
    """
    if principal.can(permission):
        return
    if not principal.signed_in:
        raise Unauthenticated("sign in or send an API key first", zh="请先登录")
    raise Forbidden(f"{principal.actor} may not {permission}", zh="您没有此项权限")


def town_scope(principal: Principal, asked: str | None = None) -> str | None:
    """The town whose data a read may return: ``asked`` if the caller may see it.

    A caller bound to one town gets that town when it asks for none, and a
    Forbidden error when it asks for another; others get what they asked for.
    """
    if principal.town is None:
        return asked or None
    if asked and asked != principal.town:
        raise Forbidden(
            f"{principal.actor} may only read town {principal.town}", zh="您只能查看本镇街的数据"
        )
    return principal.town


def parse_scopes(text: str) -> tuple[str, ...]:
    """A comma list of key scopes, checked."""
    scopes = tuple(dict.fromkeys(s.strip() for s in text.split(",") if s.strip()))
    unknown = [s for s in scopes if s not in KEY_SCOPES]
    if unknown or not scopes:
        raise InvalidInput(
            f"unknown key scopes {', '.join(unknown) or '(none given)'}: "
            f"use any of {', '.join(KEY_SCOPES)}"
        )
    return scopes


def mask_phone(phone: str | None, principal: Principal) -> str | None:
    """A phone number as ``principal`` may see it: whole, or the middle hidden.

    138 1234 5678 becomes 138****5678, the way Chinese apps mask numbers.
    """
    if not phone or principal.can(CONTACTS):
        return phone
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def display_actor(actor: str | None) -> str:
    """An audit actor as people read it: ``user:zhao`` → ``zhao``,
    ``key:外勤App/李值班`` → ``李值班（外勤App）``; anything else as it is."""
    if not actor:
        return ""
    kind, _, name = actor.partition(":")
    if kind not in ("user", "key") or not name:
        return actor
    client, _, person = name.partition("/")
    return f"{person}（{client}）" if person else client
