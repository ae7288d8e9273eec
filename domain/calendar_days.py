"""Which days are off and which weekend days are worked in China, and on whose word.

Three sources, a later one winning over an earlier one:

- **law**: the statutory days (全体公民放假的节日) of 《全国年节及纪念日放假办法》 for
  any year, lunar ones included, as computed by the kept ``holidays`` package: 11 days
  until 2024, 13 from 2025 (除夕 and May 2 added). Its rule that a statutory day on a
  weekend gives a weekday off (补假) fixes no date, so in a year without a notice the
  next working day is taken, marked as an estimate.
- **notice**: the State Council General Office's yearly notice (国办发明电), published
  each autumn, which sets the days off in a row and the make-up working days
  (调休上班). Those of 2022–2026 ship below.
- **local file**: rows of the CSV file named by ``GC_CALENDAR_FILE``, for a notice
  published after this release (a year with any row there counts as noticed: list the
  whole notice) or a day decided locally.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path

from domain.errors import InvalidInput

OFF, WORK = "off", "work"
LAW, ESTIMATE, NOTICE = "law", "law: 补假 date estimated, no notice yet", "notice"
LOCAL = "local file"

# Names of the statutory days as ``holidays`` gives them in zh_CN, with English.
STATUTORY_NAMES = {
    "元旦": "New Year's Day",
    "农历除夕": "Spring Festival eve",
    "春节": "Spring Festival",
    "清明节": "Qingming",
    "劳动节": "Labour Day",
    "端午节": "Dragon Boat",
    "中秋节": "Mid-Autumn",
    "国庆节": "National Day",
}
_ESTIMATED = "（推定）"  # holidays' mark on a lunar date beyond its tables

# year -> (notice, ((holiday, first day off, last day off, make-up working days), ...)).
# No date below is in doubt. Tests check that weekday days off minus make-up days equal
# the statutory days (11 until 2024, 13 from 2025) and that every statutory day of the
# law is off: a missing or mistyped day breaks one or the other.
# Aligned by hand: this table reads better laid out as a table.
_NOTICES: dict[int, tuple[str, tuple[tuple[str, str, str, tuple[str, ...]], ...]]] = {
    2022: ("国办发明电〔2021〕11号", (
        ("元旦", "2022-01-01", "2022-01-03", ()),
        ("春节", "2022-01-31", "2022-02-06", ("2022-01-29", "2022-01-30")),
        ("清明节", "2022-04-03", "2022-04-05", ("2022-04-02",)),
        ("劳动节", "2022-04-30", "2022-05-04", ("2022-04-24", "2022-05-07")),
        ("端午节", "2022-06-03", "2022-06-05", ()),
        ("中秋节", "2022-09-10", "2022-09-12", ()),
        ("国庆节", "2022-10-01", "2022-10-07", ("2022-10-08", "2022-10-09")),
    )),
    2023: ("国办发明电〔2022〕16号", (
        ("元旦", "2022-12-31", "2023-01-02", ()),
        ("春节", "2023-01-21", "2023-01-27", ("2023-01-28", "2023-01-29")),
        ("清明节", "2023-04-05", "2023-04-05", ()),
        ("劳动节", "2023-04-29", "2023-05-03", ("2023-04-23", "2023-05-06")),
        ("端午节", "2023-06-22", "2023-06-24", ("2023-06-25",)),
        ("中秋节、国庆节", "2023-09-29", "2023-10-06", ("2023-10-07", "2023-10-08")),
    )),
    2024: ("国办发明电〔2023〕7号", (  # 除夕 (Feb 9) was not a day off
        ("元旦", "2023-12-30", "2024-01-01", ()),
        ("春节", "2024-02-10", "2024-02-17", ("2024-02-04", "2024-02-18")),
        ("清明节", "2024-04-04", "2024-04-06", ("2024-04-07",)),
        ("劳动节", "2024-05-01", "2024-05-05", ("2024-04-28", "2024-05-11")),
        ("端午节", "2024-06-08", "2024-06-10", ()),
        ("中秋节", "2024-09-15", "2024-09-17", ("2024-09-14",)),
        ("国庆节", "2024-10-01", "2024-10-07", ("2024-09-29", "2024-10-12")),
    )),
    2025: ("国办发明电〔2024〕12号", (
        ("元旦", "2025-01-01", "2025-01-01", ()),
        ("春节", "2025-01-28", "2025-02-04", ("2025-01-26", "2025-02-08")),
        ("清明节", "2025-04-04", "2025-04-06", ()),
        ("劳动节", "2025-05-01", "2025-05-05", ("2025-04-27",)),
        ("端午节", "2025-05-31", "2025-06-02", ()),
        ("国庆节、中秋节", "2025-10-01", "2025-10-08", ("2025-09-28", "2025-10-11")),
    )),
    2026: ("国务院办公厅 2025年11月4日通知", (  # dates checked against the notice
        ("元旦", "2026-01-01", "2026-01-03", ("2026-01-04",)),
        ("春节", "2026-02-15", "2026-02-23", ("2026-02-14", "2026-02-28")),
        ("清明节", "2026-04-04", "2026-04-06", ()),
        ("劳动节", "2026-05-01", "2026-05-05", ("2026-05-09",)),
        ("端午节", "2026-06-19", "2026-06-21", ()),
        ("中秋节", "2026-09-25", "2026-09-27", ()),
        ("国庆节", "2026-10-01", "2026-10-07", ("2026-09-20", "2026-10-10")),
    )),
}  # fmt: skip
NOTICE_YEARS: frozenset[int] = frozenset(_NOTICES)


@dataclass(frozen=True)
class Day:
    """One day off (``kind`` "off") or weekend day worked ("work"), and its source."""

    date: dt.date
    kind: str
    name: str
    source: str


@dataclass(frozen=True)
class YearDays:
    """The days of one year that are not ordinary weekdays or weekends.

    ``noticed`` is False while no notice (shipped or local) covers the year: the
    days off are then the statutory days and estimated 补假 only.
    """

    year: int
    days: tuple[Day, ...]
    noticed: bool

    @functools.cached_property
    def off(self) -> frozenset[dt.date]:
        return frozenset(d.date for d in self.days if d.kind == OFF)

    @functools.cached_property
    def work(self) -> frozenset[dt.date]:
        return frozenset(d.date for d in self.days if d.kind == WORK)


def _holidays(year: int, observed: bool) -> dict[dt.date, str]:
    import holidays  # imported when a year is first needed: commands start fast

    found = holidays.China(years=year, observed=observed, language="zh_CN")
    return {day: "、".join(found.get_list(day)) for day in found}


def _statutory_name(names: str) -> str | None:
    kept = [n.removesuffix(_ESTIMATED) for n in names.split("、")]
    kept = [n for n in kept if n in STATUTORY_NAMES]
    return "、".join(kept) or None


@functools.cache
def law_days(year: int) -> tuple[dict[dt.date, str], dict[dt.date, str]]:
    """The statutory days of ``year`` and the law's 补假 as ``holidays`` estimates them.

    Returns two ``{date: name}``: the statutory days (without the notice days that
    ``holidays`` also knows for past years, so that law and notice stay apart), and
    the weekdays off given for statutory days on weekends, each on the next working day.
    """
    plain = _holidays(year, observed=False)
    statutory = {d: name for d, names in plain.items() if (name := _statutory_name(names))}
    observed = {d: n for d, n in _holidays(year, observed=True).items() if d not in plain}
    return statutory, observed


def _span(first: str, last: str) -> list[dt.date]:
    day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [day + dt.timedelta(days=i) for i in range((end - day).days + 1)]


def notice_days(year: int) -> list[Day]:
    """The days off and make-up working days of the shipped notice for ``year``."""
    if year not in _NOTICES:
        return []
    number, holidays = _NOTICES[year]
    source = f"{NOTICE} {number}"
    days = []
    for name, first, last, worked in holidays:
        days += [Day(d, OFF, name, source) for d in _span(first, last)]
        days += [Day(dt.date.fromisoformat(d), WORK, f"{name}调休", source) for d in worked]
    return days


def year_days(year: int, local: tuple[Day, ...] = ()) -> YearDays:
    """Every day off and make-up working day of ``year`` (Asia/Shanghai dates).

    ``local`` are the rows of the local file (see ``read_calendar_file``); rows of
    other years are ignored.
    """
    statutory, observed = law_days(year)
    days = {d: Day(d, OFF, name, LAW) for d, name in statutory.items()}
    mine = [row for row in local if row.date.year == year]
    # A notice lists days of its year and the days off next to it (元旦 2023 began
    # on 31 December 2022): take them from both neighbouring notices.
    shipped = [d for y in (year, year + 1) for d in notice_days(y) if d.date.year == year]
    noticed = year in NOTICE_YEARS or bool(mine)
    estimated = [] if noticed else [Day(d, OFF, n, ESTIMATE) for d, n in observed.items()]
    for day in (*estimated, *shipped, *mine):
        if day.kind == OFF and day.date in statutory:
            continue  # the law's name and source say more than the notice's span
        days[day.date] = day
    return YearDays(year, tuple(sorted(days.values(), key=lambda d: d.date)), noticed)


def read_calendar_file(path: str | Path) -> tuple[Day, ...]:
    """The rows of a local calendar file: CSV, UTF-8, header ``date,kind,source[,name]``.

    ``date`` is YYYY-MM-DD, ``kind`` ``off`` or ``work``, ``source`` says on whose word
    (e.g. the notice's number). Raises ``InvalidInput`` with one line naming the file,
    the line and the fault: unreadable, a bad date or kind, an empty source, a date
    listed twice, or a statutory day made a working day.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # Excel writes a BOM
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read it ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path}: not UTF-8 text (save it as CSV UTF-8)") from None
    reader = csv.DictReader(text.splitlines())
    header = [c.strip() for c in reader.fieldnames or []]
    if missing := [c for c in ("date", "kind", "source") if c not in header]:
        raise InvalidInput(
            f"{path}: line 1 must name the columns date,kind,source "
            f"(name optional); {', '.join(missing)} missing"
        )
    reader.fieldnames = header
    rows: dict[dt.date, Day] = {}
    for row in reader:
        where = f"{path} line {reader.line_num}"
        values = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if not any(values.values()):
            continue
        rows_day = _row(values, where)
        if rows_day.date in rows:
            raise InvalidInput(f"{where}: {rows_day.date} is listed twice")
        rows[rows_day.date] = rows_day
    return tuple(sorted(rows.values(), key=lambda d: d.date))


