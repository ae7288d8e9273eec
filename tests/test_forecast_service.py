"""The surge forecast on a real store: trained with the other models, read by
the wall for the next week, and set against what came for the review
(services.forecast, services.predictions.train)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from services import forecast, predictions
from tests.tiny_city import NOW, tiny_city

WEEKLY = np.array([1.4, 1.2, 1.1, 1.0, 1.0, 0.6, 0.5])  # Monday first
PLACES = {"370281001": ("A-1", 120.005), "370281002": ("B-1", 120.025)}
LEVEL = {("370281001", "garbage"): 5.0, ("370281001", "noise"): 2.0}
LEVEL |= {("370281002", "garbage"): 3.0, ("370281002", "noise"): 1.0}
TODAY = pd.Timestamp("2026-06-20")  # NOW is noon in Beijing


def history_city(days: int, seed: int = 0):
    """The tiny city with ``days`` days of Poisson reports before today (local)
    in two towns and two categories, following ``WEEKLY``."""
    rng = np.random.default_rng(seed)
    city = tiny_city()
    rows = []
    for date in pd.date_range(end=TODAY - pd.Timedelta(days=1), periods=days, freq="D"):
        for (town, category), level in LEVEL.items():
            for _ in range(rng.poisson(level * WEEKLY[date.day_of_week])):
                local = date + pd.Timedelta(hours=float(rng.uniform(8, 20)))
                rows.append((town, category, local.tz_localize("Asia/Shanghai").tz_convert("UTC")))
    n = len(rows)
    grid = [PLACES[t][0] for t, _, _ in rows]
    at = pd.to_datetime([r[2] for r in rows], utc=True).round("s")
    extra = pd.DataFrame(
        {
            "public_id": [f"H{i}" for i in range(n)],
            "channel": "app",
            "category": [r[1] for r in rows],
            "description": "历史报告",
            "lon": [PLACES[t][1] for t, _, _ in rows],
            "lat": 36.01,
            "grid_code": grid,
            "town_code": [r[0] for r in rows],
            "priority": 3,
            "status": "closed",
            "reported_at": at,
            "closed_at": at + pd.Timedelta(hours=5),
            "due_resolve_at": at + pd.Timedelta(hours=24),
            "satisfaction": pd.array([5] * n, dtype="Int64"),
            "updated_at": at + pd.Timedelta(hours=5),
        }
    )
    city.incidents = pd.concat([city.incidents, extra], ignore_index=True)
    return city


@pytest.fixture
def trained(store):
    store.load_city(history_city(400))
    summary = predictions.train(store, NOW)
    return store, summary


def test_no_model_no_forecast(city_store):
    assert forecast.next_week(city_store, NOW) is None
    summary = predictions.train(city_store, NOW)  # five reports: too thin
    assert summary["surge"]["status"] == "thin" and "days of history" in summary["surge"]["note"]
    assert city_store.latest_model_run("surge")["status"] == "thin"
    assert forecast.next_week(city_store, NOW) is None
    assert forecast.model_state(city_store)["status"] == "thin"


def test_training_saves_a_surge_run_that_beats_the_same_weekday_mean(trained):
    store, summary = trained
    run = store.latest_model_run("surge")
    assert summary["surge"]["status"] == "ok" and run["status"] == "ok"
    assert run["metrics"]["mae_town_model"] < run["metrics"]["mae_town_baseline"]
    assert run["params"]["towns"] == ["370281001", "370281002"]
    assert run["params"]["last_day"] == "2026-06-19"
    # Every report but the tiny city's two of today (a day not yet whole).
    assert run["rows"] == len(store.history()) - 2


def test_next_week_forecasts_every_town_category_and_day_from_today(trained):
    store, _ = trained
    frame = forecast.next_week(store, NOW)
    # Two towns × the four categories reported before today × 7 days.
    assert len(frame) == 2 * 4 * 7
    assert frame["date"].min() == TODAY and frame["date"].max() == TODAY + pd.Timedelta(days=6)
    garbage_a = frame.loc[(frame["town_code"] == "370281001") & (frame["category"] == "garbage")]
    expected = garbage_a.set_index("date")["expected"]
    # The level and the weekly pattern: Monday 22 June more than Sunday 21 June.
    assert expected.mean() == pytest.approx(5.0 * WEEKLY.mean(), rel=0.25)
    assert expected[TODAY + pd.Timedelta(days=2)] > 1.5 * expected[TODAY + pd.Timedelta(days=1)]
    towns = forecast.next_week(store, NOW, by=["town_code", "date"])
    assert list(towns.columns) == ["town_code", "date", "expected", "low", "high"]
    assert len(towns) == 14 and (towns["low"] <= towns["expected"]).all()
    one = forecast.next_week(store, NOW, town="370281002")
    assert set(one["town_code"]) == {"370281002"} and len(one) == 4 * 7


def test_against_actual_compares_each_day_with_what_came(trained):
    store, _ = trained
    start = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    end = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    table = forecast.against_actual(store, start, end, town="370281001")
    assert len(table) == 31
    assert list(table.columns) == ["date", "expected", "low", "high", "baseline", "actual"]
    history = store.history()
    local = history["reported_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    mine = history.loc[(history["town_code"] == "370281001") & (local.dt.month == 5)]
    counted = local[mine.index].dt.normalize().value_counts()
    assert table.set_index("date")["actual"].to_dict() == {
        day: counted.get(day, 0) for day in table["date"]
    }
    assert table["expected"].mean() == pytest.approx(7.0, rel=0.25)
    assert (table["actual"].between(table["low"], table["high"])).mean() >= 0.6
    # Nothing to fit on before the history began.
    assert forecast.against_actual(store, NOW - dt.timedelta(days=1000), NOW) is None


def test_against_actual_by_category_sums_each_category_over_the_period(trained):
    store, _ = trained
    start = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    end = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    table = forecast.against_actual_by_category(store, start, end, town="370281001")
    assert list(table.columns) == ["category", "expected", "low", "high", "baseline", "actual"]
    # The categories forecast or reported, the largest forecast first.
    assert table["category"].tolist() == ["garbage", "noise"]
    assert table["expected"].is_monotonic_decreasing
    history = store.history()
    local = history["reported_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    may = (local >= "2026-05-01") & (local < "2026-06-01")
    came = history.loc[may & (history["town_code"] == "370281001"), "category"].value_counts()
    assert table.set_index("category")["actual"].to_dict() == {
        category: came.get(category, 0) for category in table["category"]
    }
    garbage = table.iloc[0]
    assert garbage["expected"] == pytest.approx(31 * 5.0 * WEEKLY.mean(), rel=0.2)
    assert garbage["low"] <= garbage["actual"] <= garbage["high"]
    assert garbage["low"] < garbage["expected"] < garbage["high"]
    # The days' and the categories' sums are of the same forecasts and baselines.
    days = forecast.against_actual(store, start, end, town="370281001")
    for column in ("expected", "baseline", "actual"):
        assert table[column].sum() == pytest.approx(days[column].sum())
    # The city: both towns together, each category's sum wider than one town's.
    city = forecast.against_actual_by_category(store, start, end)
    assert city.set_index("category")["actual"].to_dict() == (
        history.loc[may, "category"].value_counts().to_dict()
    )
    both, one = city.iloc[0], garbage
    assert both["category"] == "garbage" and both["expected"] > one["expected"]
    assert both["high"] - both["low"] > one["high"] - one["low"]
    assert forecast.against_actual_by_category(store, end, start) is None


def test_the_review_reads_the_history_again_when_the_city_is_reloaded(trained):
    store, _ = trained
    start = dt.datetime(2026, 5, 1, tzinfo=dt.UTC)
    end = dt.datetime(2026, 5, 15, tzinfo=dt.UTC)
    before = forecast.against_actual(store, start, end)
    store.load_city(history_city(400, seed=7), replace=True)
    after = forecast.against_actual(store, start, end)
    history = store.history()
    local = history["reported_at"].dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    came = local.dt.normalize().value_counts()
    assert after.set_index("date")["actual"].to_dict() == {d: came.get(d, 0) for d in after["date"]}
    assert not after["actual"].equals(before["actual"])
