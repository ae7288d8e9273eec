"""Service levels: when a reporter must be called back and when the item must be closed.

A limit is an amount in one of four units: ``clock_hours`` (round the clock, for
urgent items), ``working_hours`` and ``working_days`` (on a ``WorkCalendar``; a
working day ends at close of business, the day of the report not counted) and
``same_evening`` (by 21:00 local on the day of the report if reported before 17:00,
else by 12:00 local the next calendar day, weekends included: grid workers call back
in the evening). Priority sets the defaults; a category may set its own limits:

- first contact: the earlier of the priority's and the category's limit (a call back
  is never loosened by the kind of problem);
- resolution: the category's limit when the priority is the category's default; when
  the item was made more urgent, the earlier of the two; less urgent, the later.

Whether a deadline is met, breached or near at a given time is ``domain.sla_states``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from numbers import Integral
from types import MappingProxyType

from domain.calendar_cn import MAX_DAYS, MAX_HOURS, SHANGHAI, WorkCalendar, check_aware
from domain.categories import BY_CODE, PRIORITIES
from domain.errors import InvalidInput

UNITS = ("clock_hours", "working_hours", "working_days", "same_evening")
_TOPS = {"clock_hours": MAX_HOURS, "working_hours": MAX_HOURS, "working_days": MAX_DAYS}
_EVENING = {"cutoff": "evening_cutoff", "due": "evening_due", "next_day_due": "next_day_due"}


@dataclass(frozen=True)
class Limit:
    """An allowed time: ``amount`` in ``unit`` (one of ``UNITS``; 0 for same_evening)."""

    amount: float
    unit: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise InvalidInput(f"unit {self.unit!r} is not one of {', '.join(UNITS)}")
        amount, top = self.amount, _TOPS.get(self.unit, 0)
        if isinstance(amount, bool) or not isinstance(amount, int | float):
            raise InvalidInput(f"amount must be a number, got {amount!r}")
        if not math.isfinite(amount) or not (0 < amount <= top or amount == top == 0):
            raise InvalidInput(f"{self.unit} takes an amount in (0, {top:g}] (got {amount})")
        if self.unit == "working_days" and amount != int(amount):
            raise InvalidInput(f"working_days must be a whole number, got {amount}")
        object.__setattr__(self, "amount", float(amount))

    @classmethod
    def parse(cls, text: object) -> Limit:
        """A limit from ``"<amount> <unit>"`` (e.g. ``"3 working_days"``) or ``"same_evening"``."""
        parts = text.split() if isinstance(text, str) else []
        if parts == ["same_evening"]:
            return cls(0, "same_evening")
        try:
            amount, unit = parts
            return cls(float(amount), unit)
        except ValueError:
            pass
        raise InvalidInput(f"a limit is '<amount> <unit>' or 'same_evening', not {text!r}")

    def __str__(self) -> str:
        return self.unit if self.unit == "same_evening" else f"{self.amount:g} {self.unit}"


@dataclass(frozen=True)
class Targets:
    """Limits for the first call back and for resolution; None means not set here."""

    first_contact: Limit | None = None
    resolve: Limit | None = None


@dataclass(frozen=True)
class Deadlines:
    """Deadlines of one incident, aware UTC."""

    first_contact_at: dt.datetime
    resolve_at: dt.datetime


def _category_limit(hours: float) -> Limit:
    # domain.categories counts 8 working hours to a day: whole days count in working
    # days (close of business), shorter limits (street cleaning) in working hours.
    return Limit(hours // 8, "working_days") if hours % 8 == 0 else Limit(hours, "working_hours")


def _priority(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or value not in PRIORITIES:
        raise InvalidInput(f"priority must be one of 1, 2, 3, 4, got {value!r}")
    return int(value)


def _category(code: object) -> str:
    if not isinstance(code, str) or code not in BY_CODE:
        raise InvalidInput(f"unknown category {code!r} (known: {', '.join(sorted(BY_CODE))})")
    return code


def _mapping(value: object, where: str, keys: set[str] | None = None) -> Mapping:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{where} must be a mapping, got {type(value).__name__}")
    if keys is not None and (unknown := sorted(map(str, set(value) - keys))):
        raise InvalidInput(f"{where}: unknown key {unknown[0]!r} (expected {sorted(keys)})")
    return value


def _targets(entry: object, where: str, base: Targets | None) -> Targets:
    limits = {}
    for key, text in _mapping(entry, where, {"first_contact", "resolve"}).items():
        try:
            limits[key] = Limit.parse(text)
        except InvalidInput as error:
            raise InvalidInput(f"{where}.{key}: {error}") from None
    return replace(base or Targets(), **limits)


@dataclass(frozen=True)
class SlaPolicy:
    """Limits per priority (all of 1–4, both limits) and per-category overrides.

    ``evening_cutoff``, ``evening_due`` and ``next_day_due`` are the local times of the
    same_evening rule (17:00, 21:00, 12:00). ``calendar`` counts working time (None: the
    law and the shipped notices, ``WorkCalendar()``); it rides with the policy so that
    every caller that applies the city's policy also counts on the city's calendar.
    """

    priorities: Mapping[int, Targets]
    categories: Mapping[str, Targets] = field(default_factory=dict)
    evening_cutoff: dt.time = dt.time(17)
    evening_due: dt.time = dt.time(21)
    next_day_due: dt.time = dt.time(12)
    calendar: WorkCalendar | None = None

    def __post_init__(self) -> None:
        priorities = {_priority(p): t for p, t in self.priorities.items()}
        for number in PRIORITIES:
            targets = priorities.get(number, Targets())
            if targets.first_contact is None or targets.resolve is None:
                raise InvalidInput(f"priority {number} needs both first_contact and resolve")
        categories = {_category(c): t for c, t in self.categories.items()}
        if self.evening_cutoff > self.evening_due:
            raise InvalidInput("the evening cutoff must not be after the evening deadline")
        object.__setattr__(self, "priorities", MappingProxyType(priorities))
        object.__setattr__(self, "categories", MappingProxyType(categories))

    @classmethod
    def default(cls, *, categories: bool = True) -> SlaPolicy:
        """The city's levels; with ``categories`` the limits of ``domain.categories``."""
        # First contact is the command centre's call back, staffed round the
        # clock: a blocked fire lane reported on Saturday is called back on
        # Saturday. Resolution is the departments' work, on working days.
        days = "working_days"
        priorities = {
            1: Targets(Limit(1, "clock_hours"), Limit(8, "clock_hours")),
            2: Targets(Limit(2, "clock_hours"), Limit(1, days)),
            3: Targets(Limit(0, "same_evening"), Limit(3, days)),
            4: Targets(Limit(1, days), Limit(5, days)),
        }
        own = {
            c.code: Targets(
                Limit(c.first_contact_hours, "clock_hours"), _category_limit(c.resolve_hours)
            )
            for c in BY_CODE.values()
        }
        return cls(priorities, own if categories else {})

    @classmethod
    def from_dict(cls, data: object, *, base: SlaPolicy | None = None) -> SlaPolicy:
        """``base`` (default ``default()``) with the entries of ``data`` laid over it.

        ``data`` keys: ``priorities`` ({priority: {first_contact, resolve}}),
        ``categories`` ({code: {first_contact, resolve}, or None to drop the override})
        and ``evening`` ({cutoff, due, next_day_due} as ``"HH:MM"``); limits are
        strings for ``Limit.parse``. Raises ``InvalidInput`` naming the bad entry.
        """
        policy = base or cls.default()
        data = _mapping(data, "sla", {"priorities", "categories", "evening"})
        priorities, categories, times = dict(policy.priorities), dict(policy.categories), {}
        for section, check, found in (
            # Keys of a settings dict (JSON, environment) are text.
            ("priorities", lambda k: _priority(int(k) if str(k).isdigit() else k), priorities),
            ("categories", _category, categories),
        ):
            for key, entry in _mapping(data.get(section, {}), f"sla.{section}").items():
                try:
                    name = check(key)
                except InvalidInput as error:
                    raise InvalidInput(f"sla.{section}: {error}") from None
                if entry is None and section == "categories":
                    found.pop(name, None)  # back to the priority's limits
                else:
                    found[name] = _targets(entry, f"sla.{section}.{key}", found.get(name))
        for key, text in _mapping(data.get("evening", {}), "sla.evening", set(_EVENING)).items():
            try:
                times[_EVENING[key]] = dt.time.fromisoformat(text)
            except (TypeError, ValueError):
                raise InvalidInput(f"sla.evening.{key}: {text!r} is not HH:MM") from None
        return replace(policy, priorities=priorities, categories=categories, **times)

    def to_dict(self) -> dict:
        """The plain-dict form ``from_dict`` reads (``from_dict(p.to_dict()) == p``)."""

        def plain(t: Targets) -> dict:
            return {k: str(v) for k, v in vars(t).items() if v is not None}

        return {
            "priorities": {str(p): plain(t) for p, t in sorted(self.priorities.items())},
            "categories": {c: plain(t) for c, t in sorted(self.categories.items())},
            "evening": {k: getattr(self, a).isoformat("minutes") for k, a in _EVENING.items()},
        }


