"""Domain rules without a server or database."""

from __future__ import annotations

import datetime as dt

import pytest

from domain import categories, kpis, lifecycle
from domain.errors import InvalidInput
from tests.tiny_city import NOW, tiny_city


def test_every_category_is_complete():
    for category in categories.CATEGORIES:
        assert len(category.season) == 12
        assert category.priority in categories.PRIORITIES
        assert set(category.skills) <= set(categories.SKILLS)
        assert category.first_contact_hours <= category.resolve_hours


def test_lifecycle_allows_only_legal_moves():
    lifecycle.check_transition("reported", "registered")
    lifecycle.check_transition("closed", "registered")  # reopened by an unhappy citizen
    with pytest.raises(InvalidInput, match="cannot become"):
        lifecycle.check_transition("reported", "closed")
    with pytest.raises(InvalidInput, match="unknown status"):
        lifecycle.check_transition("lost", "closed")
    for status, targets in lifecycle.TRANSITIONS.items():
        assert targets <= set(lifecycle.STATUSES), status


def test_local_day_starts_at_beijing_midnight():
    start = kpis.start_of_local_day(dt.datetime(2026, 6, 20, 17, 0, tzinfo=dt.UTC))
    assert start == dt.datetime(2026, 6, 20, 16, 0, tzinfo=dt.UTC)  # 00:00 on the 21st


def test_situation_counts_open_urgent_overdue_and_cadres():
    city = tiny_city()
    open_ = city.incidents[city.incidents["status"].isin(lifecycle.OPEN_STATUSES)]
    s = kpis.situation(open_, city.cadres, reported_today=4, now=NOW)
    assert (s.reported_today, s.open, s.urgent, s.overdue) == (4, 3, 1, 1)
    assert (s.cadres_out, s.cadres_available) == (2, 1)


def test_town_ranking_orders_by_open_and_keeps_quiet_towns():
    city = tiny_city()
    open_ = city.incidents[city.incidents["status"].isin(lifecycle.OPEN_STATUSES)]
    ranking = kpis.town_ranking(open_, city.towns)
    assert list(ranking["code"]) == ["370281001", "370281002"]
    assert list(ranking["open"]) == [2, 1]
    empty = kpis.town_ranking(open_.iloc[0:0], city.towns)
    assert list(empty["open"]) == [0, 0]


def test_situation_counts_near_breaches_and_late_call_backs():
    import pandas as pd

    hour = dt.timedelta(hours=1)
    rows = [  # reported 10 h ago with 10 h 30 min to resolve: 5 % left, so near
        {
            "priority": 3,
            "reported_at": NOW - 10 * hour,
            "due_resolve_at": NOW + hour / 2,
            "resolved_at": None,
            "due_contact_at": NOW - 9 * hour,
            "first_contact_at": None,
        },
        # plenty of time left, called back in time
        {
            "priority": 3,
            "reported_at": NOW - hour,
            "due_resolve_at": NOW + 48 * hour,
            "resolved_at": None,
            "due_contact_at": NOW + hour,
            "first_contact_at": NOW - hour / 2,
        },
        # past due: overdue, not "near"
        {
            "priority": 1,
            "reported_at": NOW - 9 * hour,
            "due_resolve_at": NOW - hour,
            "resolved_at": None,
            "due_contact_at": NOW - 8 * hour,
            "first_contact_at": NOW - 8.5 * hour,
        },
    ]
    frame = pd.DataFrame(rows)
    s = kpis.situation(frame, tiny_city().cadres, reported_today=0, now=NOW)
    assert (s.open, s.overdue, s.near_due, s.contact_late) == (3, 1, 1, 1)


def test_service_figures_over_the_window():
    import pandas as pd

    hour = dt.timedelta(hours=1)
    frame = pd.DataFrame(
        {
            "status": ["closed", "closed", "in_progress", "rejected"],
            "satisfaction": pd.array([5, 2, None, None], dtype="Int64"),
            "reported_at": [NOW - 10 * hour] * 4,
            "first_contact_at": [NOW - 9 * hour, NOW - 8 * hour, NOW - 7 * hour, None],
            "resolved_at": [NOW - 4 * hour, NOW - 2 * hour, None, None],
        }
    )
    f = kpis.service_figures(frame)
    assert f.closure_rate == round(2 / 3, 3)  # rejected reports do not count
    assert f.satisfaction_rate == 0.5
    assert (f.median_contact_h, f.median_resolve_h) == (2.0, 7.0)
    assert kpis.service_figures(frame.iloc[:0]) == kpis.ServiceFigures(None, None, None, None)


def test_trends_count_per_local_hour_and_day_with_empty_periods():
    import pandas as pd

    # NOW is 12:00 in Beijing on 2026-06-20.
    times = pd.Series(
        [
            NOW,
            NOW - dt.timedelta(minutes=30),
            NOW - dt.timedelta(hours=3),
            NOW - dt.timedelta(days=2),
            NOW - dt.timedelta(days=30),
        ]
    )
    hourly = kpis.trend(times, NOW, step="h", periods=24)
    assert len(hourly) == 24 and hourly["count"].sum() == 3
    assert hourly["count"].iloc[-1] == 1 and hourly["count"].iloc[-2] == 1
    assert hourly["start"].iloc[-1].hour == 12
    daily = kpis.trend(times, NOW, step="D", periods=7)
    assert list(daily["count"]) == [0, 0, 0, 0, 1, 0, 3]


def test_open_work_by_category_most_first():
    city = tiny_city()
    open_ = city.incidents[city.incidents["status"].isin(lifecycle.OPEN_STATUSES)]
    table = kpis.by_category(open_)
    assert set(table["category"]) == {"fire_lane", "waterlogging", "garbage"}
    assert table["open"].sum() == 3 and table["urgent"].sum() == 1
