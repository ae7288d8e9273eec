"""The review's forecast against what came: the chart, the table per category,
and what the section says when there is nothing to compare."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from domain.errors import Forbidden
from layers.forecast_charts import OUTSIDE, forecast_figure, outside_interval
from services.review_forecast import MAX_WEEKS


def _days() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.date_range("2026-06-01", periods=4, freq="D"),
            "expected": [10.2, 12.0, 8.4, 9.0],
            "low": [6.0, 8.0, 5.0, 5.0],
            "high": [14.0, 16.0, 12.0, 13.0],
            "actual": [9, 21, 4, np.nan],  # a day above, a day below, a day to come
        }
    )


def test_the_chart_draws_the_interval_the_forecast_and_what_came_red_outside():
    figure = forecast_figure(_days(), "zh", "无预测")
    high, low, came, expected = figure["data"]
    # The interval is held over each whole day, from edge to edge, bars in the middle.
    assert high["y"] == [14.0, 16.0, 12.0, 13.0, 13.0] and low["fill"] == "tonexty"
    assert high["x"][0] == "2026-05-31 12:00" and high["x"][-1] == "2026-06-04 12:00"
    assert high["line"]["shape"] == low["line"]["shape"] == expected["line"]["shape"] == "hv"
    assert low["name"] == "预测 80% 区间" and expected["line"]["dash"] == "dash"
    assert came["x"] == ["2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04"]
    assert came["y"] == [9, 21, 4, None]  # nothing drawn for a day still to come
    colours = came["marker"]["color"]
    assert colours[1] == colours[2] == OUTSIDE and OUTSIDE not in (colours[0], colours[3])
    assert outside_interval(_days()).tolist() == [False, True, True, False]
    assert figure["layout"]["yaxis"]["dtick"] == 5  # whole reports, about five ticks to 21


def test_no_forecast_gives_a_message_not_a_blank_chart():
    figure = forecast_figure(_days().iloc[:0], "en", "No forecast for this period", scale=2.0)
    assert figure["data"] == []
    assert figure["layout"]["annotations"][0]["text"] == "No forecast for this period"
    assert figure["layout"]["font"]["size"] == 24  # 4K


# The service: which days are compared, what is said instead, whose town.

NOW = dt.datetime(2026, 6, 20, 2, 0, tzinfo=dt.UTC)  # 10:00 on 20 June in Beijing


@pytest.fixture
def fake_forecast(tiny_url, monkeypatch):
    """The tiny city with the forecast service's answers recorded and made up:
    an 'ok' surge run, a forecast of 10 (8-12) a day, 9 reports a day."""
    from data.store import Store
    from services import forecast

    calls = {"against": [], "ahead": [], "categories": []}
    state = {"status": "ok", "note": "beats", "trained_at": NOW, "metrics": {}, "run_id": 1}

    def against_actual(store, start, end, town=None):
        calls["against"].append((start, end, town))
        first = pd.Timestamp(start).tz_convert("Asia/Shanghai").tz_localize(None).normalize()
        last = pd.Timestamp(end).tz_convert("Asia/Shanghai").tz_localize(None).normalize()
        dates = pd.date_range(first, last - pd.Timedelta(days=1), freq="D")
        return pd.DataFrame(
            {"date": dates, "expected": 10.0, "low": 8.0, "high": 12.0, "baseline": 9.5}
        ).assign(actual=9)

    def by_category(store, start, end, town=None):
        calls["categories"].append((start, end, town))
        return pd.DataFrame(
            {
                "category": ["garbage", "noise", "fire_lane"],
                "expected": [120.4, 40.0, 3.6],
                "low": [100.0, 30.0, 1.0],
                "high": [140.0, 50.0, 7.0],
                "baseline": [118.0, 45.5, 4.0],
                "actual": [150, 40, 0],  # above, inside, below
            }
        )

    def next_week(store, now, town=None, by=None):
        calls["ahead"].append((town, tuple(by or ())))
        dates = pd.date_range("2026-06-20", periods=7, freq="D")
        return pd.DataFrame({"date": dates, "expected": 11.0, "low": 9.0, "high": 13.0})

    monkeypatch.setattr(forecast, "model_state", lambda store: state)
    monkeypatch.setattr(forecast, "against_actual", against_actual)
    monkeypatch.setattr(forecast, "next_week", next_week)
    monkeypatch.setattr(forecast, "against_actual_by_category", by_category)
    store = Store.open(tiny_url)
    yield store, calls, state
    store.close()


def _review(store, first, last, role="city_leader", town=None, area=("city", None)):
    from domain.access import for_user
    from domain.review_query import Period, ReviewQuery
    from services.review_forecast import review_forecast

    query = ReviewQuery(Period(first, last), area=area)
    return review_forecast(store, query, for_user(1, "t", role, town), now=NOW)


def test_a_past_period_is_compared_day_by_day_and_today_is_not(fake_forecast):
    store, calls, _ = fake_forecast
    review = _review(store, dt.date(2026, 6, 1), dt.date(2026, 6, 20))
    assert review.notice is None and review.town is None
    assert review.compared.start == dt.date(2026, 6, 1) and review.compared.end == dt.date(
        2026, 6, 19
    )
    days = review.days
    assert len(days) == 20  # 19 days compared, and today's forecast alone
    assert days["actual"].iloc[:19].eq(9).all() and np.isnan(days["actual"].iloc[-1])
    assert days["expected"].iloc[-1] == 11.0  # today: the newest run's forecast
    assert review.totals == {
        "expected": 190.0,
        "actual": 171,
        "days": 19,
        "inside": 19,
        "mae": 1.0,  # 9 came, 10 forecast
        "baseline_mae": 0.5,  # the same weekday's mean said 9.5
    }
    assert calls["ahead"] == [(None, ("date",))]


def test_a_town_leader_gets_their_town_whatever_the_area_asked(fake_forecast):
    store, calls, _ = fake_forecast
    review = _review(store, dt.date(2026, 6, 1), dt.date(2026, 6, 10), "town_leader", "370281002")
    assert review.town == "370281002" and calls["against"][0][2] == "370281002"
    grid = _review(store, dt.date(2026, 6, 1), dt.date(2026, 6, 10), area=("grid", "A-2"))
    assert grid.town == "370281001"  # a grid shows its town's forecast
    with pytest.raises(Forbidden):
        _review(
            store,
            dt.date(2026, 6, 1),
            dt.date(2026, 6, 10),
            "town_leader",
            "370281002",
            area=("town", "370281001"),
        )


def test_a_long_period_compares_its_last_weeks_only(fake_forecast):
    store, calls, _ = fake_forecast
    review = _review(store, dt.date(2026, 1, 1), dt.date(2026, 6, 19))
    assert review.capped and review.compared.end == dt.date(2026, 6, 19)
    assert (review.compared.end - review.compared.start).days + 1 == 7 * MAX_WEEKS
    assert len(review.days) == 7 * MAX_WEEKS and not calls["ahead"]  # no day to come


def test_what_the_section_says_when_there_is_nothing_to_compare(fake_forecast):
    store, calls, state = fake_forecast
    ahead = _review(store, dt.date(2026, 6, 21), dt.date(2026, 6, 23))
    assert ahead.notice == "future" and ahead.days["expected"].tolist() == [11.0] * 3
    assert ahead.days["actual"].isna().all() and not calls["against"]
    assert _review(store, dt.date(2026, 7, 1), dt.date(2026, 7, 31)).notice == "beyond"
    assert _review(store, dt.date(2026, 6, 9), dt.date(2026, 6, 1)).notice == "reversed"
    state["status"] = "thin"
    thin = _review(store, dt.date(2026, 6, 1), dt.date(2026, 6, 9))
    assert thin.notice == "no_model" and len(thin.days) == 0 and not calls["against"]
    assert thin.at_risk.at_risk is None  # no breach-risk model on the tiny city either


def test_each_category_is_compared_over_the_same_days_and_marked_outside(fake_forecast):
    store, calls, _ = fake_forecast
    review = _review(store, dt.date(2026, 6, 1), dt.date(2026, 6, 20), "town_leader", "370281002")
    # The past days only (today is not over), of the leader's own town.
    start, end, town = calls["categories"][0]
    assert (start, end, town) == (*calls["against"][0][:2], "370281002")
    table = review.categories
    assert table["category"].tolist() == ["garbage", "noise", "fire_lane"]
    assert table["side"].tolist() == ["above", "inside", "below"]
    nothing = _review(store, dt.date(2026, 6, 21), dt.date(2026, 6, 23))
    assert nothing.notice == "future" and nothing.categories.empty


def _cells(component) -> list[list[str]]:
    """The body rows of a rendered table as their cells' text."""
    body = component.children[2]
    return [[_text(cell) for cell in row.children] for row in body.children]


