"""What a review looks at: a period, an area, categories, channels and a metric.

Pure: the review screen and the export URLs parse their arguments here, so a
bookmarked export and the screen it came from read exactly the same query.
Dates are local (Asia/Shanghai) calendar days, both ends included.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from zoneinfo import ZoneInfo

from domain.categories import CATEGORIES, CHANNELS
from domain.errors import InvalidInput

LOCAL = ZoneInfo("Asia/Shanghai")
EARLIEST = dt.date(2000, 1, 1)  # nothing older is on file anywhere
LATEST = dt.date(2200, 12, 31)

# Quick picks: (Chinese, English) labels. "custom" takes the dates as given.
QUICK_PICKS: dict[str, tuple[str, str]] = {
    "week": ("本周", "This week"),
    "month": ("本月", "This month"),
    "quarter": ("本季度", "This quarter"),
    "year": ("本年", "This year"),
    "custom": ("自定义", "Custom"),
}

# Drill-down levels, widest first.
LEVELS = ("city", "town", "community", "grid")
_CODE = re.compile(r"^[0-9A-Za-z_-]{1,32}$")


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start`` to ``end``, both included."""

    start: dt.date
    end: dt.date

    @property
    def reversed(self) -> bool:
        return self.start > self.end

    @property
    def days(self) -> int:
        return max((self.end - self.start).days + 1, 0)

    def utc_bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) in UTC: local midnight of ``start`` to the midnight after ``end``."""
        begin = dt.datetime.combine(self.start, dt.time(), LOCAL)
        after = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), LOCAL)
        return begin.astimezone(dt.UTC), after.astimezone(dt.UTC)

    def label(self, lang: str) -> str:
        if self.start == self.end:
            return self.start.isoformat()
        joiner = " 至 " if lang == "zh" else " to "
        return f"{self.start.isoformat()}{joiner}{self.end.isoformat()}"


def quick_period(pick: str, today: dt.date) -> Period:
    """The period of a quick pick, from its first day to ``today``.

    The week starts on Monday; the quarter is the calendar quarter.
    """
    if pick == "week":
        return Period(today - dt.timedelta(days=today.weekday()), today)
    if pick == "month":
        return Period(today.replace(day=1), today)
    if pick == "quarter":
        return Period(today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today)
    if pick == "year":
        return Period(today.replace(month=1, day=1), today)
    raise InvalidInput(
        f"unknown period {pick!r}: use one of {', '.join(QUICK_PICKS)}",
        zh=f"未知的时间范围 {pick!r}",
    )


def local_today(now: dt.datetime) -> dt.date:
    return now.astimezone(LOCAL).date()


def parse_date(text: object, name: str) -> dt.date:
    """An ISO date (2026-06-01), within the years any record can have."""
    if isinstance(text, dt.date):
        value = text
    else:
        raw = str(text or "").strip()
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            raise InvalidInput(
                f"{name} must be a date like 2026-06-01, not {raw!r}",
                zh=f"{name} 应为日期，如 2026-06-01",
            )
        try:
            value = dt.date.fromisoformat(raw)
        except ValueError:
            raise InvalidInput(
                f"{name} is not a calendar date: {raw!r}", zh=f"{name} 不是有效日期：{raw}"
            ) from None
    if not EARLIEST <= value <= LATEST:
        raise InvalidInput(
            f"{name} must lie between {EARLIEST} and {LATEST}",
            zh=f"{name} 应在 {EARLIEST} 与 {LATEST} 之间",
        )
    return value


@dataclass(frozen=True)
class ReviewQuery:
    """One view of the review: what is counted, where, and how it is coloured.

    ``area`` is the drill-down: (level, code), ("city", None) for everything.
    ``categories`` and ``channels`` are empty for all of them.
    """

    period: Period
    metric: str = "incidents"
    area: tuple[str, str | None] = ("city", None)
    categories: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    pick: str = "custom"
    town: str | None = field(default=None)  # the town of the area, when there is one

    @property
    def level(self) -> str:
        return self.area[0]

    @property
    def code(self) -> str | None:
        return self.area[1]

    def with_area(self, level: str, code: str | None, town: str | None) -> ReviewQuery:
        return replace(self, area=(level, code), town=town)


def _choices(values: Iterable[str], allowed: Mapping | Iterable[str], name: str) -> tuple:
    chosen = tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))
    unknown = [v for v in chosen if v not in allowed]
    if unknown:
        raise InvalidInput(
            f"unknown {name}: {', '.join(unknown)}",
            zh=f"未知的{'类别' if name == 'categories' else '渠道'}：{', '.join(unknown)}",
        )
    return chosen


def split_list(value: object) -> list[str]:
    """``a,b`` or a list of strings → a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        return value.split(",")
    return [str(v) for v in value]


def parse_query(
    args: Mapping[str, object], *, today: dt.date, metrics: Iterable[str]
) -> ReviewQuery:
    """A query from URL or form arguments.

    Arguments: ``period`` (a quick pick, default ``month``) or ``from`` and
    ``to`` (ISO dates; either alone runs to today or from the first of its
    month), ``metric``, ``town``, ``community``, ``grid`` (the deepest given
    is the area), ``category`` and ``channel`` (comma lists).

    A reversed range is returned as it is (``period.reversed``): the screen
    shows an empty state for it, and the export URLs refuse it.

    Raises
    ------
    InvalidInput
        Anything that cannot be read, with the reason.
    """
    metric = str(args.get("metric") or "incidents")
    if metric not in set(metrics):
        raise InvalidInput(
            f"unknown metric {metric!r}: use one of {', '.join(metrics)}",
            zh=f"未知的指标 {metric!r}",
        )
    start, end = args.get("from"), args.get("to")
    pick = str(args.get("period") or ("custom" if start or end else "month"))
    if pick not in QUICK_PICKS:
        raise InvalidInput(
            f"unknown period {pick!r}: use one of {', '.join(QUICK_PICKS)}",
            zh=f"未知的时间范围 {pick!r}",
        )
    if pick == "custom":
        if not start and not end:
            raise InvalidInput(
                "a custom period needs from and/or to", zh="自定义时间范围需要开始或结束日期"
            )
        first = parse_date(start, "from") if start else None
        last = parse_date(end, "to") if end else None
        if first is None:
            first = last.replace(day=1)
        if last is None:
            last = max(today, first)
        period = Period(first, last)
    else:
        period = quick_period(pick, today)
    area: tuple[str, str | None] = ("city", None)
    town = None
    for level in ("town", "community", "grid"):
        code = str(args.get(level) or "").strip()
        if not code:
            continue
        if not _CODE.match(code):
            raise InvalidInput(f"{level} is not a code: {code[:40]!r}", zh=f"{level} 编码无效")
        area = (level, code)
        if level == "town":
            town = code
    categories = _choices(
        split_list(args.get("category")), {c.code for c in CATEGORIES}, "categories"
    )
    channels = _choices(split_list(args.get("channel")), CHANNELS, "channels")
    return ReviewQuery(period, metric, area, categories, channels, pick, town)


def query_args(query: ReviewQuery) -> dict[str, str]:
    """The URL arguments that ``parse_query`` reads back into ``query``."""
    args: dict[str, str] = {"metric": query.metric}
    if query.pick != "custom":
        args["period"] = query.pick
    else:
        args["from"] = query.period.start.isoformat()
        args["to"] = query.period.end.isoformat()
    level, code = query.area
    if query.town:
        args["town"] = query.town
    if level in ("community", "grid") and code:
        args[level] = code
    if query.categories:
        args["category"] = ",".join(query.categories)
    if query.channels:
        args["channel"] = ",".join(query.channels)
    return args