# Built once: deadlines run for every incident on file (30,000 in a county).
_DEFAULT_POLICY = SlaPolicy.default()
_DEFAULT_CALENDAR = WorkCalendar()


def _due(limit: Limit, start: dt.datetime, policy: SlaPolicy, cal: WorkCalendar) -> dt.datetime:
    if limit.unit == "clock_hours":
        return cal.add_clock_hours(start, limit.amount)
    if limit.unit == "working_hours":
        return cal.add_working_hours(start, limit.amount)
    if limit.unit == "working_days":
        return cal.add_working_days(start, int(limit.amount))
    local = start.astimezone(SHANGHAI)
    late = local.time() >= policy.evening_cutoff
    day = local.date() + dt.timedelta(days=late)
    due = dt.datetime.combine(day, policy.next_day_due if late else policy.evening_due)
    return due.replace(tzinfo=SHANGHAI).astimezone(dt.UTC)


def _deadlines(category, priority, reported_at, policy, calendar) -> tuple[Deadlines, Limit]:
    policy = policy or _DEFAULT_POLICY
    calendar = calendar or policy.calendar or _DEFAULT_CALENDAR
    category, priority = _category(category), _priority(priority)
    reported_at = check_aware(reported_at, "reported_at")
    base, own = policy.priorities[priority], policy.categories.get(category, Targets())
    first = _due(base.first_contact, reported_at, policy, calendar)
    if own.first_contact is not None:
        first = min(first, _due(own.first_contact, reported_at, policy, calendar))
    limit, resolve = base.resolve, _due(base.resolve, reported_at, policy, calendar)
    if own.resolve is not None:
        candidate = _due(own.resolve, reported_at, policy, calendar)
        usual = BY_CODE[category].priority
        # Lower number = more urgent: escalation may only tighten, demotion only loosen.
        tighter = priority < usual and candidate < resolve
        looser = priority > usual and candidate > resolve
        if priority == usual or tighter or looser:
            limit, resolve = own.resolve, candidate
    return Deadlines(first, resolve), limit


