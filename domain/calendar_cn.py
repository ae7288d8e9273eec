"""The Chinese working calendar: public holidays, make-up working days, office hours.

Which days are off and which weekend days are worked comes from
``domain.calendar_days``: the statutory days by law for any year, the State Council's
yearly notices (调休) shipped with the code, and a local file a city extends when a new
notice comes out. Each year is worked out once per calendar and kept: deadlines are
computed on the intake path.

Times are counted in Asia/Shanghai local time, which has been UTC+8 without daylight
saving since 1991; results are aware UTC datetimes, as stored.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from domain.calendar_days import Day, YearDays, year_days
from domain.errors import InvalidInput

# A fixed offset is exact for every date handled here and needs no tz database
# (Windows and slim container images have none).
SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")

DEFAULT_PERIODS: tuple[tuple[dt.time, dt.time], ...] = (
    (dt.time(8, 30), dt.time(12, 0)),
    (dt.time(13, 30), dt.time(17, 30)),
)
MAX_HOURS = 20_000.0  # about ten working years: anything longer is a unit mistake
MAX_DAYS = 5_000  # working days, same reason
_ZERO = dt.timedelta(0)
_ONE_DAY = dt.timedelta(days=1)
_CLOSES_KEPT = 4096  # answers of add_working_days remembered per calendar
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
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=value.tzinfo,
        )
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
    holidays, makeup_days : frozenset of date, optional
        Exactly these days off and weekend days worked, in place of the law and the
        notices (for an office of its own, and tests); default None: law and notices.
    local : tuple of calendar_days.Day
        Rows of the local calendar file (``read_calendar_file``), laid over the law and
        the notices.
    """

    periods: tuple[tuple[dt.time, dt.time], ...] = DEFAULT_PERIODS
    holidays: frozenset[dt.date] | None = None
    makeup_days: frozenset[dt.date] | None = None
    local: tuple[Day, ...] = ()

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
        object.__setattr__(self, "periods", periods)
        if self.holidays is not None or self.makeup_days is not None:
            holidays = frozenset(self.holidays or ())
            makeup = frozenset(self.makeup_days or ())
            if clash := sorted(holidays & makeup):
                raise InvalidInput(f"days both off and worked: {', '.join(map(str, clash))}")
            object.__setattr__(self, "holidays", holidays)
            object.__setattr__(self, "makeup_days", makeup)
        object.__setattr__(self, "local", tuple(self.local))
        spans = tuple((_since_midnight(s), _since_midnight(e)) for s, e in periods)
        object.__setattr__(self, "_spans", spans)
        # year -> (days off, days worked), filled as years are first asked for: a year
        # costs a few milliseconds to work out, a look-up here a dictionary read.
        object.__setattr__(self, "_days", {})
        # (local date, days, closed today?) -> add_working_days' answer, which depends
        # on nothing else: the intake asks it for every report.
        object.__setattr__(self, "_closes", {})

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
        off, work = self._days.get(day.year) or self._year_sets(day.year)
        if day in work:
            return True
        return day not in off and day.weekday() < 5

    def _year_sets(self, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
        if self.holidays is not None:
            found = (self.holidays, self.makeup_days)
        else:
            days = self.year(year)
            found = (days.off, days.work)
        self._days[year] = found  # a race computes the same value twice, harmlessly
        return found

    def year(self, year: int) -> YearDays:
        """The days off and make-up working days of ``year``, each with its source."""
        if self.holidays is None:
            return year_days(year, self.local)
        days = [Day(d, "off", "", "given") for d in self.holidays if d.year == year]
        days += [Day(d, "work", "", "given") for d in self.makeup_days if d.year == year]
        return YearDays(year, tuple(sorted(days, key=lambda d: d.date)), noticed=True)

    def missing_notices(self, today: dt.date | None = None) -> list[int]:
        """This year and the next, those that no notice covers yet (for loud warnings).

        ``today`` defaults to the date in Asia/Shanghai now.
        """
        today = today or dt.datetime.now(SHANGHAI).date()
        return [y for y in (today.year, today.year + 1) if not self.year(y).noticed]

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
        key = (day, days, days == 0 and clock <= closing)
        found = self._closes.get(key)
        if found is None:
            found = self._close_after(day, days, open_today=key[2], closing=closing)
            if len(self._closes) >= _CLOSES_KEPT:
                self._closes.clear()
            self._closes[key] = found  # a race computes the same value twice, harmlessly
        return found

    def _close_after(
        self, day: dt.date, days: int, *, open_today: bool, closing: dt.timedelta
    ) -> dt.datetime:
        if days == 0 and open_today and self.is_working_day(day):
            return _utc(day, closing)
        counted = 0
        for _ in range(_SCAN_LIMIT):
            day += _ONE_DAY
            if self.is_working_day(day):
                counted += 1
                if counted >= days:
                    return _utc(day, closing)
        raise InvalidInput("the calendar has no working days for this long")
