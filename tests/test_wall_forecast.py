"""The wall's figures of what is coming: the at-risk tile and the 7-day forecast panel."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from dashboard.components.forecast_panel import forecast_panel, rises_panel
from dashboard.components.panels import kpi_tiles
from domain.kpis import RiskFigure, Situation
from domain.week_outlook import WeekOutlook, rises, week_outlook

SITUATION = Situation(
    reported_today=5, open=40, urgent=2, overdue=3, cadres_out=7, cadres_available=9
)


def _tile(tiles: list, kpi: str):
    return next(tile for tile in tiles if getattr(tile, "data-kpi") == kpi)


def test_the_at_risk_tile_counts_open_work_and_says_what_it_counts():
    trained = dt.datetime(2026, 6, 20, 1, 30, tzinfo=dt.UTC)
    tiles = kpi_tiles(SITUATION, "zh", RiskFigure(12, "ok", "", trained))
    assert [getattr(tile, "data-kpi") for tile in tiles][5:8] == [
        "contact_late",
        "at_risk",
        "cadres_out",
    ]
    tile = _tile(tiles, "at_risk")
    assert tile.children[1].children[0] == "12" and "warn" in tile.className
    assert "≥50%" in tile.children[2].children  # what it counts, on the wall itself
    assert "06-20 09:30" in tile.title  # when the model was trained, local time
    none = _tile(kpi_tiles(SITUATION, "en", RiskFigure(0, "ok", "", trained)), "at_risk")
    assert none.children[1].children[0] == "0" and "warn" not in none.className


def test_without_a_model_the_tile_shows_a_dash_and_why_never_a_guess():
    never = _tile(kpi_tiles(SITUATION, "en", RiskFigure(None)), "at_risk")
    assert never.children[1].children == ["—", None]
    assert never.children[2].children == "No model trained yet"
    assert "python app.py model train" in never.title
    note = "the model does not beat the category baseline (AUC 0.61 vs 0.63): not shown"
    thin = _tile(kpi_tiles(SITUATION, "zh", RiskFigure(None, "thin", note)), "at_risk")
    assert thin.children[1].children[0] == "—" and thin.children[2].children == "模型未启用"
    assert thin.title.endswith(note)


def test_a_wall_without_the_risk_figure_keeps_its_eight_tiles():
    tiles = kpi_tiles(SITUATION, "zh")
    assert len(tiles) == 8 and all(getattr(t, "data-kpi") != "at_risk" for t in tiles)


def test_the_proactive_tile_counts_the_spots_proposed_beside_the_risk():
    trained = dt.datetime(2026, 6, 20, 1, 30, tzinfo=dt.UTC)
    tiles = kpi_tiles(SITUATION, "zh", RiskFigure(12, "ok", "", trained), spots=3)
    assert [getattr(tile, "data-kpi") for tile in tiles][5:9] == [
        "contact_late",
        "at_risk",
        "proactive",
        "cadres_out",
    ]
    risk, spots = _tile(tiles, "at_risk"), _tile(tiles, "proactive")
    # Half a row each: the risk's words shorter, still saying what it counts.
    assert "gc-kpi-wide" not in risk.className and risk.children[2].children == "超期概率≥50%"
    assert spots.children[0].children == "主动发现"
    value, unit = spots.children[1].children
    assert value == "3" and unit.children == "处"
    assert spots.children[2].children == "反复问题点位" and "spots" in spots.className.split()
    assert "30 天内上报 5 次以上" in spots.title
    english = _tile(kpi_tiles(SITUATION, "en", RiskFigure(None), spots=0), "proactive")
    assert english.children[0].children == "Proactive" and english.children[1].children[0] == "0"
    assert english.children[2].children == "recurring spots"
    assert "spots" not in english.className.split()  # nothing to act on: plain
    assert len(kpi_tiles(SITUATION, "zh", spots=2)) == 9  # a wall without the risk model


def test_the_spots_are_counted_once_a_minute_and_town_for_every_screen(tiny_url, monkeypatch):
    from dashboard import wall_figures
    from data.store import Store
    from services import proactive

    store = Store.open(tiny_url)
    wall_figures.clear()
    now = dt.datetime(2026, 6, 20, 4, 0, 10, tzinfo=dt.UTC)
    asked = []

    def proposals(store, now, town=None):
        asked.append(town)
        return pd.DataFrame({"key": ["a", "b", "c"][: 1 if town else 3]})

    monkeypatch.setattr(proactive, "proposals", proposals)
    for later in (0, 20, 49):
        assert wall_figures.spots_count(store, now + dt.timedelta(seconds=later)) == 3
    assert wall_figures.spots_count(store, now, town="370281009") == 1
    assert asked == [None, "370281009"]
    assert wall_figures.spots_count(store, now + dt.timedelta(minutes=1)) == 3
    assert asked == [None, "370281009", None]
    store.close()


def test_the_risk_figure_is_predicted_once_a_minute_for_every_screen(tiny_url, monkeypatch):
    from dashboard import wall_figures
    from data.store import Store
    from services import predictions

    store = Store.open(tiny_url)
    wall_figures.clear()
    now = dt.datetime(2026, 6, 20, 4, 0, 10, tzinfo=dt.UTC)
    assert wall_figures.risk_figure(store, now) == RiskFigure(None)  # never trained
    note = "too few incidents to learn from: 12 (at least 2,000 snapshots)"
    store.save_model_run("breach_risk", {}, {}, 12, "thin", note, "test", now)
    thin = wall_figures.risk_figure(store, now)
    assert (thin.at_risk, thin.status, thin.note) == (None, "thin", note)
    store.save_model_run("breach_risk", {"w": 1}, {}, 9000, "ok", "beats", "test", now)
    counted = []

    def at_risk_count(store, now, town=None, threshold=0.5):
        counted.append(town)
        return 7

    monkeypatch.setattr(predictions, "at_risk_count", at_risk_count)
    for later in (0, 20, 49):  # screens of every size ask within the minute
        figure = wall_figures.risk_figure(store, now + dt.timedelta(seconds=later))
        assert (figure.at_risk, figure.status) == (7, "ok")
    assert wall_figures.risk_figure(store, now, town="370281009").at_risk == 7
    assert counted == [None, "370281009"]
    wall_figures.risk_figure(store, now + dt.timedelta(minutes=1))
    store.save_model_run("breach_risk", {"w": 2}, {}, 9000, "ok", "beats", "test", now)
    wall_figures.risk_figure(store, now + dt.timedelta(minutes=1))  # a new run counts anew
    assert counted == [None, "370281009", None, None]
    store.close()


def _pairs(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["town_code", "category", "expected", "low", "high"])


def _usual(per_week: dict) -> pd.DataFrame:
    """The usual of each pair spread evenly over 7 days."""
    dates = pd.date_range("2026-12-07", periods=7, freq="D")
    return pd.DataFrame(
        [(t, c, d, n / 7) for (t, c), n in per_week.items() for d in dates],
        columns=["town_code", "category", "date", "expected"],
    )


def test_a_rise_is_a_pair_whose_usual_lies_below_the_forecasts_interval():
    week = _pairs(
        [
            ("001", "heating", 14.0, 9.0, 19.0),  # usual 6: clearly more coming (+8)
            ("002", "heating", 9.0, 6.0, 12.0),  # usual 4: clearly more (+5)
            ("001", "garbage", 30.0, 22.0, 38.0),  # usual 26: within the interval
            ("003", "dispute", 1.8, 1.0, 3.0),  # usual 0, but too few to call a rise
            ("003", "fire_lane", 4.0, 2.0, 6.0),  # never seen before: usual 0 (+4)
        ]
    )
    usual = _usual({("001", "heating"): 6, ("002", "heating"): 4, ("001", "garbage"): 26})
    found = rises(week, usual)
    assert list(zip(found["town_code"], found["category"], strict=True)) == [
        ("001", "heating"),
        ("002", "heating"),
        ("003", "fire_lane"),
    ]
    assert found["usual"].round(6).tolist() == [6.0, 4.0, 0.0]
    assert len(rises(week, usual, top=1)) == 1
    calm = rises(week, _usual({(t, c): e for t, c, e, *_ in week.itertuples(index=False)}))
    assert calm.empty and list(calm.columns) == [
        "town_code",
        "category",
        "expected",
        "low",
        "high",
        "usual",
    ]


def test_the_week_ahead_sums_the_days_and_the_usual():
    days = pd.DataFrame(
        {
            "date": pd.date_range("2026-12-07", periods=7, freq="D"),
            "expected": [20.0] * 7,
            "low": [15.0] * 7,
            "high": [26.0] * 7,
        }
    )
    week = _pairs([("001", "heating", 14.0, 9.0, 19.0)])
    outlook = week_outlook(days, week, _usual({("001", "heating"): 6}), town="001")
    assert outlook.expected == 140.0 and round(outlook.usual, 6) == 6.0
    assert outlook.town == "001" and len(outlook.days) == 7 and len(outlook.rises) == 1


def _week(rises_rows: list[tuple]) -> WeekOutlook:
    days = pd.DataFrame(
        {
            "date": pd.date_range("2026-12-07", periods=7, freq="D"),  # a Monday
            "expected": [21.0, 20.8, 19.0, 20.0, 18.6, 16.2, 16.7],
            "low": [15.0, 15.0, 14.0, 14.0, 13.0, 11.0, 12.0],
            "high": [27.0, 27.0, 25.0, 26.0, 24.0, 21.0, 22.0],
        }
    )
    rises_frame = pd.DataFrame(
        rises_rows, columns=["town_code", "category", "expected", "low", "high", "usual"]
    )
    return WeekOutlook(None, days, float(days["expected"].sum()), 141.75, rises_frame)


def test_the_forecast_panel_shows_the_week_each_days_interval_and_the_usual():
    towns = {"370281004": "胶东街道"}
    key, head, days = forecast_panel(_week([]), "zh", towns)
    assert "80% 区间" in str(key)
    assert getattr(head.children[1], "data-forecast") == "132"
    assert head.children[0].children == "全市" and head.children[2].children == "常态 142 · -7%"
    columns = days.children[0].children
    assert len(columns) == 7 and columns[0].title == "12-07 预计 21 件（80% 区间 15–27）"
    band, fill = columns[0].children
    assert band.style == {"bottom": "56%", "height": "44%"} and fill.style == {"height": "78%"}
    assert [label.children for label in days.children[1].children] == list("一二三四五六日")


def test_the_rises_panel_names_town_and_category_or_says_all_is_usual():
    towns = {"370281004": "胶东街道"}
    calm = rises_panel(_week([]), "en", towns)
    assert calm.children == "No town × category clearly above its usual"
    week = _week([("370281004", "heating", 14.2, 9.0, 19.0, 6.0)])
    (row,) = rises_panel(week, "zh", towns).children.children
    assert row.children[0].children == "胶东街道 · 供暖问题"
    assert row.children[1].children == "14" and row.children[2].children == "常态 6"
    assert rises_panel(None, "zh", towns).children == "—"


def test_without_a_forecast_model_the_panel_says_why():
    (never,) = forecast_panel(None, "zh", {}, {"status": None, "note": ""})
    assert never.children[0].children == "—" and never.children[1].children == "尚未训练预测模型"
    note = "does not beat the same weekday's mean (MAE 1.3 vs 1.2): not shown"
    (thin,) = forecast_panel(None, "en", {}, {"status": "thin", "note": note})
    assert thin.children[1].children == "Forecast not in use" and thin.title.endswith(note)


def test_the_week_ahead_is_made_once_per_run_day_and_town_and_none_without_a_model(
    tiny_url, monkeypatch
):
    from data.store import Store
    from services import forecast, outlook

    state = {"status": "ok", "note": "", "trained_at": None, "metrics": {}, "run_id": 4}
    asked = []

    def next_week(store, now, town=None, by=None):
        asked.append((town, tuple(by)))
        dates = pd.date_range("2026-06-20", periods=7, freq="D")
        if by == ["date"]:
            return pd.DataFrame({"date": dates, "expected": 3.0, "low": 1.0, "high": 5.0})
        return _pairs([(town or "370281001", "garbage", 21.0, 15.0, 27.0)])

    monkeypatch.setattr(forecast, "model_state", lambda store: state)
    monkeypatch.setattr(forecast, "next_week", next_week)
    monkeypatch.setattr(outlook, "_weeks", {})
    store = Store.open(tiny_url)
    now = dt.datetime(2026, 6, 20, 2, 0, tzinfo=dt.UTC)
    try:
        week = outlook.week_ahead(store, now)
        assert week.expected == 21.0 and week.town is None and len(week.days) == 7
        assert week.rises["category"].tolist() == ["garbage"]  # the tiny city's usual is ~0
        assert outlook.week_ahead(store, now + dt.timedelta(hours=3)) is week  # same day
        outlook.week_ahead(store, now, town="370281002")
        assert asked == [
            (None, ("date",)),
            (None, ("town_code", "category")),
            ("370281002", ("date",)),
            ("370281002", ("town_code", "category")),
        ]
        state.update(status="thin", run_id=5)
        assert outlook.week_ahead(store, now) is None
    finally:
        store.close()