def _row(values: dict[str, str], where: str) -> Day:
    try:
        date = dt.date.fromisoformat(values["date"])
    except ValueError:
        raise InvalidInput(f"{where}: date {values['date']!r} is not YYYY-MM-DD") from None
    if not 2000 <= date.year <= 2100:
        raise InvalidInput(f"{where}: {date} is outside 2000–2100")
    kind = values["kind"].lower()
    if kind not in (OFF, WORK):
        raise InvalidInput(f"{where}: kind must be off or work, not {values['kind']!r}")
    if not values["source"]:
        raise InvalidInput(f"{where}: source is empty (say on whose word, e.g. the notice)")
    statutory = law_days(date.year)[0]
    if kind == WORK and date in statutory:
        raise InvalidInput(
            f"{where}: {date} is a statutory day off ({statutory[date]}) "
            "and cannot be a working day"
        )
    name = values.get("name") or statutory.get(date, "")
    return Day(date, kind, name, f"{LOCAL}: {values['source']}")


def english(name: str) -> str:
    """The English of a holiday's name as given here ("" when not known)."""
    base, meaning = name, ""
    for mark, said in _MARKS:
        if name.endswith(mark):
            base, meaning = name.removesuffix(mark), said
            break
    known = [STATUTORY_NAMES[n] for n in base.split("、") if n in STATUTORY_NAMES]
    return " & ".join(known) + meaning if known else ""


