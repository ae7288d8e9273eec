"""The surge forecast (domain.surge_forecast, domain.surge_backtest) on
synthetic counts whose weekly, seasonal and trend structure is known."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from domain import surge_backtest
from domain import surge_forecast as sf

WEEKLY = np.array([1.3, 1.2, 1.1, 1.0, 1.0, 0.7, 0.7])  # Monday first
SEASON = np.array([0.5, 0.5, 0.7, 0.9, 1.2, 1.6, 1.9, 1.7, 1.1, 0.8, 0.6, 0.5])
LAST = pd.Timestamp("2026-07-19")


def counts(level, days=3 * 365, season=None, growth=0.0, seed=0, towns=("T1",), cats=("c1",)):
    """Poisson daily counts up to LAST: level × weekly × season × growth per year,
    the level split evenly among towns and categories."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end=LAST, periods=days, freq="D", name="date")
    season = np.ones(12) if season is None else season
    mu = level * WEEKLY[dates.day_of_week] * season[dates.month - 1]
    mu = mu * (1 + growth) ** (np.arange(days) / 365)
    columns = pd.MultiIndex.from_product([towns, cats], names=["town_code", "category"])
    share = mu[:, None] / len(columns)
    return pd.DataFrame(rng.poisson(np.repeat(share, len(columns), axis=1)), dates, columns)


def test_daily_counts_are_per_local_day_without_proactive_cases_and_without_gaps():
    utc = pd.to_datetime(
        ["2026-07-01 15:30", "2026-07-01 16:30", "2026-07-03 02:00", "2026-07-03 03:00"], utc=True
    )
    incidents = pd.DataFrame(
        {
            "town_code": ["T1", "T1", "T2", "T2"],
            "category": ["a", "a", "b", "b"],
            "channel": ["app", "hotline", "app", "proactive"],
            "reported_at": utc,
        }
    )
    table = sf.daily_counts(incidents, pd.Timestamp("2026-07-04 01:00", tz="UTC"))
    # 15:30 UTC is 23:30 on 1 July in Shanghai, 16:30 UTC is after midnight: 2 July.
    assert list(table.index.strftime("%m-%d")) == ["07-01", "07-02", "07-03"]
    assert table[("T1", "a")].tolist() == [1, 1, 0]
    assert table[("T2", "b")].tolist() == [0, 0, 1]  # the proactive case is not a report
    assert table[("T1", "b")].tolist() == [0, 0, 0]
    # The local day of ``end`` (4 July, 09:00 in Shanghai) is not whole: left out.
    assert sf.daily_counts(incidents, pd.Timestamp("2026-07-03 15:00", tz="UTC")).shape[0] == 2


def test_forecast_rows_intervals_and_json_parameters():
    history = counts(40, towns=("T1", "T2", "T3"), cats=("a", "b"), season=SEASON)
    params = sf.fit(history, pd.Timestamp("2026-07-20 02:00", tz="UTC"))
    again = json.loads(json.dumps(params))
    frame = sf.forecast(again, "2026-07-20", days=7)
    assert list(frame.columns) == ["town_code", "category", "date", "expected", "low", "high"]
    assert len(frame) == 3 * 2 * 7
    assert frame["date"].min() == pd.Timestamp("2026-07-20") and frame["date"].nunique() == 7
    pd.testing.assert_frame_equal(frame, sf.forecast(params, "2026-07-20", days=7))
    assert (frame["low"] <= frame["high"]).all() and (frame["expected"] > 0).all()
    assert ((frame["low"] <= frame["expected"]) & (frame["expected"] <= frame["high"])).all()
    # The interval is the central 80 % of the counts to expect.
    p_low, p_high = (
        sf.inside(frame["expected"], params["alpha"], 0, frame["low"] - 1),
        sf.inside(frame["expected"], params["alpha"], 0, frame["high"]),
    )
    assert (p_low <= 0.1).all() and (p_high >= 0.9).all()


def test_small_means_get_an_interval_of_whole_counts_holding_at_least_80_percent():
    low, high = sf.interval(np.array([0.05, 0.3, 2.0]), 0.0)
    assert list(low) == [0, 0, 0] and list(high) == [0, 1, 4]
    assert (sf.inside([0.05, 0.3, 2.0], 0.0, low, high) >= 0.8).all()
    # Over-dispersed counts get a wider interval.
    assert sf.interval(np.array([2.0]), 0.5)[1][0] > 4


def test_the_weekly_pattern_is_recovered():
    params = sf.fit(counts(60, days=2 * 365))
    assert np.asarray(params["weekday"])[0] == pytest.approx(WEEKLY / WEEKLY.mean(), abs=0.04)


def test_the_seasonal_pattern_is_recovered_despite_growth():
    params = sf.fit(counts(30, days=4 * 365, season=SEASON, growth=0.3))
    assert np.asarray(params["season"])[0] == pytest.approx(SEASON / SEASON.mean(), abs=0.08)


