"""The Chinese working calendar: public holidays, make-up working days, office hours.

Holidays (放假) and make-up working days (调休上班, weekend days worked in exchange)
are those of the State Council General Office notices for 2022–2026, embedded as data.
For any other year (2027 and later, or before 2022) the calendar falls back to
weekends plus the fixed-date holidays only (Jan 1, May 1, Oct 1–3): the lunar
holidays (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) and the make-up days are
published each November and must be added here when they are.

Times are counted in Asia/Shanghai local time, which has been UTC+8 without daylight
saving since 1991; results are aware UTC datetimes, as stored.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from domain.errors import InvalidInput

# A fixed offset is exact for every date handled here and needs no tz database
# (Windows and slim container images have none).
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

# year -> (first day off, last day off, make-up working days) per holiday, in notice order.
# No date below is in doubt. Tests also check that weekday days off minus make-up days
# equal the statutory days (11 until 2024, 13 from 2025), which catches a missing day.
_NOTICES: dict[int, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    2022: (  # 国办发明电〔2021〕11号
        ("2022-01-01", "2022-01-03", ()),  # 元旦
        ("2022-01-31", "2022-02-06", ("2022-01-29", "2022-01-30")),  # 春节
        ("2022-04-03", "2022-04-05", ("2022-04-02",)),  # 清明
        ("2022-04-30", "2022-05-04", ("2022-04-24", "2022-05-07")),  # 劳动节
        ("2022-06-03", "2022-06-05", ()),  # 端午
        ("2022-09-10", "2022-09-12", ()),  # 中秋
        ("2022-10-01", "2022-10-07", ("2022-10-08", "2022-10-09")),  # 国庆
    ),
    2023: (  # 国办发明电〔2022〕16号
        ("2022-12-31", "2023-01-02", ()),  # 元旦
        ("2023-01-21", "2023-01-27", ("2023-01-28", "2023-01-29")),  # 春节
        ("2023-04-05", "2023-04-05", ()),  # 清明
        ("2023-04-29", "2023-05-03", ("2023-04-23", "2023-05-06")),  # 劳动节
        ("2023-06-22", "2023-06-24", ("2023-06-25",)),  # 端午
        ("2023-09-29", "2023-10-06", ("2023-10-07", "2023-10-08")),  # 中秋、国庆
    ),
    2024: (  # 国办发明电〔2023〕7号; 除夕 (Feb 9) was not an official day off
        ("2023-12-30", "2024-01-01", ()),  # 元旦
        ("2024-02-10", "2024-02-17", ("2024-02-04", "2024-02-18")),  # 春节
        ("2024-04-04", "2024-04-06", ("2024-04-07",)),  # 清明
        ("2024-05-01", "2024-05-05", ("2024-04-28", "2024-05-11")),  # 劳动节
        ("2024-06-08", "2024-06-10", ()),  # 端午
        ("2024-09-15", "2024-09-17", ("2024-09-14",)),  # 中秋
        ("2024-10-01", "2024-10-07", ("2024-09-29", "2024-10-12")),  # 国庆
    ),
    # From 2025 除夕 and May 2 are statutory too: 13 statutory days instead of 11.
    2025: (  # 国办发明电〔2024〕12号
        ("2025-01-01", "2025-01-01", ()),  # 元旦
        ("2025-01-28", "2025-02-04", ("2025-01-26", "2025-02-08")),  # 春节
        ("2025-04-04", "2025-04-06", ()),  # 清明
        ("2025-05-01", "2025-05-05", ("2025-04-27",)),  # 劳动节
        ("2025-05-31", "2025-06-02", ()),  # 端午
        ("2025-10-01", "2025-10-08", ("2025-09-28", "2025-10-11")),  # 国庆、中秋
    ),
    # 2026: the notice published in November 2025; these dates match the brief this module
    # was written from and the statutory-day balance checked in tests/test_sla.py.
    2026: (
        ("2026-01-01", "2026-01-03", ("2026-01-04",)),  # 元旦
        ("2026-02-15", "2026-02-23", ("2026-02-14", "2026-02-28")),  # 春节
        ("2026-04-04", "2026-04-06", ()),  # 清明
        ("2026-05-01", "2026-05-05", ("2026-05-09",)),  # 劳动节
        ("2026-06-19", "2026-06-21", ()),  # 端午
        ("2026-09-25", "2026-09-27", ()),  # 中秋
        ("2026-10-01", "2026-10-07", ("2026-09-20", "2026-10-10")),  # 国庆
    ),
}


def _expand() -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    holidays: set[dt.date] = set()
    makeup: set[dt.date] = set()
    for notices in _NOTICES.values():
        for first, last, workdays in notices:
            day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
            while day <= end:
                holidays.add(day)
                day += dt.timedelta(days=1)
            makeup.update(dt.date.fromisoformat(d) for d in workdays)
    return frozenset(holidays), frozenset(makeup)


HOLIDAYS, MAKEUP_DAYS = _expand()
OFFICIAL_YEARS: frozenset[int] = frozenset(_NOTICES)
# (month, day) that are days off in every year, used only outside OFFICIAL_YEARS.
FIXED_HOLIDAYS: frozenset[tuple[int, int]] = frozenset({(1, 1), (5, 1), (10, 1), (10, 2), (10, 3)})
DEFAULT_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
MAX_HOURS = 20_000.0  # about ten working years: anything longer is a unit mistake
MAX_DAYS = 5_000  # working days, same reason
_ZERO = dt.timedelta(0)
_ONE_DAY = dt.timedelta(days=1)
_SCAN_LIMIT = 366 * 40  # calendar days searched before giving up on a calendar


def check_aware(value: object, name: str) -> dt.datetime:
    """Return ``value`` as a plain aware ``datetime``; raise ``InvalidInput`` otherwise.

    Subclasses such as ``pandas.Timestamp`` are converted so arithmetic stays in
    ``datetime`` (microsecond resolution).
    """
    if not isinstance(value, dt.datetime) or value != value:  # NaT is unequal to itself
        raise InvalidInput(f"{name} must be a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(
            f"{name} must be timezone-aware (UTC or Asia/Shanghai), got naive {value}"
        )
    if type(value) is not dt.datetime:
        value = dt.datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second,
            value.microsecond, tzinfo=value.tzinfo,
        )  # fmt: skip
    return value


def check_hours(hours: object, name: str = "hours") -> float:
    """Return ``hours`` as a float in [0, MAX_HOURS]; raise ``InvalidInput`` otherwise."""
    if isinstance(hours, bool) or not isinstance(hours, int | float):
        raise InvalidInput(f"{name} must be a number of hours, got {hours!r}")
    if not math.isfinite(hours) or not 0 <= hours <= MAX_HOURS:
        raise InvalidInput(f"{name} must be between 0 and {MAX_HOURS:g}, got {hours!r}")
    return float(hours)


def _as_time(value: object) -> dt.time:
    if isinstance(value, str):
        try:
            value = dt.time.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"working period time {value!r} is not HH:MM") from None
    if not isinstance(value, dt.time) or value.tzinfo is not None:
        raise InvalidInput(f"working period times must be naive local times, got {value!r}")
    return value


def _since_midnight(t: dt.time) -> dt.timedelta:
    return dt.timedelta(
        hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond
    )


def _local(moment: dt.datetime) -> tuple[dt.date, dt.timedelta]:
    local = moment.astimezone(SHANGHAI)
    return local.date(), _since_midnight(local.time())


def _utc(day: dt.date, offset: dt.timedelta) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=SHANGHAI) + offset
    return local.astimezone(dt.UTC)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and office hours of a Chinese government office.

    Parameters
    ----------
    periods : tuple of (time, time)
        Working periods of a working day in Asia/Shanghai local time, ascending and
        non-overlapping; ``"HH:MM"`` strings are accepted. Default 08:30–12:00 and
        13:30–17:30, i.e. 7.5 working hours a day.
    holidays, makeup_days : frozenset of date
        Days off and weekend days worked; default the embedded 2022–2026 notices.
    official_years : frozenset of int
        Years whose holidays are fully listed; in other years ``FIXED_HOLIDAYS`` apply.
    """

    periods: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_PERIODS
    holidays: frozenset[dt.date] = HOLIDAYS
    makeup_days: frozenset[dt.date] = MAKEUP_DAYS
    official_years: frozenset[int] = OFFICIAL_YEARS

    def __post_init__(self) -> None:
        try:
            periods = tuple((_as_time(start), _as_time(end)) for start, end in self.periods)
        except (TypeError, ValueError):
            raise InvalidInput("periods must be (start, end) pairs of local times") from None
        if not periods:
            raise InvalidInput("a working day needs at least one working period")
        for (start, end), following in zip(periods, (*periods[1:], None), strict=True):
            if start >= end:
                raise InvalidInput(f"working period {start}–{end} ends before it starts")
            if following is not None and following[0] < end:
                raise InvalidInput(f"working periods must be ascending, not overlapping ({end})")
        holidays, makeup = frozenset(self.holidays), frozenset(self.makeup_days)
        if clash := sorted(holidays & makeup):
            raise InvalidInput(f"days both off and worked: {', '.join(map(str, clash))}")
        object.__setattr__(self, "periods", periods)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "makeup_days", makeup)
        object.__setattr__(self, "official_years", frozenset(self.official_years))
        spans = tuple((_since_midnight(s), _since_midnight(e)) for s, e in periods)
        object.__setattr__(self, "_spans", spans)

    @property
    def hours_per_day(self) -> float:
        """Working hours in one working day (7.5 by default)."""
        return sum((e - s for s, e in self._spans), _ZERO) / dt.timedelta(hours=1)

    def is_working_day(self, day: dt.date | dt.datetime) -> bool:
        """Whether ``day`` is a working day; an aware datetime counts by its local date."""
        if isinstance(day, dt.datetime):
            day = check_aware(day, "day").astimezone(SHANGHAI).date()
        elif not isinstance(day, dt.date):
            raise InvalidInput(f"day must be a date, got {day!r}")
        if day in self.makeup_days:
            return True
        if day in self.holidays:
            return False
        if day.year not in self.official_years and (day.month, day.day) in FIXED_HOLIDAYS:
            return False
        return day.weekday() < 5

    def add_clock_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """``start`` plus ``hours`` (h) of round-the-clock time, as aware UTC."""
        return (check_aware(start, "start") + dt.timedelta(hours=check_hours(hours))).astimezone(
            dt.UTC
        )

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        """The moment ``hours`` (h) of working time after ``start``, as aware UTC.

        Only time inside working periods of working days counts; a start outside
        working time begins at the next working period. A result that falls exactly
        on the end of a period stays there (17:30, not 08:30 the next working day),
        so ``hours=0`` returns ``start`` itself only when it is inside working time.
        """
        remaining = dt.timedelta(hours=check_hours(hours))
        day, clock = _local(check_aware(start, "start"))
        for _ in range(_SCAN_LIMIT):
            if self.is_working_day(day):
                for begin, end in self._spans:
                    if clock > end:
                        continue
                    begin = max(begin, clock)
                    if remaining <= end - begin:
                        return _utc(day, begin + remaining)
                    remaining -= end - begin
            day, clock = day + _ONE_DAY, _ZERO
        raise InvalidInput("the calendar has no working time for this long")

    def working_hours_between(self, a: dt.datetime, b: dt.datetime) -> float:
        """Working hours (h) from ``a`` to ``b``; negative when ``b`` is before ``a``."""
        a, b = check_aware(a, "a"), check_aware(b, "b")
        if b < a:
            return -self.working_hours_between(b, a)
        (first_day, low), (last_day, high) = _local(a), _local(b)
        day, total = first_day, _ZERO
        while day <= last_day:
            if self.is_working_day(day):
                lo = low if day == first_day else _ZERO
                hi = high if day == last_day else _ONE_DAY
                for begin, end in self._spans:
                    overlap = min(end, hi) - max(begin, lo)
                    if overlap > _ZERO:
                        total += overlap
            day += _ONE_DAY
        return total / dt.timedelta(hours=1)

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Close of business (end of the last period) ``days`` working days after ``start``.

        As in Chinese administrative time limits (期间开始的当日不计入), the day of
        ``start`` is not counted: ``days=1`` is the end of the first working day after
        ``start``'s local date, whatever the hour of ``start``. ``days=0`` is the end of
        ``start``'s own day if that is a working day not yet closed, else of the next
        working day. Returns aware UTC.
        """
        if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= MAX_DAYS:
            raise InvalidInput(f"days must be a whole number from 0 to {MAX_DAYS}, got {days!r}")
        day, clock = _local(check_aware(start, "start"))
        closing = self._spans[-1][1]
        if days == 0 and clock <= closing and self.is_working_day(day):
            return _utc(day, closing)
        counted = 0
        for _ in range(_SCAN_LIMIT):
            day += _ONE_DAY
            if self.is_working_day(day):
                counted += 1
                if counted >= days:
                    return _utc(day, closing)
        raise InvalidInput("the calendar has no working days for this long")