_MARKS = (
    ("调休", " (make-up working day)"),
    ("（补假，推定）", " (day in lieu)"),
    ("（补假）", " (day in lieu)"),
)


def describe_year(calendar, year: int) -> list[str]:
    """Lines telling the days off and make-up working days of ``year`` and their sources.

    ``calendar`` is a ``WorkCalendar`` (anything with ``year(year) -> YearDays``).
    """
    if isinstance(year, bool) or not isinstance(year, int) or not 2000 <= year <= 2100:
        raise InvalidInput(f"the calendar knows the years 2000–2100, not {year!r}")
    found = calendar.year(year)
    off = [d for d in found.days if d.kind == OFF]
    worked = [d for d in found.days if d.kind == WORK]
    statutory = sum(1 for d in off if d.source == LAW)
    lines = [
        f"{year}: {len(off)} days off ({statutory} statutory), {len(worked)} make-up "
        "working days; sources: law (statutory days), notice (State Council), "
        "local file (GC_CALENDAR_FILE)"
    ]
    if not found.noticed:
        lines.append(notice_line(year))
    for day in found.days:
        name = " ".join(filter(None, (day.name, english(day.name))))
        lines.append(f"{day.date}  {day.date:%a}  {day.kind:<4}  {name}  [{day.source}]")
    return lines


def notice_line(year: int) -> str:
    """The warning for a year that no notice covers yet (one line, English)."""
    return (
        f"warning: no State Council holiday notice for {year} in the working calendar: "
        f"deadlines in {year} count the statutory days and an estimated 补假 only; once "
        f"the notice is out, add its days to GC_CALENDAR_FILE "
        f"(check with: python app.py calendar {year})"
    )