def test_the_model_beats_the_same_weekday_baseline_on_a_seasonal_growing_series():
    history = counts(12, days=4 * 365, season=SEASON, growth=0.3, seed=3)
    figures = surge_backtest.backtest(history)
    assert figures["origins"] >= 25
    assert figures["mae_model"] < 0.9 * figures["mae_baseline"]
    assert figures["rmse_model"] < figures["rmse_baseline"]
    # Calibrated: the share inside the interval is what the model itself expects.
    assert figures["coverage"] == pytest.approx(figures["coverage_expected"], abs=0.05)
    rows = figures["rows"]
    assert rows["origin"].nunique() == figures["origins"]
    assert rows.groupby("origin").size().eq(7).all()  # one town × one category × 7 days


def test_the_backtest_fits_only_on_the_past():
    history = counts(10, days=400)
    origin = history.index[-7]
    frame, params, _ = surge_backtest.one_origin(history, origin)
    assert params["last_day"] == (origin - pd.Timedelta(days=1)).date().isoformat()
    # What came after the origin changes the actual counts, not the forecast.
    changed = history.copy()
    changed.loc[origin:] = 1000
    other, _, _ = surge_backtest.one_origin(changed, origin)
    assert (other["expected"] == frame["expected"]).all() and (other["actual"] == 1000).all()


def test_the_baseline_is_the_same_weekday_over_the_four_weeks_before():
    dates = pd.date_range("2026-06-01", "2026-07-19", freq="D", name="date")  # a Monday on
    columns = pd.MultiIndex.from_tuples([("T1", "a")], names=["town_code", "category"])
    history = pd.DataFrame(np.arange(len(dates))[:, None], dates, columns)
    base = sf.baseline_same_weekday(history, "2026-07-20", days=8)
    # Monday 20 July: the Mondays 13, 6 July, 29 and 22 June (day numbers 42, 35, 28, 21).
    assert base["expected"].iloc[0] == pytest.approx((42 + 35 + 28 + 21) / 4)
    # Monday 27 July, a week on: still the four Mondays before the start.
    assert base["expected"].iloc[7] == base["expected"].iloc[0]


def test_a_short_history_is_refused():
    with pytest.raises(ValueError, match="days of history"):
        sf.fit(counts(10, days=20))


def test_totals_add_the_expected_counts_and_widen_the_interval():
    history = counts(40, towns=("T1", "T2"), cats=("a", "b", "c"), season=SEASON)
    params = sf.fit(history) | {"alpha_town": 0.05}
    frame = sf.forecast(params, "2026-07-20")
    towns = sf.totals(frame, ["town_code", "date"], params)
    assert list(towns.columns) == ["town_code", "date", "expected", "low", "high"]
    assert len(towns) == 2 * 7
    one = frame.loc[(frame["town_code"] == "T1") & (frame["date"] == "2026-07-20")]
    row = towns.iloc[0]
    assert row["expected"] == pytest.approx(one["expected"].sum())
    # A town's day has the dispersion fitted for a town's day.
    low, high = sf.interval([row["expected"]], 0.05)
    assert (row["low"], row["high"]) == (low[0], high[0])
    mean = row["expected"]
    assert row["high"] - row["low"] > stats.poisson.ppf(0.9, mean) - stats.poisson.ppf(0.1, mean)
    # Both towns' day: two town-days added as independent counts, relatively narrower.
    city = sf.totals(frame, ["date"], params).iloc[0]
    assert city["expected"] == pytest.approx(
        towns.loc[towns["date"] == "2026-07-20", "expected"].sum()
    )
    width = (city["high"] - city["low"]) / city["expected"]
    assert width < (row["high"] - row["low"]) / row["expected"]
    # Sums that keep the categories apart start from the cells' dispersion.
    week = sf.totals(frame, ["town_code", "category"], params | {"alpha": 0.0})
    assert len(week) == 6
    low, high = sf.interval(week["expected"].to_numpy(), 0.0)
    assert (week["low"].to_numpy() == low).all() and (week["high"].to_numpy() == high).all()


def test_sums_spread_over_two_fits_add_their_means_and_their_variance():
    history = counts(40, towns=("T1", "T2"), cats=("a", "b"), season=SEASON)
    params = sf.fit(history) | {"alpha_category": 0.08}
    frame = sf.forecast(params, "2026-07-20", days=14)
    # One fit over two weeks is the same as its two weeks spread apart and added.
    weeks = [frame.loc[frame["date"] < "2026-07-27"], frame.loc[frame["date"] >= "2026-07-27"]]
    parts = pd.concat([sf.spread(week, ["category"], params) for week in weeks])
    added = sf.with_interval(parts.groupby("category", as_index=False).sum())
    pd.testing.assert_frame_equal(added, sf.totals(frame, ["category"], params))
    # Another fit's dispersion counts for its own week only.
    wide = params | {"alpha_category": 0.5}
    mixed = pd.concat(
        [sf.spread(weeks[0], ["category"], params), sf.spread(weeks[1], ["category"], wide)]
    )
    both = sf.with_interval(mixed.groupby("category", as_index=False).sum())
    assert (both["high"] - both["low"] > added["high"] - added["low"]).all()


def test_intervals_take_one_dispersion_per_mean():
    low, high = sf.interval([3.0, 3.0], [0.0, 0.5])
    assert (low[0], high[0]) == tuple(stats.poisson.ppf([0.1, 0.9], 3.0))
    assert high[1] > high[0]
