"""The review's forecast section as one value: what the surge forecast
expected for each day of the chosen period against what came, and the open
work at risk of breaching its deadline now, for the town reviewed (a town
leader's own town) or the city.

The forecast of a past week is the one made at its start from the days
before it (``services.forecast.against_actual``); today is not over, so its
reports are not compared, and days still to come show the newest run's
forecast alone (``services.forecast.next_week``). With no usable surge model
(never trained, or it does not beat the same weekday's mean) there is no
forecast to show, and the section says so rather than guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from domain.access import Principal
from domain.kpis import RiskFigure
from domain.review_query import Period, ReviewQuery, local_today
from services import forecast
from services.outlook import risk_now
from services.review import scoped_query, units

MAX_WEEKS = 13  # the weeks of a long period compared: each is a fit of its own (~0.2 s)
COLUMNS = ["date", "expected", "low", "high", "baseline", "actual"]
CATEGORY_COLUMNS = ["category", "expected", "low", "high", "baseline", "actual", "side"]


@dataclass(frozen=True)
class ForecastReview:
    """The forecast section of one review.

    ``notice`` says why some or all of it is missing: 'reversed' (the period
    ends before it starts), 'no_model' (``model`` holds the run's status and
    note), 'no_history' (too few days before the period to forecast it),
    'future' (no day of it is over yet: the forecast alone, where it reaches)
    or 'beyond' (it starts after the 7 days the forecast reaches). ``capped``
    is set when only the last ``MAX_WEEKS`` weeks of a long period are
    compared.
    """

    town: str | None  # the town forecast; None for the city
    period: Period
    days: pd.DataFrame  # COLUMNS, one row per day shown; actual NaN where not compared
    notice: str | None
    model: dict  # the newest surge run: status, note, trained_at
    at_risk: RiskFigure
    compared: Period | None = None  # the whole past days compared with the forecast
    capped: bool = False
    totals: dict = field(default_factory=dict)  # expected, low, high, actual of ``compared``
    # ``compared`` per category, largest forecast first: CATEGORY_COLUMNS, where
    # side says whether what came fell 'below', 'inside' or 'above' the interval.
    categories: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CATEGORY_COLUMNS))


def review_forecast(
    store, query: ReviewQuery, principal: Principal, *, now: dt.datetime
) -> ForecastReview:
    """The forecast against what came for ``query``'s period and town, as
    ``principal`` may see it (a town leader: their own town only; an area
    below a town: its town, the forecast's finest unit).

    Raises NotFound for an area that does not exist and Forbidden for a
    town the caller may not read, as ``services.review.build_review`` does.
    """
    query = scoped_query(query, principal, units(store))
    town, period = query.town, query.period
    model = forecast.model_state(store)
    empty = pd.DataFrame(columns=COLUMNS)
    risk = risk_now(store, now, town)

    def answer(days=empty, notice=None, **extra) -> ForecastReview:
        return ForecastReview(town, period, days, notice, model, risk, **extra)

    if period.reversed:
        return answer(notice="reversed")
    if model["status"] != "ok":
        return answer(notice="no_model")
    today = local_today(now)
    last_over = min(period.end, today - dt.timedelta(days=1))
    compared = Period(
        max(period.start, last_over - dt.timedelta(weeks=MAX_WEEKS) + dt.timedelta(days=1)),
        last_over,
    )
    past = empty
    if not compared.reversed:
        start, end = compared.utc_bounds()
        past = forecast.against_actual(store, start, end, town=town)
        if past is None:
            return answer(notice="no_history")
    coming = _still_to_come(store, now, town, period, today)
    days = pd.concat([frame for frame in (past, coming) if len(frame)] or [empty])
    days = days.reindex(columns=COLUMNS).reset_index(drop=True)
    if compared.reversed:
        return answer(days, "future" if len(days) else "beyond")
    return answer(
        days,
        None,
        compared=compared,
        capped=compared.start > period.start,
        totals=_totals(past),
        categories=_sides(forecast.against_actual_by_category(store, start, end, town=town)),
    )


def _still_to_come(store, now, town, period: Period, today: dt.date) -> pd.DataFrame:
    """The newest run's forecast for the days of ``period`` from today on
    that it reaches (7 days from today); no actual."""
    if period.end < today:
        return pd.DataFrame(columns=COLUMNS)
    ahead = forecast.next_week(store, now, town=town, by=["date"])
    if ahead is None:
        return pd.DataFrame(columns=COLUMNS)
    dates = ahead["date"].dt.date
    keep = (dates >= max(period.start, today)) & (dates <= period.end)
    return ahead.loc[keep].assign(baseline=np.nan, actual=np.nan)


def _sides(table: pd.DataFrame | None) -> pd.DataFrame:
    """Each category's sum with where what came fell against its interval."""
    if table is None or table.empty:
        return pd.DataFrame(columns=CATEGORY_COLUMNS)
    side = np.where(
        table["actual"] > table["high"],
        "above",
        np.where(table["actual"] < table["low"], "below", "inside"),
    )
    return table.assign(side=side).reindex(columns=CATEGORY_COLUMNS)


def _totals(past: pd.DataFrame) -> dict:
    """The compared days summed (the interval of a sum is not the sum of the
    intervals, so it is left to the days), how many fell inside their
    interval, and the mean absolute error per day of the forecast and of the
    same weekday's mean it must beat."""
    actual = pd.to_numeric(past["actual"], errors="coerce").fillna(0)
    return {
        "expected": float(past["expected"].sum()),
        "actual": int(actual.sum()),
        "days": len(past),
        "inside": int(((actual >= past["low"]) & (actual <= past["high"])).sum()),
        "mae": float((actual - past["expected"]).abs().mean()),
        "baseline_mae": float((actual - past["baseline"]).abs().mean()),
    }