def deadlines(
    category: str,
    priority: int,
    reported_at: dt.datetime,
    policy: SlaPolicy | None = None,
    calendar: WorkCalendar | None = None,
) -> Deadlines:
    """First-contact and resolution deadlines (aware UTC) of an incident.

    Parameters
    ----------
    category : str
        A code of ``domain.categories``.
    priority : int
        1 urgent … 4 low.
    reported_at : datetime
        Aware; when the report was received.
    policy, calendar
        Default ``SlaPolicy.default()`` and the policy's calendar (``WorkCalendar()``).
    """
    return _deadlines(category, priority, reported_at, policy, calendar)[0]


def _pause(pause: object, reported_at: dt.datetime) -> tuple[dt.datetime, dt.datetime | None]:
    try:
        start, end = pause
    except (TypeError, ValueError):
        raise InvalidInput(f"a pause is a (start, end or None) pair, got {pause!r}") from None
    start = check_aware(start, "pause start")
    end = None if end is None else check_aware(end, "pause end")
    if end is not None and end < start:
        raise InvalidInput(f"pause ends ({end}) before it starts ({start})")
    # Time parked before the report does not count: clipping may leave an empty pause.
    start = max(start, reported_at)
    return start, None if end is None else max(end, start)


def resolve_deadline_with_pauses(
    reported_at: dt.datetime,
    pauses: list[tuple[dt.datetime, dt.datetime | None]],
    *,
    category: str,
    priority: int,
    policy: SlaPolicy | None = None,
    calendar: WorkCalendar | None = None,
) -> dt.datetime | None:
    """Resolution deadline (aware UTC) once the time parked (挂账) is added back.

    Pauses are clipped to start at ``reported_at`` and merged where they overlap,
    then taken in order: each one that begins before the deadline so far moves it
    later by the time parked, in working hours for working-time limits and in clock
    hours for clock-hour limits. A pause that begins after the deadline changes
    nothing (the breach has already happened). An open pause (end None) beginning
    before the deadline makes it undetermined: returns None (``sla_state`` "paused").
    """
    calendar = calendar or (policy or _DEFAULT_POLICY).calendar or _DEFAULT_CALENDAR
    found, limit = _deadlines(category, priority, reported_at, policy, calendar)
    reported_at, due = check_aware(reported_at, "reported_at"), found.resolve_at
    merged: list[list] = []
    for start, end in sorted((_pause(p, reported_at) for p in pauses), key=lambda p: p[0]):
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            merged[-1][1] = None if None in (end, merged[-1][1]) else max(end, merged[-1][1])
        else:
            merged.append([start, end])
    for start, end in merged:
        if start >= due:
            break
        if end is None:
            return None
        if limit.unit == "clock_hours":
            due = calendar.add_clock_hours(due, (end - start) / dt.timedelta(hours=1))
        else:
            due = calendar.add_working_hours(due, calendar.working_hours_between(start, end))
    return due
