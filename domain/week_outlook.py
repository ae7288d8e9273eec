"""The week ahead as the wall shows it: reports to expect each day with the
80 % interval, and the town × category pairs expected most above the usual.

Pure: frames in (the surge forecast's, ``domain.surge_forecast``), one value
out. "The usual" is the simple rival of the forecast, the same weekday's
mean over the four weeks before (``surge_forecast.baseline_same_weekday``):
what a desk would expect from the last month alone. A rise is a pair whose
usual lies below the forecast's 80 % interval for the week: more reports are
coming than the last month's rate, with some confidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

MIN_EXPECTED = 2.0  # reports in the week: fewer is too few to call a rise
TOP = 3


@dataclass(frozen=True)
class WeekOutlook:
    """What the wall shows of the next 7 days (of one town, or the city)."""

    town: str | None
    days: pd.DataFrame  # date (naive local midnight), expected, low, high: the 80 % interval
    expected: float  # the week's reports to expect
    usual: float  # the same weekday's mean over the last four weeks, summed over the week
    rises: pd.DataFrame  # town_code, category, expected, low, high, usual: the clear rises


def rises(
    week: pd.DataFrame, usual: pd.DataFrame, *, top: int = TOP, min_expected: float = MIN_EXPECTED
) -> pd.DataFrame:
    """The town × category pairs whose week is expected clearly above the usual.

    Parameters
    ----------
    week : DataFrame
        The forecast of the week per pair: town_code, category, expected, low
        and high (the 80 % interval of the week's reports).
    usual : DataFrame
        The same weekday's mean per pair and day: town_code, category, date,
        expected (summed over the days).
    top : int
        How many pairs at most.
    min_expected : float
        Fewer reports expected in the week are too few to call a rise.

    Returns
    -------
    DataFrame with town_code, category, expected, low, high, usual: the pairs
    whose usual lies below the forecast's 80 % interval (the forecast is
    confident the week brings more than the last four weeks' rate: the
    season turning, a trend), the largest rise in reports first (ties by
    town and category), at most ``top`` rows. At county scale most pairs
    get a few reports a week, and a rise of one or two is within the noise
    of both; those are not called rises.
    """
    keys = ["town_code", "category"]
    normal = usual.groupby(keys)["expected"].sum().rename("usual")
    table = week.set_index(keys)[["expected", "low", "high"]].join(normal).fillna({"usual": 0.0})
    table["rise"] = table["expected"] - table["usual"]
    clear = (table["usual"] < table["low"]) & (table["expected"] >= min_expected)
    kept = table[clear].reset_index()  # (an empty frame's assign would take the rows assigned)
    kept = kept.sort_values(["rise", *keys], ascending=[False, True, True])
    return kept.head(top)[[*keys, "expected", "low", "high", "usual"]].reset_index(drop=True)


def week_outlook(
    days: pd.DataFrame, week: pd.DataFrame, usual: pd.DataFrame, town: str | None = None
) -> WeekOutlook:
    """The wall's week ahead.

    Parameters
    ----------
    days : DataFrame
        The forecast summed per day (date, expected, low, high), of ``town``
        or of the city.
    week : DataFrame
        The week's forecast per town and category with its interval, of
        ``town`` or of the city (``rises``).
    usual : DataFrame
        The same weekday's mean per town, category and day (``rises``).
    town : str, optional
        The town forecast; None for the city.
    """
    return WeekOutlook(
        town=town,
        days=days[["date", "expected", "low", "high"]].reset_index(drop=True),
        expected=float(days["expected"].sum()),
        usual=float(usual["expected"].sum()),
        rises=rises(week, usual),
    )
