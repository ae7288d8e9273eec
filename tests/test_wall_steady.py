"""The wall's worker reads the grids and cadres again only when something
other than new reports changed (dashboard.map_view.steady_inputs), and shares
panels and layer edits between its screens (dashboard.view_cache.memo)."""

from __future__ import annotations

import datetime as dt

from dashboard import map_view, view_cache
from dashboard.live import layer_digests
from dashboard.pages.command_map import map_updates, shared_panels

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)
# One report, as tests/tiny_city.py places them (grid A-1 of town 370281001).
REPORT = dict(channel="app", category="garbage", description="垃圾", lon=120.001, lat=36.001)
REPORT |= dict(grid_code="A-1", town_code="370281001", priority=3)


def test_new_reports_keep_the_grids_and_cadres_anything_else_reads_them_again(
    city_store, monkeypatch
):
    monkeypatch.setattr(map_view, "_STEADY", {})
    monkeypatch.setattr(map_view, "current_minute", lambda: 1000)
    first = map_view.steady_inputs(city_store, None, city_store.latest_seq())
    for n in range(3):
        city_store.add_incident({**REPORT, "public_id": f"N{n}"}, actor="test")
    again = map_view.steady_inputs(city_store, None, city_store.latest_seq())
    assert again is first  # three new reports: nothing read again
    layer = again.cadre_layer(map_view.MapStyle(scale=1.0, lang="zh"), NOW)
    assert again.cadre_layer(map_view.MapStyle(scale=1.0, lang="zh"), NOW) is layer
    assert layer_digests({"cadres": layer}) == layer_digests({"cadres": dict(layer)})

    # A cadre moves (entity "cadre" in the feed): the cadres are read again.
    city_store.record_positions(
        [{"cadre_id": 3, "lon": 120.03, "lat": 36.02, "recorded_at": NOW}], actor="field-app"
    )
    moved = map_view.steady_inputs(city_store, None, city_store.latest_seq())
    assert moved is not first
    assert tuple(moved.cadres.set_index("id").loc[3, ["lon", "lat"]]) == (120.03, 36.02)
    assert map_view.steady_inputs(city_store, None, city_store.latest_seq()) is moved

    # A new minute reads them again too (the wall is rebuilt once a minute).
    monkeypatch.setattr(map_view, "current_minute", lambda: 1001)
    assert map_view.steady_inputs(city_store, None, city_store.latest_seq()) is not moved
    # And a town's wall has its own.
    town = map_view.steady_inputs(city_store, "370281001", city_store.latest_seq())
    assert set(town.cadres["town_code"]) <= {"370281001"}


def test_the_screens_of_one_view_share_its_panels_and_layer_edits(city_store, monkeypatch):
    monkeypatch.setattr(view_cache, "_CACHE", type(view_cache._CACHE)())
    monkeypatch.setattr(map_view, "_STEADY", {})
    before = view_cache.shared_view(city_store, lang="zh", screen=None)
    city_store.add_incident({**REPORT, "public_id": "N9"}, actor="test")
    view = view_cache.shared_view(city_store, lang="zh", screen=None)
    assert view is not before and view.change_seq > before.change_seq
    assert view.layers["cadres"] is before.layers["cadres"]  # a new report: the same cadres
    assert view.digests["incidents"] != before.digests["incidents"]
    assert shared_panels(view, "zh") is shared_panels(view, "zh")
    sent = map_updates(view, before.digests)
    again = map_updates(view, before.digests)
    assert all(a is b for a, b in zip(sent, again, strict=True))  # built once, for every screen