def _text(node) -> str:
    if isinstance(node, str):
        return node
    children = getattr(node, "children", None)
    if children is None:
        return ""
    if not isinstance(children, list):
        children = [children]
    return "".join(_text(child) for child in children)


def test_the_category_table_names_each_category_and_marks_outside_in_words(fake_forecast):
    from dashboard.review_forecast import category_view

    store, _, _ = fake_forecast
    review = _review(store, dt.date(2026, 6, 1), dt.date(2026, 6, 19))
    (table,) = category_view(review, "zh", None)
    assert table.children[0].children.startswith("全市 · ")
    heads = [_text(th) for th in table.children[1].children.children]
    assert heads == ["类别", "预测", "80% 区间", "实际", "区间外", "同星期均值"]
    assert _cells(table) == [
        ["垃圾清运", "120", "100–140", "150", "▲ 高于区间", "118"],
        ["噪音扰民", "40", "30–50", "40", "", "46"],  # inside: no mark
        ["消防通道占用", "3.6", "1–7", "0", "▼ 低于区间", "4.0"],
    ]
    rows = table.children[2].children
    assert [row.className for row in rows] == ["gc-fc-above", "gc-fc-inside", "gc-fc-below"]
    (english,) = category_view(review, "en", "Jiaoxi")
    assert english.children[0].children.startswith("Jiaoxi · ")
    assert _cells(english)[0] == ["Uncollected rubbish", "120", "100–140", "150", "▲ above", "118"]
    assert _cells(english)[2][4] == "▼ below"
    ahead = _review(store, dt.date(2026, 6, 21), dt.date(2026, 6, 23))
    (why,) = category_view(ahead, "en", None)
    assert why.children.startswith("No day of this period is over yet")
