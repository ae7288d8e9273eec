"""What a town leader picks and clicks on the review, read into a query or an
area: the period of the quick picks and date pickers, a bar of the trend, a
slice of the category chart, a grid on the map, a table row, the breadcrumb,
the town picker. Plain functions; ``pages.review``'s callbacks call them.
"""

from __future__ import annotations

import datetime as dt

from dash import no_update

from dashboard import ids
from domain.errors import GridCommandError
from domain.review_metrics import METRICS, trend_step
from domain.review_query import Period, ReviewQuery, quick_period
from services.review_tables import header


def area_from_click(click: dict | None) -> str | None:
    """The grid code of a click on the map's grids (the clicked GeoJSON feature)."""
    code = ((click or {}).get("properties") or {}).get("code")
    return str(code) if code else None


def clicked_step(click: dict | None, period: Period) -> Period | None:
    """The day, week or month of a click on the trend chart, inside ``period``."""
    points = (click or {}).get("points") or []
    if not points:
        return None
    try:
        first = dt.date.fromisoformat(str(points[0].get("x")))
    except ValueError:
        return None
    step = trend_step(period.days)
    if step == "D":
        last = first
    elif step == "W":
        last = first + dt.timedelta(days=6)
    else:
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        last = following - dt.timedelta(days=1)
    return Period(max(first, period.start), min(last, period.end))


def clicked_category(click: dict | None) -> str | None:
    """The category code of a click on the category chart (not "other categories")."""
    points = (click or {}).get("points") or []
    code = points[0].get("customdata") if points else None
    return str(code) if code and code != "_rest" else None


def picked_period(pick: str, start: str | None, end: str | None, today: dt.date) -> Period:
    """The period of a quick pick, or of the date pickers for "custom"."""
    if pick != "custom":
        return quick_period(pick, today)
    first = dt.date.fromisoformat(start) if start else today.replace(day=1)
    last = dt.date.fromisoformat(end) if end else today
    return Period(first, last)


def row_code(cell: dict | None, rows: list | None) -> str | None:
    """The unit code of the row a cell click hit.

    Without ``getRowId`` AG Grid names each row by its index in ``rowData``,
    so the row is found the same whichever way the table is sorted.
    """
    if not cell or not rows:
        return None
    try:
        row = rows[int(cell.get("rowId"))]
    except (TypeError, ValueError, IndexError):
        return None
    for key in (header("code", "zh"), header("code", "en")):
        if row.get(key):
            return str(row[key])
    return None


def area_town(city, area: dict) -> str | None:
    """The town an area ({"level", "code"}) lies in; None for the city."""
    if not area or area.get("level") == "city" or not area.get("code"):
        return None
    found = locate(city, area["code"])
    return found[1] if found else None


def locate(city, code: str) -> tuple[str, str] | None:
    """(level, town code) of a unit code: a town, community or grid."""
    for level, frame in (
        ("town", city.towns),
        ("community", city.communities),
        ("grid", city.grids),
    ):
        found = frame[frame["code"] == code]
        if len(found):
            return level, (code if level == "town" else str(found["town_code"].iloc[0]))
    return None


def review_query(
    trigger,
    *,
    area: dict | None,
    pick: str | None,
    start: str | None,
    end: str | None,
    categories: list | None,
    channels: list | None,
    metric: str | None,
    trend_click: dict | None,
    mix_click: dict | None,
    today: dt.date,
) -> ReviewQuery:
    """The query the filters and the area ask for, after the input that
    ``trigger``-ed it: typed dates make the period a custom one, a bar of the
    trend narrows it to that day, week or month, a slice of the category
    chart picks that category.

    Raises GridCommandError for an unknown metric, ValueError for a date
    that is not one.
    """
    if trigger == ids.REVIEW_DATES:
        pick = "custom"  # typing dates makes the period a custom one
    period = picked_period(pick or "month", start, end, today)
    if trigger == ids.REVIEW_TREND and not period.reversed:  # a bar: that day/week/month
        period = clicked_step(trend_click, period) or period
        pick = "custom"
    if trigger == ids.REVIEW_CATEGORY_MIX and clicked_category(mix_click):
        categories = [clicked_category(mix_click)]
    area = area or {"level": "city", "code": None}
    town = area.get("code") if area.get("level") == "town" else None
    query = ReviewQuery(
        period,
        metric or "incidents",
        (area.get("level", "city"), area.get("code")),
        tuple(categories or ()),
        tuple(channels or ()),
        pick or "month",
        town,
    )
    if query.metric not in METRICS:
        raise GridCommandError(f"unknown metric {query.metric}", zh="未知的指标")
    return query


# The drill's answers below are (area, town picker's value), ``no_update`` for
# either that stays: the picker is both an input and an output of the drill.


def town_picked(town: str | None, shown_town: str | None) -> tuple:
    """The area of the town picker's choice. When it reports the town the
    area is already in (its own echo of a drill, which can arrive after the
    drill), nothing changes, so an echo never undoes a drill."""
    if (town or None) == shown_town:
        return no_update, no_update
    return (
        {"level": "town", "code": town} if town else {"level": "city", "code": None},
        no_update,
    )


def crumb_picked(crumb: dict, shown_town: str | None) -> tuple:
    """The area of a breadcrumb clicked (its id: ``{"level", "code"}``), and its town."""
    level, code = crumb["level"], crumb["code"] or None
    new_town = code if level == "town" else (None if level == "city" else shown_town)
    return (
        {"level": level, "code": code},
        no_update if new_town == shown_town else new_town or "",
    )


def unit_picked(city, code: str | None, shown_town: str | None) -> tuple:
    """The area of a town, community or grid clicked on the map or in a table."""
    found = locate(city, code) if code else None
    if found is None:
        return no_update, no_update
    level, town_code = found
    return {"level": level, "code": code}, (no_update if town_code == shown_town else town_code)
