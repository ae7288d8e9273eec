"""The wall's figures of what is coming: the at-risk tile and the 7-day forecast panel."""

from __future__ import annotations

import datetime as dt

from dashboard.components.panels import kpi_tiles
from domain.kpis import RiskFigure, Situation

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
